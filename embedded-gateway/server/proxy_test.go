package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
)

// rawUpstream accepts connections and lets answer write whatever it likes on each.
func rawUpstream(t *testing.T, answer func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				answer(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// runProxy serves one API in proxy mode to upstream through Run, and returns its address.
func runProxy(t *testing.T, upstream string) string {
	t.Helper()
	s, _, err := spec.Parse("pets.yaml", []byte(petstore))
	if err != nil {
		t.Fatal(err)
	}
	a, err := config.NewAPI("pets", "test", "/", s.Definition, s.Hash)
	if err != nil {
		t.Fatal(err)
	}
	a.Mode = model.ModeProxy
	a.Upstream = json.RawMessage(`{"targets":[{"url":"` + upstream + `"}]}`)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	src := make(chanSource, 1)
	src <- &config.Snapshot{Revision: 1, APIs: []*config.API{a}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- Run(ctx, Options{Gateway: gateway.New(gateway.Options{}), Source: src, Listener: ln,
			Ready: func(*config.Snapshot, string) { close(ready) }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not stop")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	return ln.Addr().String()
}

// TestRunProxyBodyCutShort checks that a body the target breaks off mid-way reaches the
// client as a broken response (the connection drops before the last chunk), never as a
// complete but shorter one.
func TestRunProxyBodyCutShort(t *testing.T) {
	up := rawUpstream(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+
			"5\r\n[1,2,\r\n") // and then nothing: the connection closes
	})
	addr := runProxy(t, up)
	resp, err := http.Get("http://" + addr + "/pets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("the client read a complete body %q from a response the target cut short", body)
	}
}

// TestRunProxyStreams checks that an event stream reaches the client event by event, before
// the target has finished.
func TestRunProxyStreams(t *testing.T) {
	next := make(chan struct{})
	up := rawUpstream(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
		for i := range 3 {
			ev := "data: " + string(rune('a'+i)) + "\n\n"
			_, _ = io.WriteString(c, strconv.FormatInt(int64(len(ev)), 16)+"\r\n"+ev+"\r\n")
			<-next
		}
		_, _ = io.WriteString(c, "0\r\n\r\n")
	})
	addr := runProxy(t, up)
	resp, err := http.Get("http://" + addr + "/pets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if want := "data: " + string(rune('a'+i)) + "\n"; line != want {
			t.Fatalf("event %d: %q, want %q", i, line, want)
		}
		_, _ = br.ReadString('\n')
		next <- struct{}{} // the target sends the next event only now
	}
}

// TestRunProxyUpgrade checks that a protocol upgrade (WebSocket) is proxied: after the 101
// both directions carry raw bytes.
func TestRunProxyUpgrade(t *testing.T) {
	up := rawUpstream(t, func(c net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil || req.Header.Get("Upgrade") != "websocket" {
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		_, _ = io.WriteString(c, "echo "+line)
	})
	addr := runProxy(t, up)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, "GET /pets HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	_, _ = io.WriteString(c, "hello\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "echo hello\n" {
		t.Fatalf("after the upgrade: %q, %v", line, err)
	}
}
