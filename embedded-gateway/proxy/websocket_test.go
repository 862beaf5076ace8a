package proxy

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The WebSocket test speaks just enough RFC 6455 by hand: the opening handshake and
// unfragmented frames with payloads under 64 KiB.

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

func wsWriteFrame(w io.Writer, opcode byte, payload []byte, mask bool) error {
	hdr := []byte{0x80 | opcode, 0}
	switch n := len(payload); {
	case n < 126:
		hdr[1] = byte(n)
	case n < 1<<16:
		hdr[1] = 126
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		return errors.New("payload too large for this test")
	}
	data := append([]byte(nil), payload...)
	if mask {
		hdr[1] |= 0x80
		key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
		hdr = append(hdr, key[:]...)
		for i := range data {
			data[i] ^= key[i%4]
		}
	}
	_, err := w.Write(append(hdr, data...))
	return err
}

func wsReadFrame(r io.Reader) (opcode byte, payload []byte, masked bool, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	opcode, masked = h[0]&0x0f, h[1]&0x80 != 0
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err = io.ReadFull(r, l[:]); err != nil {
			return
		}
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		return 0, nil, false, errors.New("64-bit lengths not supported by this test")
	}
	var key [4]byte
	if masked {
		if _, err = io.ReadFull(r, key[:]); err != nil {
			return
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return
}

// wsEcho is an upstream that upgrades and echoes every frame until a close frame.
func wsEcho(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || !strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade, X-Hop\r\nX-Hop: 1\r\n" +
			"Sec-WebSocket-Accept: " + wsAccept(r.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n")
		if err := brw.Flush(); err != nil {
			return
		}
		for {
			op, payload, masked, err := wsReadFrame(brw)
			if err != nil {
				return
			}
			if !masked {
				t.Errorf("client frame not masked")
				return
			}
			if err := wsWriteFrame(conn, op, payload, false); err != nil || op == 0x8 {
				return
			}
		}
	})
}

func TestWebSocketEcho(t *testing.T) {
	up := newServer(t, wsEcho(t))
	p := newProxy(t, Upstream{Name: "ws", Targets: []Target{{URL: up.URL}}}, Options{})
	front := newServer(t, p)

	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(front.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	_, err = io.WriteString(conn, "GET /chat HTTP/1.1\r\nHost: gateway.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "+key+"\r\nSec-WebSocket-Version: 13\r\nX-Request-Id: ws-1\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("Sec-WebSocket-Accept %q", got)
	}
	if resp.Header.Get("X-Request-Id") != "ws-1" || resp.Header.Get("X-Hop") != "" {
		t.Fatalf("101 headers %v", resp.Header)
	}
	for _, msg := range []string{"hello", strings.Repeat("large ", 100)} {
		if err := wsWriteFrame(conn, 0x1, []byte(msg), true); err != nil {
			t.Fatal(err)
		}
		op, payload, masked, err := wsReadFrame(br)
		if err != nil {
			t.Fatal(err)
		}
		if op != 0x1 || masked || string(payload) != msg {
			t.Fatalf("echo op %d masked %v payload %q", op, masked, payload)
		}
	}
	if err := wsWriteFrame(conn, 0x8, []byte{0x03, 0xe8}, true); err != nil {
		t.Fatal(err)
	}
	if op, _, _, err := wsReadFrame(br); err != nil || op != 0x8 {
		t.Fatalf("close frame: op %d, %v", op, err)
	}
}
