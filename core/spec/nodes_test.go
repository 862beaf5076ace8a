package spec

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

func TestIsJSONNumber(t *testing.T) {
	grammar := regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	cases := []string{"", "0", "-0", "00", "01", "1", "-", "1.", ".5", "1.5", "1e5", "1E+5", "1e-05", "1e", "1e+",
		"-1.25e10", "1.2.3", "0x10", "1_000", " 1", "1 ", "+1", "Infinity", "NaN", "12345678901234567890"}
	r := rand.New(rand.NewPCG(7, 8))
	const alphabet = "-+0123456789.eE"
	for range 20000 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if got, want := isJSONNumber(c), grammar.MatchString(c); got != want {
			t.Errorf("isJSONNumber(%q) = %v, want %v", c, got, want)
		}
	}
}
