//go:build unix

// Package proccpu reads the CPU time the current process has used, for benchmarks that
// count the work of background goroutines as well as the measured loop's.
package proccpu

import (
	"syscall"
	"time"
)

// Used returns the CPU time (user and system) the process has used so far, and false if
// the system cannot tell.
func Used() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
