package proxy

import (
	"bufio"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// responseCorpus holds raw responses and the method of the request they answer.
var responseCorpus = []struct {
	name, method, raw string
}{
	{"content length", "GET", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"},
	{"zero length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
	{"chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"},
	{"chunked trailers", "GET", "HTTP/1.1 200 OK\r\nTrailer: X-Sum, X-Other\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 42\r\nX-Other: y\r\n\r\n"},
	{"chunked beats length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"},
	{"until close", "GET", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"},
	{"http 1.0", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"},
	{"http 1.0 keep-alive", "GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc"},
	{"connection close", "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"},
	{"head with length", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"},
	{"no content", "GET", "HTTP/1.1 204 No Content\r\nDate: Tue, 01 Jan 2030 00:00:00 GMT\r\n\r\n"},
	{"not modified", "GET", "HTTP/1.1 304 Not Modified\r\nEtag: \"x\"\r\n\r\n"},
	{"early hints", "GET", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"},
	{"custom reason", "GET", "HTTP/1.1 200 Fine Thanks\r\nContent-Length: 0\r\n\r\n"},
	{"no reason", "GET", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"},
	{"unknown code", "GET", "HTTP/1.1 599 Whatever\r\nContent-Length: 1\r\n\r\nx"},
	{"repeated fields", "GET", "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nVary: Accept\r\nVARY: Origin\r\nContent-Length: 0\r\n\r\n"},
	{"value spaces", "GET", "HTTP/1.1 200 OK\r\nX-A:   padded \t\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n"},
	{"bare LF", "GET", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"},
	{"same lengths twice", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"},
	{"long header", "GET", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("v", 9000) + "\r\nContent-Length: 0\r\n\r\n"},
	// Refused by both.
	{"conflicting lengths", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"},
	{"bad length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n"},
	{"bad status", "GET", "HTTP/1.1 2x0 OK\r\n\r\n"},
	{"no status", "GET", "HTTP/1.1\r\n\r\n"},
	{"bad proto", "GET", "HTPP/1.1 200 OK\r\n\r\n"},
	{"empty", "GET", ""},
	{"cut header", "GET", "HTTP/1.1 200 OK\r\nContent-Le"},
	{"unknown coding", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"},
}

// readAll reads a response's body to its end.
func readAll(resp *http.Response) (string, error) {
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestReadResponseMatchesNetHTTP checks that respReader sees every response as
// http.ReadResponse does: status, protocol, fields, framing, body and trailers.
func TestReadResponseMatchesNetHTTP(t *testing.T) {
	for _, tc := range responseCorpus {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "http://upstream.test/x", nil)
			want, werr := http.ReadResponse(bufio.NewReader(strings.NewReader(tc.raw)), req)
			var rr respReader
			got, gerr := rr.read(bufio.NewReaderSize(strings.NewReader(tc.raw), 4096), req)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("net/http error %v, ours %v", werr, gerr)
			}
			if werr != nil {
				return
			}
			if got.StatusCode != want.StatusCode || got.Status != want.Status || got.Proto != want.Proto ||
				got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor {
				t.Errorf("status line: got %d %q %s, want %d %q %s", got.StatusCode, got.Status, got.Proto,
					want.StatusCode, want.Status, want.Proto)
			}
			if !reflect.DeepEqual(got.Header, want.Header) {
				t.Errorf("header:\n got %q\nwant %q", got.Header, want.Header)
			}
			if got.ContentLength != want.ContentLength || got.Close != want.Close ||
				!reflect.DeepEqual(got.TransferEncoding, want.TransferEncoding) {
				t.Errorf("framing: got length %d close %v te %q, want %d %v %q", got.ContentLength, got.Close,
					got.TransferEncoding, want.ContentLength, want.Close, want.TransferEncoding)
			}
			if (got.Body == http.NoBody) != (want.Body == http.NoBody) {
				t.Errorf("NoBody: got %v, want %v", got.Body == http.NoBody, want.Body == http.NoBody)
			}
			if !reflect.DeepEqual(keysOf(got.Trailer), keysOf(want.Trailer)) {
				t.Errorf("announced trailers: got %q, want %q", got.Trailer, want.Trailer)
			}
			gb, gerr := readAll(got)
			wb, werr := readAll(want)
			if gb != wb || (gerr == nil) != (werr == nil) {
				t.Errorf("body: got %q (%v), want %q (%v)", gb, gerr, wb, werr)
			}
			if !reflect.DeepEqual(got.Trailer, want.Trailer) {
				t.Errorf("trailers: got %q, want %q", got.Trailer, want.Trailer)
			}
		})
	}
}

func keysOf(h http.Header) []string {
	var ks []string
	for k := range h {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestReadResponseShortBody checks that a body cut short by the target is an error, not
// a quiet end.
func TestReadResponseShortBody(t *testing.T) {
	for _, raw := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n",
	} {
		var rr respReader
		resp, err := rr.read(bufio.NewReader(strings.NewReader(raw)), nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if _, err := io.ReadAll(resp.Body); err != io.ErrUnexpectedEOF {
			t.Errorf("%q: body error %v, want io.ErrUnexpectedEOF", raw, err)
		}
	}
}

// TestReadResponseKeepsPipeline checks that reading a response leaves the next one intact
// on the connection's reader.
func TestReadResponseKeepsPipeline(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
	br := bufio.NewReader(strings.NewReader(raw))
	var rr respReader
	for _, want := range []struct {
		code int
		body string
	}{{200, "ok"}, {201, "z"}, {204, ""}} {
		resp, err := rr.read(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := readAll(resp)
		if err != nil || resp.StatusCode != want.code || b != want.body {
			t.Fatalf("got %d %q %v, want %d %q", resp.StatusCode, b, err, want.code, want.body)
		}
	}
}

// FuzzReadResponse feeds arbitrary bytes to the response reader: it must not panic, and a
// body it frames must end.
func FuzzReadResponse(f *testing.F) {
	for _, tc := range responseCorpus {
		f.Add(tc.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var rr respReader
		resp, err := rr.read(bufio.NewReaderSize(strings.NewReader(raw), 64), nil)
		if err != nil {
			return
		}
		if resp.Header == nil || resp.StatusCode < 100 || resp.StatusCode > 999 {
			t.Fatalf("accepted a response with status %d and header %v", resp.StatusCode, resp.Header)
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, int64(len(raw))+1))
		if n > int64(len(raw)) {
			t.Fatalf("read %d body bytes from %d input bytes", n, len(raw))
		}
	})
}
