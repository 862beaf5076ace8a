package h1server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// fuzzMaxHeaderBytes is the header limit in the fuzz targets: small, so that the limit's
// edges are within reach.
const fuzzMaxHeaderBytes = 2 << 10

func addCorpus(f *testing.F) {
	for _, c := range requestCorpus {
		if len(c.raw) <= 8<<10 {
			f.Add([]byte(c.raw))
		}
	}
}

// FuzzReadRequest feeds arbitrary bytes to the parser, request after request as on one
// connection: it must not panic, an accepted request must be well formed, and reading its
// body must end without reading past the input.
func FuzzReadRequest(f *testing.F) {
	addCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p parser
		src := bytes.NewReader(data)
		br := bufio.NewReaderSize(src, 4<<10)
		for range 8 {
			req, b, err := p.readRequest(br, fuzzMaxHeaderBytes)
			if err != nil {
				var pe *protocolError
				switch {
				case errors.As(err, &pe):
					if pe.detail == "" || !slices.Contains([]int{400, 417, 431, 501, 505}, pe.status) {
						t.Fatalf("refusal %d %q", pe.status, pe.detail)
					}
					if len(problemBody(pe.status, pe.detail)) == 0 {
						t.Fatal("empty problem body")
					}
				case errors.Is(err, io.EOF):
				default:
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			checkRequest(t, req, b)
			if b == nil {
				continue
			}
			consumedBefore := consumed(data, src, br)
			n, err := io.Copy(io.Discard, b)
			if n > int64(len(data)-consumedBefore) {
				t.Fatalf("the body yielded %d bytes from %d left", n, len(data)-consumedBefore)
			}
			if err != nil {
				return // the connection would close here
			}
			if !b.done() {
				t.Fatal("a body read to its end is not done")
			}
			if req.ContentLength >= 0 && n != req.ContentLength {
				t.Fatalf("read %d bytes of a %d-byte body", n, req.ContentLength)
			}
			// A second read keeps returning EOF.
			if k, err := b.Read(make([]byte, 1)); k != 0 || err != io.EOF {
				t.Fatalf("read after EOF = %d, %v", k, err)
			}
		}
	})
}

// consumed is how many bytes of data the reader stack has taken out of its buffers.
func consumed(data []byte, src *bytes.Reader, br *bufio.Reader) int {
	return len(data) - src.Len() - br.Buffered()
}

// checkRequest checks what an accepted request must look like.
func checkRequest(t *testing.T, req *http.Request, b *body) {
	t.Helper()
	if req == nil || req.URL == nil || req.Header == nil {
		t.Fatalf("incomplete request %+v", req)
	}
	if req.Method == "" || strings.IndexFunc(req.Method, func(r rune) bool { return !httpguts.IsTokenRune(r) }) >= 0 {
		t.Fatalf("method %q", req.Method)
	}
	if req.ProtoMajor != 1 || req.Proto == "" || !strings.HasPrefix(req.Proto, "HTTP/1.") {
		t.Fatalf("protocol %q %d.%d", req.Proto, req.ProtoMajor, req.ProtoMinor)
	}
	if req.ProtoAtLeast(1, 1) && !httpguts.ValidHostHeader(req.Host) {
		t.Fatalf("host %q", req.Host)
	}
	if _, ok := req.Header["Host"]; ok {
		t.Fatal("Host left in the header map")
	}
	for k, vs := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) || k != http.CanonicalHeaderKey(k) {
			t.Fatalf("field name %q", k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) || v != strings.Trim(v, " \t") {
				t.Fatalf("field %s value %q", k, v)
			}
		}
	}
	switch {
	case b == nil:
		if req.ContentLength != 0 || req.TransferEncoding != nil {
			t.Fatalf("no body, yet length %d and coding %v", req.ContentLength, req.TransferEncoding)
		}
	case req.ContentLength == -1:
		if !slices.Equal(req.TransferEncoding, []string{"chunked"}) || req.Header["Content-Length"] != nil ||
			req.Header["Transfer-Encoding"] != nil || !req.ProtoAtLeast(1, 1) {
			t.Fatalf("chunked body with coding %v, header %v", req.TransferEncoding, req.Header)
		}
	case req.ContentLength > 0:
		if req.TransferEncoding != nil || len(req.Header["Content-Length"]) != 1 {
			t.Fatalf("length body with coding %v, header %v", req.TransferEncoding, req.Header)
		}
	default:
		t.Fatalf("body with length %d", req.ContentLength)
	}
}

// FuzzFramingAgainstNetHTTP checks that whatever this parser accepts, net/http accepts
// too, with the same request and, above all, the same framing: the body has the same
// bytes and ends at the same place, so the two cannot disagree on where the next request
// starts (request smuggling). Where the parser is stricter, nothing is compared.
func FuzzFramingAgainstNetHTTP(f *testing.F) {
	addCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || data[0] == '\r' || data[0] == '\n' || len(data) > 4000 {
			return // leading empty lines are skipped here only; long trailers differ on purpose
		}
		var p parser
		src := bytes.NewReader(data)
		br := bufio.NewReaderSize(src, 4<<10)
		req, b, err := p.readRequest(br, 64<<10)
		if err != nil {
			return
		}
		req = req.WithContext(t.Context())
		if b != nil {
			b.req = req
		}
		stdSrc := bytes.NewReader(data)
		stdBR := bufio.NewReaderSize(stdSrc, 4<<10)
		std, err := http.ReadRequest(stdBR)
		if err == nil {
			err = serverChecks(std)
		}
		if err != nil {
			t.Fatalf("accepted here, refused by net/http: %v", err)
		}
		for _, c := range []struct {
			what      string
			ours, std any
		}{
			{"method", req.Method, std.Method},
			{"target", req.RequestURI, std.RequestURI},
			{"URL", req.URL.String(), std.URL.String()},
			{"proto", req.Proto, std.Proto},
			{"minor", req.ProtoMinor, std.ProtoMinor},
			{"host", req.Host, std.Host},
			{"length", req.ContentLength, std.ContentLength},
			{"coding", strings.Join(req.TransferEncoding, ","), strings.Join(std.TransferEncoding, ",")},
			{"close", req.Close, std.Close},
			{"header", strings.Join(sortedFields(req.Header), "\n"), strings.Join(sortedFields(std.Header), "\n")},
		} {
			if c.ours != c.std {
				t.Fatalf("%s: %v here, %v in net/http", c.what, c.ours, c.std)
			}
		}
		var ours []byte
		if b != nil {
			if ours, err = io.ReadAll(b); err != nil {
				return
			}
		}
		theirs, err := io.ReadAll(std.Body)
		if err != nil {
			t.Fatalf("body read here (%q), failed in net/http: %v", ours, err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Fatalf("body %q here, %q in net/http", ours, theirs)
		}
		if a, b := strings.Join(sortedFields(req.Trailer), "\n"), strings.Join(sortedFields(std.Trailer), "\n"); a != b {
			t.Fatalf("trailer %q here, %q in net/http", a, b)
		}
		if a, b := consumed(data, src, br), consumed(data, stdSrc, stdBR); a != b {
			t.Fatalf("the request ends at byte %d here, %d in net/http", a, b)
		}
	})
}

// serverChecks applies what net/http's server checks beyond http.ReadRequest, as far as
// ReadRequest's result shows it (it drops the Host field).
func serverChecks(r *http.Request) error {
	if r.ProtoMajor != 1 {
		return errors.New("unsupported protocol version")
	}
	if r.URL.Host == "" && !httpguts.ValidHostHeader(r.Host) {
		return errors.New("malformed Host header")
	}
	for k, vv := range r.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return errors.New("invalid header name")
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return errors.New("invalid header value")
			}
		}
	}
	return nil
}
