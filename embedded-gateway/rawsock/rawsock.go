//go:build unix

package rawsock

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// maxIO is the most one system call reads or writes, which bounds how long it keeps the
// processor.
const maxIO = 64 << 10

// Wrap returns an io.ReadWriter over nc's socket that reads and writes as package rawsock
// describes, or nc itself unless nc is a *net.TCPConn or *net.UnixConn (a type that wraps
// one may read or write in its own way). Deadlines set on nc apply; errors are
// *net.OpError values as nc's own Read and Write return them, and io.EOF at the end.
// Unlike nc, the result does not pass bufio's ReadFrom and WriteTo on to sendfile or splice.
func Wrap(nc net.Conn) io.ReadWriter {
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	c := &Conn{nc: nc, rc: rc}
	c.readFn, c.writeFn = c.doRead, c.doWrite
	return c
}

// Conn reads and writes one connection's socket; only Wrap makes a usable one. Reads and
// writes may run concurrently with each other; concurrent reads (or writes) take turns.
type Conn struct {
	nc net.Conn
	rc syscall.RawConn

	rmu    sync.Mutex // guards the read state below
	rbuf   []byte
	rn     int
	rerr   error
	readFn func(uintptr) bool // c.doRead, bound once

	wmu     sync.Mutex // guards the write state below
	wbuf    []byte
	wn      int
	werr    error
	writeFn func(uintptr) bool // c.doWrite, bound once
}

// Read reads up to len(p) bytes, waiting in the network poller until some arrive.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > maxIO {
		p = p[:maxIO]
	}
	c.rmu.Lock()
	c.rbuf, c.rn, c.rerr = p, 0, nil
	err := c.rc.Read(c.readFn)
	n, serr := c.rn, c.rerr
	c.rbuf, c.rerr = nil, nil
	c.rmu.Unlock()
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case serr != nil:
		return 0, c.opError("read", serr)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// doRead makes one read attempt; false asks the poller to wait for data.
func (c *Conn) doRead(fd uintptr) bool {
	for {
		n, errno := read(int(fd), c.rbuf)
		switch errno {
		case 0:
			c.rn = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.rerr = os.NewSyscallError("read", errno)
		return true
	}
}

// Write writes all of p, waiting in the network poller while the socket's buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), maxIO)]
		c.wbuf, c.wn, c.werr = chunk, 0, nil
		err := c.rc.Write(c.writeFn)
		written += c.wn
		serr := c.werr
		c.wbuf, c.werr = nil, nil
		if err != nil {
			return written, c.opError("write", err)
		}
		if serr != nil {
			return written, c.opError("write", serr)
		}
		p = p[len(chunk):]
	}
	return written, nil
}

// doWrite writes what is left of c.wbuf; false asks the poller to wait for room.
func (c *Conn) doWrite(fd uintptr) bool {
	for len(c.wbuf) > 0 {
		n, errno := write(int(fd), c.wbuf)
		switch errno {
		case 0:
			if n == 0 {
				c.werr = io.ErrUnexpectedEOF // as poll.FD.Write: no progress and no error
				return true
			}
			c.wn += n
			c.wbuf = c.wbuf[n:]
			continue
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.werr = os.NewSyscallError("write", errno)
		return true
	}
	return true
}

// opError wraps err as net.Conn's Read and Write do. An error of the raw connection comes
// wrapped already ("raw-read"): its cause is taken out first.
func (c *Conn) opError(op string, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return &net.OpError{Op: op, Net: c.nc.LocalAddr().Network(), Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: err}
}
