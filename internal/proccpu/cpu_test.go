package proccpu

import (
	"runtime"
	"testing"
)

func TestUsedGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no process CPU time on this system")
	}
	before, ok := Used()
	if !ok {
		t.Fatal("Used reports no CPU time on a unix system")
	}
	x := 0
	for i := range 50_000_000 {
		x ^= i * i
	}
	after, _ := Used()
	if after <= before {
		t.Fatalf("CPU time did not grow over a busy loop: %v then %v (%d)", before, after, x)
	}
}
