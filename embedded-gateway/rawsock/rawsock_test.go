//go:build unix

package rawsock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection: a, wrapped, and b, plain.
func pair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	w, ok := Wrap(a).(*Conn)
	if !ok {
		t.Fatalf("Wrap(%T) did not return a *Conn", a)
	}
	return w, b
}

func TestWrapWithoutSocket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if got := Wrap(a); got != a {
		t.Fatalf("Wrap(net.Pipe end) = %T, want the conn itself", got)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		size int
	}{
		{"one byte", 1},
		{"a request head", 512},
		{"more than one call", maxIO + 123},
		{"more than the socket buffers", 8 << 20}, // the writer waits for room
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, peer := pair(t)
			payload := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16+1)[:tc.size]

			// Out: Conn writes, the plain peer reads.
			got := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(io.LimitReader(peer, int64(tc.size)))
				got <- b
			}()
			n, err := c.Write(payload)
			if err != nil || n != tc.size {
				t.Fatalf("Write = %d, %v; want %d, nil", n, err, tc.size)
			}
			if b := <-got; !bytes.Equal(b, payload) {
				t.Fatalf("peer read %d bytes, not what was written", len(b))
			}

			// In: the peer writes, Conn reads.
			go func() { _, _ = peer.Write(payload) }()
			b := make([]byte, tc.size)
			if _, err := io.ReadFull(c, b); err != nil {
				t.Fatalf("ReadFull: %v", err)
			}
			if !bytes.Equal(b, payload) {
				t.Fatal("read bytes differ from the peer's")
			}
		})
	}
}

func TestReadEmptyBuffer(t *testing.T) {
	c, _ := pair(t)
	if n, err := c.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v; want 0, nil without waiting", n, err)
	}
}

// TestErrors checks that each failure reads as net.Conn's own does: the same errors.Is
// targets, a *net.OpError naming the operation, and io.EOF bare.
func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(c *Conn, peer net.Conn)
		op    string // "read" or "write"
		is    error
		eof   bool
	}{
		{
			name:  "peer closed: EOF",
			setup: func(c *Conn, peer net.Conn) { peer.Close() },
			op:    "read", eof: true,
		},
		{
			name:  "read deadline passed",
			setup: func(c *Conn, peer net.Conn) { _ = c.nc.SetReadDeadline(time.Now().Add(-time.Second)) },
			op:    "read", is: os.ErrDeadlineExceeded,
		},
		{
			name:  "read deadline while waiting",
			setup: func(c *Conn, peer net.Conn) { _ = c.nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond)) },
			op:    "read", is: os.ErrDeadlineExceeded,
		},
		{
			name:  "write deadline passed",
			setup: func(c *Conn, peer net.Conn) { _ = c.nc.SetWriteDeadline(time.Now().Add(-time.Second)) },
			op:    "write", is: os.ErrDeadlineExceeded,
		},
		{
			name:  "own end closed: read",
			setup: func(c *Conn, peer net.Conn) { c.nc.Close() },
			op:    "read", is: net.ErrClosed,
		},
		{
			name:  "own end closed: write",
			setup: func(c *Conn, peer net.Conn) { c.nc.Close() },
			op:    "write", is: net.ErrClosed,
		},
		{
			name:  "peer reset: read",
			setup: resetBy,
			op:    "read", is: syscall.ECONNRESET,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, peer := pair(t)
			tc.setup(c, peer)
			var err error
			if tc.op == "read" {
				_, err = c.Read(make([]byte, 16))
			} else {
				_, err = c.Write([]byte("x"))
			}
			if tc.eof {
				if err != io.EOF {
					t.Fatalf("err = %v, want io.EOF", err)
				}
				return
			}
			var oe *net.OpError
			if !errors.As(err, &oe) || oe.Op != tc.op {
				t.Fatalf("err = %#v, want a *net.OpError for %q", err, tc.op)
			}
			var inner *net.OpError
			if errors.As(oe.Err, &inner) {
				t.Fatalf("err = %v wraps another *net.OpError", err)
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want one that is %v", err, tc.is)
			}
			if tc.is == os.ErrDeadlineExceeded {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Fatalf("err = %v is not a net.Error timeout", err)
				}
			}
		})
	}
}

// resetBy makes peer abort the connection, so that c's next read fails with ECONNRESET.
func resetBy(c *Conn, peer net.Conn) {
	_ = peer.(*net.TCPConn).SetLinger(0)
	peer.Close()
	time.Sleep(20 * time.Millisecond) // let the RST arrive
}

func TestWriteToResetPeer(t *testing.T) {
	c, peer := pair(t)
	resetBy(c, peer)
	var err error
	for i := 0; i < 100 && err == nil; i++ { // the first writes may still be accepted
		_, err = c.Write(make([]byte, 1024))
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("err = %v, want ECONNRESET or EPIPE", err)
	}
}

// TestConcurrent reads and writes from several goroutines at once, as a proxied upgrade
// or a disconnect watch does.
func TestConcurrent(t *testing.T) {
	c, peer := pair(t)
	const n, size = 8, 64 << 10
	go func() { _, _ = io.Copy(peer, peer) }() // echo
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Write(bytes.Repeat([]byte{'a'}, size)); err != nil {
				t.Error(err)
			}
		}()
	}
	total := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		var rwg sync.WaitGroup
		var mu sync.Mutex
		for i := 0; i < 2; i++ {
			rwg.Add(1)
			go func() {
				defer rwg.Done()
				buf := make([]byte, 4096)
				for {
					mu.Lock()
					if total >= n*size {
						mu.Unlock()
						return
					}
					mu.Unlock()
					_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
					k, err := c.Read(buf)
					mu.Lock()
					total += k
					if total >= n*size {
						peer.Close() // the other reader's wait ends with EOF
					}
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
		}
		rwg.Wait()
	}()
	wg.Wait()
	<-done
	if total != n*size {
		t.Fatalf("read back %d bytes, want %d", total, n*size)
	}
}
