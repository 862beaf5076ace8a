// Package rawsock reads and writes a TCP connection's socket without handing the Go
// processor to another thread while each system call runs.
//
// A read or write on a net.Conn enters the runtime's blocking-syscall state. On loopback,
// a write also runs the receiver's side of the TCP stack and wakes the receiver, which
// often preempts the writing thread inside the call. The runtime's monitor then finds the
// processor in a system call for longer than 20µs and hands it to another thread; the
// writer, back from the kernel without its processor, goes to sleep; and the monitor,
// having found work, keeps waking every 20µs to look again. The socket is non-blocking,
// so each call here is short and bounded (at most 64 KiB); waiting for data or for room
// still goes through the runtime's network poller, with the connection's deadlines.
//
// Measured on the gateway benchmark at 8 connections (2 cores): thread switches per
// proxied request went from 1.9-2.3 to 1.4-1.6 and the monitor's wake-ups from 0.67 per
// request to 0.04.
//
// Where that does not apply (not Linux, not a TCP or Unix socket, or a build with the race
// detector or a sanitizer, whose tracking of I/O lives in package syscall) the ordinary
// system calls are made, or the net.Conn itself is used.
package rawsock
