package spec

import (
	"testing"

	"github.com/gantry-dev/gantry/internal/testcorpus"
)

// BenchmarkLoadDigitalOcean measures a full import (parse, index, convert, validate
// examples) of the 2,900-file DigitalOcean spec.
func BenchmarkLoadDigitalOcean(b *testing.B) {
	path := testcorpus.File(b, "digitalocean/DigitalOcean-public.v2.yaml")
	b.ReportAllocs()
	for b.Loop() {
		s, _, err := Load(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(s.Definition.Operations); n != 659 {
			b.Fatalf("got %d operations, want 659", n)
		}
	}
}
