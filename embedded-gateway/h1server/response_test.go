package h1server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// newClient returns a client whose transport belongs to the test.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, ExpectContinueTimeout: ioTimeout}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: ioTimeout}
}

func get(t testing.TB, c *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// sendRaw writes raw bytes on a new connection and returns it with a reader.
func sendRaw(t testing.TB, addr, raw string) (*net.TCPConn, *bufio.Reader) {
	t.Helper()
	c := dial(t, addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// rawHead reads a response's status line and fields off the wire, without interpreting
// them, so the test sees the framing the server chose.
func rawHead(t testing.TB, br *bufio.Reader) (string, textproto.MIMEHeader) {
	t.Helper()
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		t.Fatalf("reading a status line: %v", err)
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("reading fields: %v", err)
	}
	return line, h
}

func TestResponseFraming(t *testing.T) {
	write := func(n int, chunks int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			part := n / chunks
			for i := range chunks {
				k := part
				if i == chunks-1 {
					k = n - part*(chunks-1)
				}
				// The first connection of each case goes away after the fields.
				_, _ = w.Write(bytes.Repeat([]byte{'a' + byte(i%26)}, k))
			}
		}
	}
	tests := []struct {
		name      string
		handler   http.Handler
		proto     string
		wantCL    string // "" means none
		wantTE    string
		wantClose bool
		wantLen   int
	}{
		{"empty", write(0, 1), "HTTP/1.1", "0", "", false, 0},
		{"small", write(100, 1), "HTTP/1.1", "100", "", false, 100},
		{"small-many-writes", write(4000, 40), "HTTP/1.1", "4000", "", false, 4000},
		{"exactly-buffer", write(bufferLimit, 3), "HTTP/1.1", "4096", "", false, bufferLimit},
		{"one-over-buffer", write(bufferLimit+1, 2), "HTTP/1.1", "", "chunked", false, bufferLimit + 1},
		{"large-one-write", write(100000, 1), "HTTP/1.1", "", "chunked", false, 100000},
		{"large-many-writes", write(100000, 37), "HTTP/1.1", "", "chunked", false, 100000},
		{"http10-small", write(100, 1), "HTTP/1.0", "100", "", false, 100},
		{"http10-large", write(100000, 7), "HTTP/1.0", "", "", true, 100000},
		{"explicit-length-large", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "10000")
			_, _ = w.Write(bytes.Repeat([]byte("x"), 6000))
			_, _ = w.Write(bytes.Repeat([]byte("x"), 4000))
		}), "HTTP/1.1", "10000", "", false, 10000},
		{"handler-transfer-encoding-ignored", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Transfer-Encoding", "gzip")
			_, _ = w.Write([]byte("plain"))
		}), "HTTP/1.1", "5", "", false, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, &Server{Handler: tc.handler})
			req := "GET / " + tc.proto + "\r\nHost: h\r\n\r\n"
			if tc.proto == "HTTP/1.0" {
				req = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
			}
			c, br := sendRaw(t, ts.addr, req)
			status, h := rawHead(t, br)
			if !strings.HasPrefix(status, tc.proto+" 200 ") {
				t.Errorf("status line %q", status)
			}
			if got := h.Get("Content-Length"); got != tc.wantCL {
				t.Errorf("Content-Length %q, want %q", got, tc.wantCL)
			}
			if got := h.Get("Transfer-Encoding"); got != tc.wantTE {
				t.Errorf("Transfer-Encoding %q, want %q", got, tc.wantTE)
			}
			if h.Get("Date") == "" {
				t.Error("no Date")
			}
			if got := strings.EqualFold(h.Get("Connection"), "close"); got != tc.wantClose {
				t.Errorf("Connection %q, want close %v", h.Get("Connection"), tc.wantClose)
			}
			// Read the same bytes again as a response, to check the body's framing.
			_ = c.Close()
			c2, br2 := sendRaw(t, ts.addr, req)
			resp, body := readResponse(t, br2, "GET")
			if len(body) != tc.wantLen {
				t.Errorf("body of %d bytes, want %d", len(body), tc.wantLen)
			}
			if tc.wantClose {
				if !resp.Close {
					t.Error("the response does not announce the close")
				}
				expectClosed(t, c2, br2)
			} else {
				// The connection carries another request.
				_, _ = io.WriteString(c2, req)
				if resp, _ := readResponse(t, br2, "GET"); resp.StatusCode != 200 {
					t.Errorf("second request got %d", resp.StatusCode)
				}
			}
		})
	}
}

func TestHEADWritesNoBody(t *testing.T) {
	for _, size := range []int{0, 10, 600, bufferLimit + 100, 50000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := append([]byte("<!DOCTYPE html><html><body>"), bytes.Repeat([]byte("p"), size)...)
				n, err := w.Write(body[:min(len(body), size)])
				if err != nil || n != min(len(body), size) {
					t.Errorf("Write = %d, %v", n, err)
				}
			})})
			// HEAD then GET pipelined: the HEAD response must carry no body, or the GET's
			// response would not parse.
			c, br := sendRaw(t, ts.addr, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
			head, hb := readResponse(t, br, "HEAD")
			getResp, gb := readResponse(t, br, "GET")
			if len(hb) != 0 {
				t.Errorf("HEAD body %q", hb)
			}
			if len(gb) != size {
				t.Errorf("GET body of %d bytes, want %d", len(gb), size)
			}
			if a, b := head.Header.Get("Content-Type"), getResp.Header.Get("Content-Type"); a != b {
				t.Errorf("HEAD Content-Type %q, GET %q", a, b)
			}
			if size > 0 && size <= bufferLimit {
				if a, b := head.Header.Get("Content-Length"), getResp.Header.Get("Content-Length"); a != b {
					t.Errorf("HEAD Content-Length %q, GET %q", a, b)
				}
			}
			if te := head.TransferEncoding; len(te) > 0 {
				t.Errorf("HEAD response has Transfer-Encoding %v", te)
			}
			_ = c.Close()
		})
	}
}

func TestNoBodyStatuses(t *testing.T) {
	for _, code := range []int{http.StatusNoContent, http.StatusNotModified} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			werr := make(chan error, 1)
			ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("ETag", `"v1"`)
				w.WriteHeader(code)
				_, err := w.Write([]byte("not allowed"))
				werr <- err
			})})
			c, br := sendRaw(t, ts.addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
			for range 2 {
				status, h := rawHead(t, br)
				if !strings.Contains(status, fmt.Sprint(code)) {
					t.Fatalf("status %q", status)
				}
				if code == http.StatusNoContent && h.Get("Content-Length") != "" {
					t.Errorf("204 with Content-Length %q", h.Get("Content-Length"))
				}
				if h.Get("Transfer-Encoding") != "" || h.Get("Content-Type") != "" {
					t.Errorf("fields of a body: %v", h)
				}
				if err := waitFor(t, werr, "the handler"); !errors.Is(err, http.ErrBodyNotAllowed) {
					t.Errorf("Write = %v, want ErrBodyNotAllowed", err)
				}
			}
			_ = c.Close()
		})
	}
}

func TestShortContentLengthCloses(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		_, _ = w.Write([]byte("short"))
	})})
	c, br := sendRaw(t, ts.addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n")
	_, h := rawHead(t, br)
	if h.Get("Content-Length") != "10" {
		t.Errorf("Content-Length %q", h.Get("Content-Length"))
	}
	rest, err := io.ReadAll(br)
	if err != nil && !isReset(err) {
		t.Fatal(err)
	}
	if string(rest) != "short" {
		t.Errorf("after the fields: %q, want the short body then the close", rest)
	}
	_ = c.Close()
}

func TestWritePastContentLength(t *testing.T) {
	type result struct {
		n1, n2, n3 int
		e1, e2, e3 error
	}
	res := make(chan result, 1)
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		var x result
		x.n1, x.e1 = w.Write([]byte("abc"))
		x.n2, x.e2 = w.Write([]byte("defg"))
		x.n3, x.e3 = io.WriteString(w, "xyz")
		res <- x
	})})
	c, br := sendRaw(t, ts.addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n")
	x := waitFor(t, res, "the handler")
	if x.n1 != 3 || x.e1 != nil {
		t.Errorf("first Write = %d, %v", x.n1, x.e1)
	}
	if x.n2 != 0 || !errors.Is(x.e2, http.ErrContentLength) {
		t.Errorf("Write past the length = %d, %v; want ErrContentLength", x.n2, x.e2)
	}
	if x.n3 != 0 || !errors.Is(x.e3, http.ErrContentLength) {
		t.Errorf("WriteString past the length = %d, %v; want ErrContentLength", x.n3, x.e3)
	}
	_, h := rawHead(t, br)
	if h.Get("Content-Length") != "5" {
		t.Errorf("Content-Length %q", h.Get("Content-Length"))
	}
	// The body is short of what was announced: the connection must end there, not carry
	// the next response where the client expects the rest of the body.
	rest, err := io.ReadAll(br)
	if err != nil && !isReset(err) {
		t.Fatal(err)
	}
	if string(rest) != "abc" {
		t.Errorf("after the fields: %q, want abc then the close", rest)
	}
	_ = c.Close()
}

func TestContentTypeSniffing(t *testing.T) {
	html := "<!DOCTYPE html><html><head><title>t</title></head><body>" + strings.Repeat("text ", 3000) + "</body></html>"
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"small-html", []string{"<html><body>hi</body></html>"}, "text/html; charset=utf-8"},
		{"large-html-one-write", []string{html}, "text/html; charset=utf-8"},
		{"small-then-large", []string{"<!DOCTYPE html>", html}, "text/html; charset=utf-8"},
		{"small-json-then-large", []string{"{", strings.Repeat(" ", 10000) + "}"}, "text/plain; charset=utf-8"},
		{"binary", []string{"\x00\x01\x02binary"}, "application/octet-stream"},
		{"empty", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, s := range tc.writes {
					_, _ = w.Write([]byte(s))
				}
			})})
			resp, _ := get(t, newClient(t), "http://"+ts.addr+"/")
			if got := resp.Header.Get("Content-Type"); got != tc.want {
				t.Errorf("Content-Type %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("explicit-nil-suppresses", func(t *testing.T) {
		ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			_, _ = w.Write([]byte("<html></html>"))
		})})
		resp, _ := get(t, newClient(t), "http://"+ts.addr+"/")
		if _, ok := resp.Header["Content-Type"]; ok {
			t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
		}
	})
}

func TestFlushStreams(t *testing.T) {
	proceed := make(chan struct{})
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first;")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		select {
		case <-proceed:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "second")
	})})
	for _, proto := range []string{"HTTP/1.1", "HTTP/1.0"} {
		t.Run(proto, func(t *testing.T) {
			c, br := sendRaw(t, ts.addr, "GET / "+proto+"\r\nHost: h\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, len("first;"))
			if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first;" {
				t.Fatalf("first part %q, %v", buf, err)
			}
			proceed <- struct{}{}
			rest, err := io.ReadAll(resp.Body)
			if err != nil || string(rest) != "second" {
				t.Errorf("rest %q, %v", rest, err)
			}
			if proto == "HTTP/1.0" && !resp.Close {
				t.Error("an unframed HTTP/1.0 body must end with the connection")
			}
			_ = c.Close()
		})
	}
}

func TestTrailers(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    map[string]string
	}{
		{"declared-small-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Checksum, X-Count")
			_, _ = io.WriteString(w, "payload")
			w.Header().Set("X-Checksum", checksum("payload"))
			w.Header().Set("X-Count", "1")
		}, map[string]string{"X-Checksum": checksum("payload"), "X-Count": "1"}},
		{"declared-large-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Trailer", "X-Size")
			_, _ = w.Write(make([]byte, 3*bufferLimit))
			w.Header().Set("X-Size", "12288")
		}, map[string]string{"X-Size": "12288"}},
		{"prefix-small-body", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "payload")
			w.Header().Set(http.TrailerPrefix+"X-Late", "late")
		}, map[string]string{"X-Late": "late"}},
		{"prefix-after-flush", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "payload")
			w.(http.Flusher).Flush()
			w.Header().Set(http.TrailerPrefix+"X-Late", "late")
		}, map[string]string{"X-Late": "late"}},
		{"prefix-set-before-write", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(http.TrailerPrefix+"X-Early", "early")
			_, _ = io.WriteString(w, "payload")
		}, map[string]string{"X-Early": "early"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, &Server{Handler: tc.handler})
			resp, _ := get(t, newClient(t), "http://"+ts.addr+"/")
			for k, v := range tc.want {
				if got := resp.Trailer.Get(k); got != v {
					t.Errorf("trailer %s = %q, want %q (all: %v)", k, got, v, resp.Trailer)
				}
				if got := resp.Header.Get(k); got != "" {
					t.Errorf("trailer %s also sent as a header field: %q", k, got)
				}
			}
		})
	}
}

func checksum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

func TestEarlyHints(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "final")
	})})
	var got []int
	var links []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got = append(got, code)
		links = append(links, h.Get("Link"))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", "http://"+ts.addr+"/", nil)
	resp, err := newClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(got) != 1 || got[0] != 103 || links[0] != "</style.css>; rel=preload; as=style" {
		t.Errorf("1xx responses %v with Link %q", got, links)
	}
	if resp.StatusCode != 200 || string(body) != "final" {
		t.Errorf("final %d %q", resp.StatusCode, body)
	}

	// An HTTP/1.0 client gets no informational response.
	c, br := sendRaw(t, ts.addr, "GET / HTTP/1.0\r\n\r\n")
	status, _ := rawHead(t, br)
	if !strings.HasPrefix(status, "HTTP/1.0 200") {
		t.Errorf("HTTP/1.0 client got %q first", status)
	}
	_ = c.Close()
}

func TestExpectContinue(t *testing.T) {
	var reads atomic.Int32
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/explicit-100":
			w.WriteHeader(http.StatusContinue)
			b, _ := io.ReadAll(r.Body)
			_, _ = fmt.Fprintf(w, "got %s", b)
			return
		case "/duplex":
			// Read the body on another goroutine while the response goes out.
			got := make(chan []byte)
			go func() {
				b, _ := io.ReadAll(r.Body)
				got <- b
			}()
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			_, _ = fmt.Fprintf(w, "got %s", <-got)
			return
		}
		if r.URL.Path == "/read" {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("reading the body: %v", err)
			}
			reads.Add(1)
			_, _ = fmt.Fprintf(w, "got %s", b)
			return
		}
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "no")
	})})

	t.Run("read-sends-100", func(t *testing.T) {
		c, br := sendRaw(t, ts.addr, "POST /read HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		status, _ := rawHead(t, br)
		if status != "HTTP/1.1 100 Continue" {
			t.Fatalf("first answer %q", status)
		}
		_, _ = io.WriteString(c, "hello")
		resp, body := readResponse(t, br, "POST")
		if resp.StatusCode != 200 || string(body) != "got hello" {
			t.Errorf("%d %q", resp.StatusCode, body)
		}
		// The connection goes on.
		_, _ = io.WriteString(c, "GET /read HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp, body := readResponse(t, br, "GET"); string(body) != "got " {
			t.Errorf("next request: %d %q", resp.StatusCode, body)
		}
	})

	t.Run("unread-answers-and-closes", func(t *testing.T) {
		c, br := sendRaw(t, ts.addr, "POST /deny HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		resp, body := readResponse(t, br, "POST")
		if resp.StatusCode != 403 || string(body) != "no" {
			t.Errorf("%d %q", resp.StatusCode, body)
		}
		if !resp.Close {
			t.Error("the response does not announce the close")
		}
		expectClosed(t, c, br)
	})

	t.Run("other-expectation", func(t *testing.T) {
		out := exchange(t, ts.addr, "POST /read HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 5\r\n\r\nhello")
		rs := parseResponses(t, out)
		if len(rs) != 1 || rs[0].status != http.StatusExpectationFailed {
			t.Fatalf("responses %s", statuses(rs))
		}
		checkProblem(t, rs[0])
	})

	t.Run("handler-sends-100", func(t *testing.T) {
		c, br := sendRaw(t, ts.addr, "POST /explicit-100 HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		if status, _ := rawHead(t, br); status != "HTTP/1.1 100 Continue" {
			t.Fatalf("first answer %q", status)
		}
		_, _ = io.WriteString(c, "hello")
		// One 100 Continue only, then the final response, and the connection goes on.
		status, h := rawHead(t, br)
		if status != "HTTP/1.1 200 OK" || h.Get("Connection") == "close" {
			t.Fatalf("then %q %v", status, h)
		}
		if body := make([]byte, 9); func() bool { _, err := io.ReadFull(br, body); return err != nil || string(body) != "got hello" }() {
			t.Fatalf("body %q", body)
		}
		_, _ = io.WriteString(c, "GET /read HTTP/1.1\r\nHost: h\r\n\r\n")
		if _, body := readResponse(t, br, "GET"); string(body) != "got " {
			t.Errorf("next request: %q", body)
		}
	})

	t.Run("full-duplex", func(t *testing.T) {
		c, br := sendRaw(t, ts.addr, "POST /duplex HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		// Whether the 100 Continue or the final header goes first is a race the server
		// settles; the client sends the body after either.
		status, _ := rawHead(t, br)
		_, _ = io.WriteString(c, "hello")
		if status == "HTTP/1.1 100 Continue" {
			status, _ = rawHead(t, br)
		}
		if status != "HTTP/1.1 200 OK" {
			t.Fatalf("status %q", status)
		}
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("body: %v", err)
			}
			if line == "got hello\r\n" {
				break
			}
		}
	})

	t.Run("go-client", func(t *testing.T) {
		before := reads.Load()
		req, _ := http.NewRequest("POST", "http://"+ts.addr+"/read", strings.NewReader("from client"))
		req.Header.Set("Expect", "100-continue")
		var got100 atomic.Bool
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			Got100Continue: func() { got100.Store(true) },
		}))
		resp, err := newClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "got from client" || !got100.Load() || reads.Load() != before+1 {
			t.Errorf("body %q, got 100 %v", body, got100.Load())
		}
	})
}

func TestHijack(t *testing.T) {
	handlerDone := make(chan struct{})
	release := make(chan struct{})
	ts := startServer(t, &Server{
		ReadHeaderTimeout: 100 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer close(handlerDone)
			nc, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrHijacked) {
				t.Errorf("Write after Hijack = %v", err)
			}
			if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrHijacked) {
				t.Errorf("second Hijack = %v", err)
			}
			if err := http.NewResponseController(w).Flush(); !errors.Is(err, http.ErrHijacked) {
				t.Errorf("Flush after Hijack = %v", err)
			}
			_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			_ = brw.Flush()
			// Echo lines, also after the handler has returned, on the connection it owns.
			go func() {
				defer nc.Close()
				for {
					line, err := brw.ReadString('\n')
					if err != nil {
						return
					}
					_, _ = brw.WriteString("echo " + line)
					_ = brw.Flush()
				}
			}()
			<-release
		}),
	})
	// echo sends a line (none if empty) and expects want back.
	echo := func(c net.Conn, br *bufio.Reader, send, want string) {
		t.Helper()
		_, _ = io.WriteString(c, send)
		if got, err := br.ReadString('\n'); err != nil || got != want {
			t.Fatalf("after sending %q: %q, %v; want %q", send, got, err, want)
		}
	}
	// The first line rides in the same write as the request: it sits in the server's
	// read buffer, which the hijacker must get.
	c, br := sendRaw(t, ts.addr, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly\n")
	status, _ := rawHead(t, br)
	if status != "HTTP/1.1 101 Switching Protocols" {
		t.Fatalf("status %q", status)
	}
	echo(c, br, "", "echo early\n")
	// Close, while the handler still runs, leaves the hijacked connection alone.
	_ = ts.Close()
	echo(c, br, "after close\n", "echo after close\n")
	close(release)
	waitFor(t, handlerDone, "the handler to return")
	// Wait past the server's header deadline: the hijacker's connection has none, and the
	// server does not close it when the handler returns.
	time.Sleep(300 * time.Millisecond)
	echo(c, br, "late\n", "echo late\n")
}

func TestPanics(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			_, _ = io.WriteString(w, "partial")
			panic("boom")
		case "/abort":
			panic(http.ErrAbortHandler)
		case "/bad-status":
			w.WriteHeader(42)
		}
		_, _ = io.WriteString(w, "ok")
	})})
	for _, path := range []string{"/panic", "/abort", "/bad-status"} {
		c, br := sendRaw(t, ts.addr, "GET "+path+" HTTP/1.1\r\nHost: h\r\n\r\n")
		expectClosed(t, c, br)
		// The server goes on serving other connections.
		if resp, body := get(t, newClient(t), "http://"+ts.addr+"/fine"); resp.StatusCode != 200 || string(body) != "ok" {
			t.Errorf("after %s: %d %q", path, resp.StatusCode, body)
		}
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, "panic=boom") || !strings.Contains(logs, "level=ERROR") {
		t.Errorf("the panic was not logged: %s", logs)
	}
	if strings.Contains(logs, "abort") {
		t.Errorf("http.ErrAbortHandler was logged: %s", logs)
	}
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func TestKeepAliveReuse(t *testing.T) {
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		_, _ = io.WriteString(w, r.URL.Path)
	})}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: inner}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	defer func() {
		_ = s.Close()
		if err := waitFor(t, done, "Serve"); !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve = %v", err)
		}
	}()
	client := newClient(t)
	for i := range 100 {
		var reused bool
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
		})
		method, body := "GET", io.Reader(nil)
		if i%3 == 1 {
			method, body = "POST", strings.NewReader(strings.Repeat("b", i*100))
		}
		req, _ := http.NewRequestWithContext(ctx, method, fmt.Sprintf("http://%s/r%d", inner.Addr(), i), body)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != fmt.Sprintf("/r%d", i) {
			t.Fatalf("request %d got %q", i, got)
		}
		if i > 0 && !reused {
			t.Fatalf("request %d did not reuse the connection", i)
		}
	}
	if n := ln.n.Load(); n != 1 {
		t.Errorf("%d connections accepted, want 1", n)
	}
}

func TestContextCancelledOnDisconnect(t *testing.T) {
	type result struct {
		err   error
		cause error
	}
	started := make(chan struct{}, 1)
	results := make(chan result, 1)
	ts := startServer(t, &Server{
		DisconnectCheck: 20 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" {
				_, _ = io.ReadAll(r.Body)
			}
			started <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-time.After(ioTimeout):
			}
			results <- result{r.Context().Err(), context.Cause(r.Context())}
		}),
	})
	for _, req := range []string{
		"GET /slow HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /slow HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		"POST /slow HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	} {
		c, _ := sendRaw(t, ts.addr, req)
		waitFor(t, started, "the handler")
		_ = c.Close()
		if r := waitFor(t, results, "the handler to see the disconnect"); !errors.Is(r.err, context.Canceled) {
			t.Errorf("%q: context error %v, want Canceled", req, r.err)
		}
	}
}

// TestContextCancelledAfterLateBodyRead: the handler reads the body only after the
// disconnect check has come and gone; the watch starts when the body ends.
func TestContextCancelledAfterLateBodyRead(t *testing.T) {
	readNow := make(chan struct{})
	bodyRead := make(chan struct{}, 1)
	results := make(chan error, 1)
	ts := startServer(t, &Server{
		DisconnectCheck: 20 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-readNow
			_, _ = io.ReadAll(r.Body)
			bodyRead <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-time.After(ioTimeout):
			}
			results <- r.Context().Err()
		}),
	})
	for _, req := range []string{
		"POST /late HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		"POST /late HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	} {
		c, _ := sendRaw(t, ts.addr, req)
		time.Sleep(100 * time.Millisecond) // let the disconnect check pass unanswered
		readNow <- struct{}{}
		waitFor(t, bodyRead, "the handler to read the body")
		_ = c.Close()
		if err := waitFor(t, results, "the handler to see the disconnect"); !errors.Is(err, context.Canceled) {
			t.Errorf("%q: context error %v, want Canceled", req, err)
		}
	}
}

func TestContextNotCancelled(t *testing.T) {
	errs := make(chan error, 1)
	ts := startServer(t, &Server{
		DisconnectCheck: 20 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				// Outlive the disconnect check several times while the client waits.
				select {
				case <-r.Context().Done():
				case <-time.After(150 * time.Millisecond):
				}
			}
			if r.Method == "POST" {
				_, _ = io.ReadAll(r.Body)
			}
			errs <- r.Context().Err()
			_, _ = io.WriteString(w, "ok")
		}),
	})
	client := newClient(t)
	for _, path := range []string{"/quick", "/slow", "/quick", "/slow", "/quick"} {
		resp, body := get(t, client, "http://"+ts.addr+path)
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Errorf("%s: %d %q", path, resp.StatusCode, body)
		}
		if err := waitFor(t, errs, "the handler"); err != nil {
			t.Errorf("%s: context ended: %v", path, err)
		}
	}
	// A pipelined request that arrives during a long handler is not a disconnect either,
	// and is served after it.
	c, br := sendRaw(t, ts.addr, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	_, _ = io.WriteString(c, "GET /quick HTTP/1.1\r\nHost: h\r\n\r\n")
	for range 2 {
		if resp, body := readResponse(t, br, "GET"); string(body) != "ok" {
			t.Errorf("pipelined: %d %q", resp.StatusCode, body)
		}
		if err := waitFor(t, errs, "the handler"); err != nil {
			t.Errorf("pipelined: context ended: %v", err)
		}
	}
}

func TestUnreadBody(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("read") != "" {
			buf := make([]byte, 10)
			_, _ = io.ReadFull(r.Body, buf)
		}
		if r.URL.Query().Get("close") != "" {
			_ = r.Body.Close()
		}
		_, _ = io.WriteString(w, "done")
	})})

	t.Run("small-drained", func(t *testing.T) {
		for _, q := range []string{"", "read=1", "close=1", "read=1&close=1"} {
			for _, framing := range []string{"length", "chunked"} {
				body := strings.Repeat("b", 20000)
				req := "POST /?" + q + " HTTP/1.1\r\nHost: h\r\n"
				if framing == "length" {
					req += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
				} else {
					req += fmt.Sprintf("Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
				}
				c, br := sendRaw(t, ts.addr, req+"GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
				for i := range 2 {
					resp, got := readResponse(t, br, "GET")
					if string(got) != "done" || resp.Close {
						t.Errorf("%s %s response %d: %q close=%v", q, framing, i, got, resp.Close)
					}
				}
				_ = c.Close()
			}
		}
	})

	t.Run("huge-closes", func(t *testing.T) {
		for _, framing := range []string{"length", "chunked"} {
			const size = 8 << 20
			c := dial(t, ts.addr)
			head := "POST / HTTP/1.1\r\nHost: h\r\n"
			if framing == "length" {
				head += fmt.Sprintf("Content-Length: %d\r\n\r\n", size)
			} else {
				head += "Transfer-Encoding: chunked\r\n\r\n"
			}
			_, _ = io.WriteString(c, head)
			// Send the body in the background: the server answers, then stops reading.
			go func() {
				chunk := bytes.Repeat([]byte("x"), 32<<10)
				for sent := 0; sent < size; sent += len(chunk) {
					var err error
					if framing == "length" {
						_, err = c.Write(chunk)
					} else {
						_, err = fmt.Fprintf(c, "%x\r\n%s\r\n", len(chunk), chunk)
					}
					if err != nil {
						return
					}
				}
			}()
			br := bufio.NewReader(c)
			resp, got := readResponse(t, br, "POST")
			if string(got) != "done" {
				t.Errorf("%s: %d %q", framing, resp.StatusCode, got)
			}
			// A declared length too large to skip is known before the response; a chunked
			// body is found too large only after it.
			if framing == "length" && !resp.Close {
				t.Errorf("%s: the response does not announce the close", framing)
			}
			expectClosed(t, c, br)
		}
	})
}

// TestUnreadBodyNotSent: a handler that ignores the body answers at once, without waiting
// for a body the client has not sent yet; the connection goes on if the body follows in
// time, and closes if it does not.
func TestUnreadBodyNotSent(t *testing.T) {
	ts := startServer(t, &Server{ReadHeaderTimeout: 200 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ignored "+r.URL.Path)
	})})
	head := "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"

	c, br := sendRaw(t, ts.addr, head)
	if resp, body := readResponse(t, br, "POST"); string(body) != "ignored /a" || resp.Close {
		t.Fatalf("%d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	_, _ = io.WriteString(c, "helloGET /b HTTP/1.1\r\nHost: h\r\n\r\n")
	if _, body := readResponse(t, br, "GET"); string(body) != "ignored /b" {
		t.Fatalf("next request: %q", body)
	}

	c, br = sendRaw(t, ts.addr, head)
	if _, body := readResponse(t, br, "POST"); string(body) != "ignored /a" {
		t.Fatalf("%q", body)
	}
	expectClosed(t, c, br)
}

func TestLocalAddrContext(t *testing.T) {
	// On a wildcard listener, the handler learns the address the client reached, not the
	// listener's.
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Skipf("no wildcard listener: %v", err)
	}
	got := make(chan any, 1)
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Context().Value(http.LocalAddrContextKey)
	})}
	go func() { _ = s.Serve(ln) }()
	defer s.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	c, br := sendRaw(t, net.JoinHostPort("127.0.0.1", port), "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	readResponse(t, br, "GET")
	addr, ok := waitFor(t, got, "the handler").(net.Addr)
	if !ok || addr.String() != c.RemoteAddr().String() {
		t.Errorf("LocalAddrContextKey = %v, want the connection's local address %v", addr, c.RemoteAddr())
	}
}

func TestResponseControllerDeadlines(t *testing.T) {
	errs := make(chan error, 2)
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		errs <- rc.SetReadDeadline(time.Now().Add(time.Minute))
		errs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		_ = rc.EnableFullDuplex()
		_, _ = io.WriteString(w, "ok")
	})})
	resp, _ := get(t, newClient(t), "http://"+ts.addr+"/")
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	for range 2 {
		if err := waitFor(t, errs, "the handler"); err != nil {
			t.Error(err)
		}
	}
}

func TestNilHandlerAndOptionsStar(t *testing.T) {
	ts := startServer(t, &Server{})
	rs := parseResponses(t, exchange(t, ts.addr, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n"))
	if len(rs) != 2 || rs[0].status != 200 || len(rs[0].body) != 0 || rs[1].status != 404 {
		t.Errorf("responses %s", statuses(rs))
	}
}

// TestResponseFieldSanitizing: a handler cannot split the response with line breaks in
// field values or names, in the header or in trailers.
func TestResponseFieldSanitizing(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Split", "a\r\nInjected: yes")
		w.Header().Set("Bad Name", "v")
		w.Header()["X-Bad\r\nName"] = []string{"v"}
		w.Header().Set("X-Padded", "  v  ")
		w.Header().Set("Trailer", "X-Trail")
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Trail", "t\nInjected-Trailer: yes")
	})})
	resp, body := get(t, newClient(t), "http://"+ts.addr+"/")
	if string(body) != "body" {
		t.Errorf("body %q", body)
	}
	if resp.Header.Get("Injected") != "" || resp.Trailer.Get("Injected-Trailer") != "" {
		t.Errorf("a field was injected: %v %v", resp.Header, resp.Trailer)
	}
	if got := resp.Header.Get("X-Split"); got != "a  Injected: yes" {
		t.Errorf("X-Split %q", got)
	}
	if got := resp.Header.Get("X-Padded"); got != "v" {
		t.Errorf("X-Padded %q", got)
	}
	if got := resp.Trailer.Get("X-Trail"); got != "t Injected-Trailer: yes" {
		t.Errorf("X-Trail %q", got)
	}
	for k := range resp.Header {
		if strings.Contains(k, " ") || strings.Contains(k, "Name") {
			t.Errorf("invalid field name sent: %q", k)
		}
	}
}

// TestBodyAfterClose: reading a body the handler closed fails; the connection goes on.
func TestBodyAfterClose(t *testing.T) {
	errs := make(chan error, 1)
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.Body.Close()
		_, err := r.Body.Read(make([]byte, 1))
		errs <- err
	})})
	c, br := sendRaw(t, ts.addr, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx")
	for range 2 {
		if resp, _ := readResponse(t, br, "POST"); resp.StatusCode != 200 || resp.Close {
			t.Fatalf("%d close=%v", resp.StatusCode, resp.Close)
		}
		if err := waitFor(t, errs, "the handler"); !errors.Is(err, http.ErrBodyReadAfterClose) {
			t.Errorf("Read after Close = %v", err)
		}
	}
	_ = c.Close()
}

// TestReverseProxyAbort: a proxied response the upstream breaks off reaches the client
// broken, not as a complete shorter body. httputil.ReverseProxy aborts it (panicking with
// http.ErrAbortHandler) only when it finds an *http.Server under http.ServerContextKey.
func TestReverseProxyAbort(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		for {
			c, err := up.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"+
					"Transfer-Encoding: chunked\r\n\r\n5\r\n[1,2,\r\n") // and then the connection ends
			}()
		}
	}()
	target := &url.URL{Scheme: "http", Host: up.Addr().String()}
	srvKey := make(chan any, 1)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srvKey <- r.Context().Value(http.ServerContextKey)
		proxy.ServeHTTP(w, r)
	})})
	resp, err := newClient(t).Get("http://" + ts.addr + "/items")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("read a complete body %q from a response the upstream cut short", body)
	}
	if _, ok := waitFor(t, srvKey, "the handler").(*http.Server); !ok {
		t.Error("no *http.Server under http.ServerContextKey")
	}
	if logs := ts.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("the abort was logged as an error: %s", logs)
	}
}

// TestHandlerHeaderUntouched checks that what the server adds to a response (Date,
// Content-Length, Content-Type, Connection, Transfer-Encoding) goes to the wire only: a
// middleware may read the handler's map after the handler returned, as capture does.
func TestHandlerHeaderUntouched(t *testing.T) {
	maps := make(chan http.Header, 2)
	ts := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Mine", "1")
		w.Header().Set("Transfer-Encoding", "identity")
		if r.URL.Path == "/big" {
			_, _ = w.Write(bytes.Repeat([]byte("a"), 3*bufferLimit))
		} else {
			_, _ = io.WriteString(w, "<html>hi</html>")
		}
		maps <- w.Header()
	})})
	for _, path := range []string{"/small", "/big"} {
		out := exchange(t, ts.addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		for _, want := range []string{"Date: ", "Connection: close", "Content-Type: text/"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("%s: the response lacks %q:\n%s", path, want, out)
			}
		}
		h := waitFor(t, maps, "the handler's header")
		if len(h) != 2 || h.Get("X-Mine") != "1" || h.Get("Transfer-Encoding") != "identity" {
			t.Errorf("%s: the handler's header map changed to %v", path, h)
		}
	}
}
