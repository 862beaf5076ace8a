//go:build unix && !(linux && !race && !msan && !asan)

package rawsock

import (
	"errors"
	"syscall"
)

// read is read(2) as package syscall makes it.
func read(fd int, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(fd, p)
	return max(n, 0), errnoOf(err)
}

// write is write(2) as package syscall makes it.
func write(fd int, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(fd, p)
	return max(n, 0), errnoOf(err)
}

// errnoOf returns err's Errno, 0 for nil.
func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return syscall.EIO
}
