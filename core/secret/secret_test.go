package secret

import (
	"strings"
	"testing"
)

func TestForms(t *testing.T) {
	h := Hash("alice-key-0123456789")
	if !IsHash(h) || IsPasswordHash(h) || h != Hash("alice-key-0123456789") || h == Hash("alice-key-0123456780") {
		t.Fatalf("Hash = %q", h)
	}
	p1, p2 := HashPassword("correct horse"), HashPassword("correct horse")
	if !IsPasswordHash(p1) || IsHash(p1) || p1 == p2 {
		t.Fatalf("HashPassword = %q, %q (salted forms must differ)", p1, p2)
	}
	for _, bad := range []string{"", "sha256:", "sha256:xyz", "md5:" + strings.Repeat("0", 64), "sha256:" + strings.Repeat("0", 63)} {
		if IsHash(bad) || IsPasswordHash(bad) {
			t.Errorf("%q accepted as a stored form", bad)
		}
	}
}
