//go:build !unix

// Package proccpu reads the CPU time the current process has used, for benchmarks that
// count the work of background goroutines as well as the measured loop's.
package proccpu

import "time"

// Used reports that the process's CPU time is not measured on this system.
func Used() (time.Duration, bool) { return 0, false }
