package transform

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// syncBuffer is a log destination safe for the server goroutines of httptest.Server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func logEnv() (policy.Env, *syncBuffer) {
	var buf syncBuffer
	return policy.Env{API: "pets", Logger: slog.New(slog.NewTextHandler(&buf, nil))}, &buf
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("bad expectation %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestBodyTransform(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		in       string
		want     string // "" means the body is left alone
	}{
		{
			name:     "set remove rename",
			settings: `{"set": {"/version": 2, "/meta/source": "gw"}, "remove": ["/secret"], "rename": {"/user_name": "/userName"}}`,
			in:       `{"user_name": "ann", "secret": "s", "keep": [1, 2]}`,
			want:     `{"userName": "ann", "keep": [1, 2], "version": 2, "meta": {"source": "gw"}}`,
		},
		{
			name:     "remove runs before set",
			settings: `{"remove": ["/a"], "set": {"/a": "new"}}`,
			in:       `{"a": "old"}`,
			want:     `{"a": "new"}`,
		},
		{
			name:     "append and escaped names",
			settings: `{"set": {"/tags/-": "x", "/a~1b": 1, "/m~0n": 2}}`,
			in:       `{"tags": ["t"]}`,
			want:     `{"tags": ["t", "x"], "a/b": 1, "m~n": 2}`,
		},
		{
			name:     "rename into an array inserts",
			settings: `{"rename": {"/first": "/list/0"}}`,
			in:       `{"first": 0, "list": [1, 2]}`,
			want:     `{"list": [0, 1, 2]}`,
		},
		{
			name:     "rename to an impossible place keeps the value",
			settings: `{"rename": {"/a": "/s/x"}}`,
			in:       `{"a": 1, "s": "str"}`,
			want:     `{"a": 1, "s": "str"}`,
		},
		{
			name:     "set values are not shared between documents",
			settings: `{"set": {"/obj": {"k": [1]}, "/obj/k/-": 2}}`,
			in:       `{}`,
			want:     `{"obj": {"k": [1, 2]}}`,
		},
		{
			name:     "large numbers keep their precision",
			settings: `{"set": {"/b": 12345678901234567890}}`,
			in:       `{"a": 9007199254740993, "f": 1.10}`,
			want:     `{"a": 9007199254740993, "f": 1.10, "b": 12345678901234567890}`,
		},
		{
			name:     "missing pointers are skipped",
			settings: `{"remove": ["/nope/x"], "rename": {"/missing": "/x"}}`,
			in:       `[1]`,
			want:     `[1]`,
		},
		{name: "invalid JSON", settings: `{"remove": ["/a"]}`, in: `{"a": 1`},
		{name: "trailing data", settings: `{"remove": ["/a"]}`, in: `{"a": 1} {"b": 2}`},
		{name: "empty body", settings: `{"remove": ["/a"]}`, in: ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := compileBody(json.RawMessage(tc.settings))
			if err != nil {
				t.Fatal(err)
			}
			out, ok := ops.transform([]byte(tc.in))
			if tc.want == "" {
				if ok {
					t.Fatalf("transformed %q into %s; want it left alone", tc.in, out)
				}
				return
			}
			if !ok {
				t.Fatalf("transform(%s) failed", tc.in)
			}
			if !jsonEqual(t, string(out), tc.want) {
				t.Errorf("got %s, want %s", out, tc.want)
			}
			if tc.name == "large numbers keep their precision" && !strings.Contains(string(out), "9007199254740993") {
				t.Errorf("number lost precision: %s", out)
			}
		})
	}
}

func TestRequestBody(t *testing.T) {
	const settings = `{"set": {"/via": "gw"}, "remove": ["/password"], "maxBytes": 64}`
	tests := []struct {
		name        string
		contentType string
		body        string
		chunked     bool // unknown length
		want        string
		wantLog     string
	}{
		{name: "json", contentType: "application/json", body: `{"user": "a", "password": "p"}`, want: `{"user":"a","via":"gw"}`},
		{name: "json suffix and parameters", contentType: "application/merge-patch+JSON; charset=utf-8", body: `{"x": 1}`, want: `{"via":"gw","x":1}`},
		{name: "unknown length", contentType: "application/json", body: `{"x": 1}`, chunked: true, want: `{"via":"gw","x":1}`},
		{name: "not json", contentType: "text/plain", body: `{"password": "p"}`, want: `{"password": "p"}`},
		{name: "no content type", body: `{"password": "p"}`, want: `{"password": "p"}`},
		{name: "json-ish but not json", contentType: "application/jsonx", body: `{"password": "p"}`, want: `{"password": "p"}`},
		{name: "invalid json", contentType: "application/json", body: `{"password": `, want: `{"password": `},
		{name: "over maxBytes", contentType: "application/json", body: `{"password": "` + strings.Repeat("p", 80) + `"}`, want: `{"password": "` + strings.Repeat("p", 80) + `"}`, wantLog: "larger than maxBytes"},
		{name: "over maxBytes, unknown length", contentType: "application/json", chunked: true, body: `{"password": "` + strings.Repeat("p", 80) + `"}`, want: `{"password": "` + strings.Repeat("p", 80) + `"}`, wantLog: "larger than maxBytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, logs := logEnv()
			var got string
			var gotLen int64
			var gotHeader string
			h := middleware(t, newRequestBody, settings, env)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					t.Errorf("reading body: %v", err)
				}
				got, gotLen, gotHeader = string(b), r.ContentLength, r.Header.Get("Content-Length")
			}))
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.chunked {
				req.ContentLength = -1
				req.Body = io.NopCloser(strings.NewReader(tc.body)) // no length to learn
			} else {
				req.Header.Set("Content-Length", strconv.Itoa(len(tc.body)))
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tc.want {
				t.Errorf("upstream body = %s, want %s", got, tc.want)
			}
			if got != tc.body {
				if gotLen != int64(len(got)) || gotHeader != strconv.Itoa(len(got)) {
					t.Errorf("Content-Length = %d / %q, want %d", gotLen, gotHeader, len(got))
				}
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log = %q, want it to mention %q", logs.String(), tc.wantLog)
			}
		})
	}
}

func TestRequestBodyReadError(t *testing.T) {
	h := middleware(t, newRequestBody, `{"remove": ["/a"]}`, policy.Env{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if string(b) != `{"a":` || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("upstream read %q, %v; want the partial body and the original error", b, err)
		}
	}))
	req := httptest.NewRequest("POST", "/", io.MultiReader(strings.NewReader(`{"a":`), errReader{io.ErrUnexpectedEOF}))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), req)
}

func TestResponseBody(t *testing.T) {
	const settings = `{"set": {"/via": "gw"}, "remove": ["/internal"], "maxBytes": 64}`
	long := `{"internal": "` + strings.Repeat("i", 80) + `"}`
	tests := []struct {
		name       string
		method     string
		handler    http.HandlerFunc
		wantStatus int
		wantBody   string
		wantHeader http.Header
		wantLog    string
	}{
		{
			name: "json with length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				body := `{"id": 1, "internal": true}`
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				w.Header().Set("ETag", `"v1"`)
				w.Header().Set("Content-Digest", "sha-256=:x:")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, body)
			},
			wantStatus: http.StatusCreated,
			wantBody:   `{"id":1,"via":"gw"}`,
			wantHeader: http.Header{"Content-Length": {"19"}, "Etag": {`W/"v1"`}, "Content-Digest": nil},
		},
		{
			name: "json in pieces without length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				_, _ = io.WriteString(w, `{"id": 2,`)
				_, _ = io.WriteString(w, ` "internal": 1}`)
			},
			wantStatus: http.StatusOK,
			wantBody:   `{"id":2,"via":"gw"}`,
			wantHeader: http.Header{"Content-Length": {"19"}},
		},
		{
			name: "not json",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, `{"internal": 1}`)
			},
			wantStatus: http.StatusOK,
			wantBody:   `{"internal": 1}`,
		},
		{
			name: "invalid json is left alone",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", "13")
				_, _ = io.WriteString(w, `{"internal": `)
			},
			wantStatus: http.StatusOK,
			wantBody:   `{"internal": `,
			wantHeader: http.Header{"Content-Length": {"13"}},
		},
		{
			name: "compressed json is left alone",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = io.WriteString(w, `not really gzip`)
			},
			wantStatus: http.StatusOK,
			wantBody:   `not really gzip`,
		},
		{
			name: "declared length over maxBytes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(long)))
				_, _ = io.WriteString(w, long)
			},
			wantStatus: http.StatusOK,
			wantBody:   long,
			wantLog:    "larger than maxBytes",
		},
		{
			name: "grows over maxBytes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, long[:40])
				_, _ = io.WriteString(w, long[40:])
			},
			wantStatus: http.StatusOK,
			wantBody:   long,
			wantLog:    "larger than maxBytes",
		},
		{
			name: "no content",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNoContent)
			},
			wantStatus: http.StatusNoContent,
		},
		{
			name:   "HEAD",
			method: http.MethodHead,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", "27")
			},
			wantStatus: http.StatusOK,
			wantHeader: http.Header{"Content-Length": {"27"}},
		},
		{
			name: "error responses are transformed too",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, `{"internal": "trace"}`)
			},
			wantStatus: http.StatusBadGateway,
			wantBody:   `{"via":"gw"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, logs := logEnv()
			h := middleware(t, newResponseBody, settings, env)(tc.handler)
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, "/", nil))
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if got := rec.Body.String(); got != tc.wantBody {
				t.Errorf("body = %s, want %s", got, tc.wantBody)
			}
			for k, want := range tc.wantHeader {
				if got := rec.Header()[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log = %q, want it to mention %q", logs.String(), tc.wantLog)
			}
		})
	}
}

// TestStreamingPassesThrough checks that a flushed chunk reaches the client while the
// handler is still running, through every transform policy at once.
func TestStreamingPassesThrough(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
	}{
		{name: "server-sent events", contentType: "text/event-stream"},
		{name: "flushed JSON", contentType: "application/json"},
		{name: "flushed NDJSON", contentType: "application/x-ndjson"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			handlerDone := make(chan struct{})
			upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(handlerDone)
				w.Header().Set("Content-Type", tc.contentType)
				_, _ = io.WriteString(w, "data: first\n")
				http.NewResponseController(w).Flush()
				select {
				case <-release:
				case <-time.After(10 * time.Second):
				}
				_, _ = io.WriteString(w, "data: second\n")
			})
			var h http.Handler = upstream
			for _, d := range []struct {
				f        policy.Factory
				settings string
			}{
				{newResponseBody, `{"remove": ["/a"]}`},
				{newResponseHeaders, `{"set": {"X-Gw": "1"}}`},
				{newRequestBody, `{"remove": ["/a"]}`},
				{newRequestHeaders, `{"set": {"X-Gw": "1"}}`},
			} {
				h = middleware(t, d.f, d.settings, policy.Env{})(h)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			defer close(release)

			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("X-Gw") != "1" {
				t.Errorf("response header transform not applied: %v", resp.Header)
			}
			line := make(chan string, 1)
			go func() {
				s, _ := bufio.NewReader(resp.Body).ReadString('\n')
				line <- s
			}()
			select {
			case s := <-line:
				if s != "data: first\n" {
					t.Errorf("first chunk = %q", s)
				}
			case <-handlerDone:
				t.Fatal("the handler returned before the client saw the first chunk")
			case <-time.After(5 * time.Second):
				t.Fatal("the flushed chunk did not reach the client while the handler ran")
			}
		})
	}
}

func TestBodySettingsErrors(t *testing.T) {
	tests := []struct {
		name      string
		settings  string
		wantField string
		wantMsg   string
	}{
		{name: "empty", settings: `{}`, wantMsg: "nothing to do"},
		{name: "only maxBytes", settings: `{"maxBytes": 10}`, wantMsg: "nothing to do"},
		{name: "bad pointer in remove", settings: `{"remove": ["/ok", "nope"]}`, wantField: "remove.1", wantMsg: "JSON pointer"},
		{name: "remove everything", settings: `{"remove": [""]}`, wantField: "remove.0", wantMsg: "whole document"},
		{name: "bad escape in set", settings: `{"set": {"/a~2": 1}}`, wantField: "set./a~2", wantMsg: "~"},
		{name: "bad rename target", settings: `{"rename": {"/a": "b"}}`, wantField: "rename./a", wantMsg: "JSON pointer"},
		{name: "rename into itself", settings: `{"rename": {"/a": "/a/b"}}`, wantField: "rename./a", wantMsg: "inside"},
		{name: "rename root", settings: `{"rename": {"": "/a"}}`, wantField: "rename.", wantMsg: "whole document"},
		{name: "maxBytes zero", settings: `{"remove": ["/a"], "maxBytes": 0}`, wantField: "maxBytes", wantMsg: "positive"},
		{name: "maxBytes not a number", settings: `{"remove": ["/a"], "maxBytes": "1MB"}`, wantField: "maxBytes", wantMsg: "integer"},
		{name: "unknown setting", settings: `{"delete": ["/a"]}`, wantField: "delete", wantMsg: "unknown"},
	}
	for _, tc := range tests {
		for _, f := range []policy.Factory{newRequestBody, newResponseBody} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f(json.RawMessage(tc.settings), policy.Env{})
				var fe *policy.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("error = %v, want a *policy.FieldError", err)
				}
				if fe.Field != tc.wantField {
					t.Errorf("field = %q, want %q (%v)", fe.Field, tc.wantField, err)
				}
				if !strings.Contains(fe.Message, tc.wantMsg) {
					t.Errorf("message = %q, want it to contain %q", fe.Message, tc.wantMsg)
				}
			})
		}
	}
}
