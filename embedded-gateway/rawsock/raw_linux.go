//go:build linux && !race && !msan && !asan

package rawsock

import (
	"syscall"
	"unsafe"
)

// read is read(2) made without entering the runtime's blocking-syscall state.
func read(fd int, p []byte) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), errno
}

// write is write(2) made without entering the runtime's blocking-syscall state.
func write(fd int, p []byte) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), errno
}
