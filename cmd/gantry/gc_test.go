package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// gcPercent reads the collector's current target.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestServingGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tests := []struct {
		name   string
		env    string // "" leaves GOGC unset
		during int
	}{
		{"default", "", servingGCPercent},
		{"GOGC set", "150", 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.env) // restored after the test
			if tc.env == "" {
				os.Unsetenv("GOGC")
			}
			debug.SetGCPercent(100)
			var gc servingGC
			gc.start()
			gc.start() // once
			if got := gcPercent(); got != tc.during {
				t.Errorf("while serving: GC percent %d, want %d", got, tc.during)
			}
			gc.restore()
			if got := gcPercent(); got != 100 {
				t.Errorf("after: GC percent %d, want 100", got)
			}
		})
	}
}
