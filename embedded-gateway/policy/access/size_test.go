package access

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// readAll is a next handler that reads the body and answers with its length, or with the
// 413 problem when the body is over the limit.
var readAll = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if limit, ok := TooLargeLimit(err); ok && IsTooLarge(err) {
			WriteTooLarge(w, r, limit)
			return
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, len(b))
})

// unsized hides a body's length so that the request is sent chunked.
type unsized struct{ io.Reader }

func TestRequestSize(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		chunked    bool
		wantStatus int
		wantCalled bool
		wantBody   string
	}{
		{"under the limit", "0123456789", false, 200, true, "10"},
		{"at the limit", strings.Repeat("x", 16), false, 200, true, "16"},
		{"Content-Length over the limit is refused before reading", strings.Repeat("x", 17), false, 413, false, ""},
		{"chunked under the limit", "0123456789", true, 200, true, "10"},
		{"chunked over the limit fails the read", strings.Repeat("x", 100), true, 413, true, ""},
		{"no body", "", false, 200, true, "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, called, err := tryBuild("requestSize", `{"maxBytes": 16}`, readAll)
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = unsized{body}
			}
			r := httptest.NewRequest(http.MethodPost, "/pets", body)
			if tc.chunked {
				r.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if *called != tc.wantCalled {
				t.Fatalf("next called %v, want %v", *called, tc.wantCalled)
			}
			if tc.wantStatus == 413 {
				checkProblem(t, rec, 413, "limit of 16 bytes")
				return
			}
			if rec.Code != tc.wantStatus || rec.Body.String() != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

// TestRequestSizeThroughAReverseProxy checks that the error a proxy's ErrorHandler gets
// for a chunked body over the limit is one IsTooLarge recognizes, through a real server
// and transport.
func TestRequestSizeThroughAReverseProxy(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, "upstream ok")
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	var proxyErr error
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			proxyErr = err
			if IsTooLarge(err) {
				limit, _ := TooLargeLimit(err)
				WriteTooLarge(w, r, limit)
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	h, _, err := tryBuild("requestSize", `{"maxBytes": 1024}`, proxy)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	defer gw.Close()

	tests := []struct {
		name       string
		size       int
		wantStatus int
	}{
		{"small chunked body", 100, 200},
		{"large chunked body", 64 << 10, 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proxyErr = nil
			req, _ := http.NewRequest(http.MethodPost, gw.URL+"/upload", unsized{strings.NewReader(strings.Repeat("x", tc.size))})
			resp, err := gw.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d (proxy error: %v)", resp.StatusCode, tc.wantStatus, proxyErr)
			}
			if tc.wantStatus == 413 && (!IsTooLarge(proxyErr) || !errors.As(proxyErr, new(*http.MaxBytesError))) {
				t.Fatalf("proxy error %v is not recognized", proxyErr)
			}
		})
	}
}
