package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/gantry-dev/gantry/internal/testcorpus"
)

// BenchmarkImportDigitalOcean runs `gantry import` of the 2,900-file DigitalOcean spec into
// a fresh workspace each time: parse, resolve, compile, check examples, store.
func BenchmarkImportDigitalOcean(b *testing.B) {
	spec := testcorpus.File(b, "digitalocean/DigitalOcean-public.v2.yaml")
	dir := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		db := filepath.Join(dir, fmt.Sprintf("ws%d.db", i))
		if code := run(context.Background(), []string{"import", spec, "--db", db, "--log-level", "warn"}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("import exited %d", code)
		}
	}
}
