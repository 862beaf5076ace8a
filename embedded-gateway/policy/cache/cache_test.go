package cache

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// clock is a fake time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// origin is an upstream whose answer a test chooses; it counts its calls and numbers its
// bodies ("<path> #<n>") so a test can tell a fresh response from a cached one.
type origin struct {
	calls   atomic.Int32
	headers func(r *http.Request) (status int, h http.Header)
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := o.calls.Add(1)
	status, h := http.StatusOK, http.Header{}
	if o.headers != nil {
		status, h = o.headers(r)
	}
	for k, vs := range h {
		for _, v := range vs {
			w.Header().Add(k, v) // as httputil.ReverseProxy does
		}
	}
	body := fmt.Sprintf("%s #%d", r.URL.RequestURI(), n)
	if r.Header.Get("Accept-Language") != "" {
		body += " " + r.Header.Get("Accept-Language")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}

// fixed returns an origin answering status with header h.
func fixed(status int, h http.Header) *origin {
	return &origin{headers: func(*http.Request) (int, http.Header) { return status, h.Clone() }}
}

// step is one request of a scenario and what the response must be.
type step struct {
	advance  time.Duration // move the clock first
	method   string        // default GET
	target   string        // default /r
	header   http.Header
	consumer string // authenticated subject, "" for anonymous

	wantCache  string // X-Cache: "HIT", "MISS" or "" (absent)
	wantBody   string // "" skips the check
	wantStatus int    // 0 means 200
	wantAge    string // "" skips the check
}

func run(t *testing.T, h http.Handler, c *clock, steps []step) {
	t.Helper()
	for i, s := range steps {
		c.advance(s.advance)
		method, target := s.method, s.target
		if method == "" {
			method = http.MethodGet
		}
		if target == "" {
			target = "/r"
		}
		req := httptest.NewRequest(method, target, nil)
		for k, vs := range s.header {
			req.Header[k] = vs
		}
		if s.consumer != "" {
			req = req.WithContext(policy.WithIdentity(req.Context(), &policy.Identity{Subject: s.consumer, Method: "keyAuth"}))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		want := s.wantStatus
		if want == 0 {
			want = http.StatusOK
		}
		if rec.Code != want {
			t.Errorf("step %d (%s %s): status %d, want %d", i, method, target, rec.Code, want)
		}
		if got := rec.Header().Get(Header); got != s.wantCache {
			t.Errorf("step %d (%s %s): X-Cache %q, want %q", i, method, target, got, s.wantCache)
		}
		if s.wantBody != "" && rec.Body.String() != s.wantBody {
			t.Errorf("step %d (%s %s): body %q, want %q", i, method, target, rec.Body, s.wantBody)
		}
		if s.wantAge != "" && rec.Header().Get("Age") != s.wantAge {
			t.Errorf("step %d (%s %s): Age %q, want %q", i, method, target, rec.Header().Get("Age"), s.wantAge)
		}
	}
}

func build(t testing.TB, settings string, env policy.Env, next http.Handler) http.Handler {
	t.Helper()
	mw, err := newCache(json.RawMessage(settings), env)
	if err != nil {
		t.Fatalf("newCache(%s): %v", settings, err)
	}
	return mw(next)
}

func cc(v string) http.Header { return http.Header{"Cache-Control": {v}} }

func TestCache(t *testing.T) {
	tests := []struct {
		name      string
		settings  string
		origin    *origin
		steps     []step
		wantCalls int32
	}{
		{
			name:   "miss then hit with Age",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{wantCache: "MISS", wantBody: "/r #1"},
				{advance: 5 * time.Second, wantCache: "HIT", wantBody: "/r #1", wantAge: "5"},
				{target: "/r?x=1", wantCache: "MISS", wantBody: "/r?x=1 #2"},
			},
			wantCalls: 2,
		},
		{
			name:   "max-age expiry",
			origin: fixed(200, cc("public, max-age=10")),
			steps: []step{
				{wantCache: "MISS", wantBody: "/r #1"},
				{advance: 9 * time.Second, wantCache: "HIT", wantBody: "/r #1", wantAge: "9"},
				{advance: time.Second, wantCache: "MISS", wantBody: "/r #2"},
				{wantCache: "HIT", wantBody: "/r #2", wantAge: "0"},
			},
			wantCalls: 2,
		},
		{
			name:     "ttl when the response states no freshness",
			settings: `{"ttl": "30s"}`,
			origin:   fixed(200, nil),
			steps: []step{
				{wantCache: "MISS"},
				{advance: 29 * time.Second, wantCache: "HIT", wantBody: "/r #1"},
				{advance: time.Second, wantCache: "MISS", wantBody: "/r #2"},
			},
			wantCalls: 2,
		},
		{
			name:     "ttl 0 stores only explicit freshness",
			settings: `{"ttl": "0s"}`,
			origin:   fixed(200, nil),
			steps:    []step{{wantCache: "MISS"}, {wantCache: "MISS"}},
		},
		{
			name:     "s-maxage wins over max-age",
			settings: `{"ttl": "1h"}`,
			origin:   fixed(200, cc("max-age=100, s-maxage=5")),
			steps: []step{
				{wantCache: "MISS"},
				{advance: 5 * time.Second, wantCache: "MISS", wantBody: "/r #2"},
			},
		},
		{
			name: "Expires minus Date",
			origin: fixed(200, http.Header{
				"Date":    {"Thu, 02 Jan 2025 03:04:05 GMT"},
				"Expires": {"Thu, 02 Jan 2025 03:04:25 GMT"},
			}),
			steps: []step{
				{wantCache: "MISS"},
				{advance: 19 * time.Second, wantCache: "HIT", wantAge: "19"},
				{advance: time.Second, wantCache: "MISS"},
			},
		},
		{
			name:   "invalid Expires is expired",
			origin: fixed(200, http.Header{"Expires": {"0"}}),
			steps:  []step{{wantCache: "MISS"}, {wantCache: "MISS"}},
		},
		{
			name:   "upstream Age counts",
			origin: fixed(200, http.Header{"Cache-Control": {"max-age=10"}, "Age": {"8"}}),
			steps: []step{
				{wantCache: "MISS"},
				{advance: time.Second, wantCache: "HIT", wantAge: "9"},
				{advance: time.Second, wantCache: "MISS"},
			},
		},
		{
			name:   "already stale on arrival",
			origin: fixed(200, http.Header{"Cache-Control": {"max-age=10"}, "Age": {"10"}}),
			steps:  []step{{wantCache: "MISS"}, {wantCache: "MISS"}},
		},
		{
			name:      "response no-store",
			origin:    fixed(200, cc("no-store, max-age=60")),
			steps:     []step{{wantCache: "MISS"}, {wantCache: "MISS", wantBody: "/r #2"}},
			wantCalls: 2,
		},
		{
			name:   "response no-cache is not stored (no revalidation)",
			origin: fixed(200, cc(`no-cache="Set-Cookie", max-age=60`)),
			steps:  []step{{wantCache: "MISS"}, {wantCache: "MISS"}},
		},
		{
			name:   "request no-store: nothing stored, stored entries still used",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{header: cc("no-store"), wantCache: "MISS", wantBody: "/r #1"},
				{wantCache: "MISS", wantBody: "/r #2"},
				{header: cc("no-store"), wantCache: "HIT", wantBody: "/r #2"},
			},
		},
		{
			name:   "request no-cache skips the entry and replaces it",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{wantCache: "MISS", wantBody: "/r #1"},
				{header: cc("no-cache"), wantCache: "MISS", wantBody: "/r #2"},
				{header: http.Header{"Pragma": {"no-cache"}}, wantCache: "MISS", wantBody: "/r #3"},
				{wantCache: "HIT", wantBody: "/r #3"},
			},
		},
		{
			name:   "request max-age and min-fresh",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{wantCache: "MISS", wantBody: "/r #1"},
				{advance: 10 * time.Second, header: cc("max-age=5"), wantCache: "MISS", wantBody: "/r #2"},
				{advance: 10 * time.Second, header: cc("max-age=15"), wantCache: "HIT", wantBody: "/r #2"},
				{header: cc("min-fresh=55"), wantCache: "MISS", wantBody: "/r #3"},
				{header: cc("min-fresh=55"), wantCache: "HIT", wantBody: "/r #3"},
			},
		},
		{
			name:   "max-stale serves stale",
			origin: fixed(200, cc("max-age=10")),
			steps: []step{
				{wantCache: "MISS", wantBody: "/r #1"},
				{advance: 15 * time.Second, header: cc("max-stale=10"), wantCache: "HIT", wantBody: "/r #1", wantAge: "15"},
				{header: cc("max-stale=2"), wantCache: "MISS", wantBody: "/r #2"},
			},
		},
		{
			name:   "must-revalidate is never served stale",
			origin: fixed(200, cc("max-age=10, must-revalidate")),
			steps: []step{
				{wantCache: "MISS"},
				{advance: 15 * time.Second, header: cc("max-stale"), wantCache: "MISS"},
			},
		},
		{
			name:   "only-if-cached",
			origin: fixed(200, cc("max-age=10")),
			steps: []step{
				{header: cc("only-if-cached"), wantCache: "", wantStatus: http.StatusGatewayTimeout},
				{wantCache: "MISS"},
				{header: cc("only-if-cached"), wantCache: "HIT"},
			},
			wantCalls: 1,
		},
		{
			name:   "private is never stored, whoever asks",
			origin: fixed(200, cc("private, max-age=60")),
			steps: []step{
				{consumer: "alice", wantCache: "MISS", wantBody: "/r #1"},
				{consumer: "bob", wantCache: "MISS", wantBody: "/r #2"},
				{consumer: "alice", wantCache: "MISS", wantBody: "/r #3"},
			},
			wantCalls: 3,
		},
		{
			name:   "consumers have separate entries",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{consumer: "alice", wantCache: "MISS", wantBody: "/r #1"},
				{consumer: "bob", wantCache: "MISS", wantBody: "/r #2"},
				{wantCache: "MISS", wantBody: "/r #3"},
				{consumer: "alice", wantCache: "HIT", wantBody: "/r #1"},
				{consumer: "bob", wantCache: "HIT", wantBody: "/r #2"},
				{wantCache: "HIT", wantBody: "/r #3"},
			},
		},
		{
			name:   "Vary",
			origin: fixed(200, http.Header{"Cache-Control": {"max-age=60"}, "Vary": {"Accept-Language"}}),
			steps: []step{
				{header: http.Header{"Accept-Language": {"en"}}, wantCache: "MISS", wantBody: "/r #1 en"},
				{header: http.Header{"Accept-Language": {"fr"}}, wantCache: "MISS", wantBody: "/r #2 fr"},
				{header: http.Header{"Accept-Language": {"en"}}, wantCache: "HIT", wantBody: "/r #1 en"},
				{header: http.Header{"Accept-Language": {"fr"}}, wantCache: "HIT", wantBody: "/r #2 fr"},
				{wantCache: "MISS", wantBody: "/r #3"},
				{wantCache: "HIT", wantBody: "/r #3"},
			},
		},
		{
			name:     "varyHeaders from the settings",
			settings: `{"varyHeaders": ["x-tenant"]}`,
			origin:   fixed(200, cc("max-age=60")),
			steps: []step{
				{header: http.Header{"X-Tenant": {"a"}}, wantCache: "MISS", wantBody: "/r #1"},
				{header: http.Header{"X-Tenant": {"b"}}, wantCache: "MISS", wantBody: "/r #2"},
				{header: http.Header{"X-Tenant": {"a"}}, wantCache: "HIT", wantBody: "/r #1"},
			},
		},
		{
			name:   "Vary star is not stored",
			origin: fixed(200, http.Header{"Cache-Control": {"max-age=60"}, "Vary": {"Accept, *"}}),
			steps:  []step{{wantCache: "MISS"}, {wantCache: "MISS"}},
		},
		{
			name:   "HEAD is answered from GET",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{method: "HEAD", wantCache: "MISS"},
				{method: "HEAD", wantCache: "MISS"}, // a HEAD response is not stored
				{wantCache: "MISS", wantBody: "/r #3"},
				{method: "HEAD", wantCache: "HIT"},
				{wantCache: "HIT", wantBody: "/r #3"},
			},
			wantCalls: 3,
		},
		{
			name:   "Set-Cookie is not stored",
			origin: fixed(200, http.Header{"Cache-Control": {"public, max-age=60"}, "Set-Cookie": {"s=1"}}),
			steps:  []step{{wantCache: "MISS"}, {wantCache: "MISS"}},
		},
		{
			name:   "Authorization requests are not stored without public",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{header: http.Header{"Authorization": {"Bearer a"}}, wantCache: "MISS", wantBody: "/r #1"},
				{header: http.Header{"Authorization": {"Bearer a"}}, wantCache: "MISS", wantBody: "/r #2"},
				{wantCache: "MISS", wantBody: "/r #3"},
				// An anonymous entry does not answer a request with credentials.
				{header: http.Header{"Authorization": {"Bearer a"}}, wantCache: "MISS", wantBody: "/r #4"},
			},
		},
		{
			name:   "Authorization requests are stored with public",
			origin: fixed(200, cc("public, max-age=60")),
			steps: []step{
				{header: http.Header{"Authorization": {"Bearer a"}}, wantCache: "MISS", wantBody: "/r #1"},
				{header: http.Header{"Authorization": {"Bearer a"}}, wantCache: "HIT", wantBody: "/r #1"},
			},
		},
		{
			name:   "uncacheable status",
			origin: fixed(500, cc("max-age=60")),
			steps:  []step{{wantStatus: 500, wantCache: "MISS"}, {wantStatus: 500, wantCache: "MISS"}},
		},
		{
			name:   "404 is cacheable",
			origin: fixed(404, nil),
			steps:  []step{{wantStatus: 404, wantCache: "MISS"}, {wantStatus: 404, wantCache: "HIT", wantBody: "/r #1"}},
		},
		{
			name:     "bodies over maxBodyBytes are not stored",
			settings: `{"maxBodyBytes": 4}`,
			origin:   fixed(200, cc("max-age=60")),
			steps:    []step{{wantCache: "MISS", wantBody: "/r #1"}, {wantCache: "MISS", wantBody: "/r #2"}},
		},
		{
			name:   "successful unsafe requests invalidate",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{wantCache: "MISS", wantBody: "/r #1"},
				{method: "OPTIONS", wantCache: ""},
				{wantCache: "HIT", wantBody: "/r #1"},
				{method: "POST", wantCache: ""},
				{wantCache: "MISS", wantBody: "/r #4"},
				{method: "DELETE", target: "/other", wantCache: ""},
				{wantCache: "HIT", wantBody: "/r #4"},
			},
		},
		{
			name:   "conditional requests get 304 from the cache",
			origin: fixed(200, http.Header{"Cache-Control": {"max-age=60"}, "Etag": {`"v1"`}, "Last-Modified": {"Wed, 01 Jan 2025 00:00:00 GMT"}}),
			steps: []step{
				{wantCache: "MISS"},
				{header: http.Header{"If-None-Match": {`"v0", W/"v1"`}}, wantCache: "HIT", wantStatus: http.StatusNotModified},
				{header: http.Header{"If-None-Match": {`"v2"`}}, wantCache: "HIT", wantBody: "/r #1"},
				{header: http.Header{"If-Modified-Since": {"Thu, 02 Jan 2025 00:00:00 GMT"}}, wantCache: "HIT", wantStatus: http.StatusNotModified},
				{header: http.Header{"If-Modified-Since": {"Tue, 31 Dec 2024 00:00:00 GMT"}}, wantCache: "HIT", wantBody: "/r #1"},
			},
			wantCalls: 1,
		},
		{
			name:   "upgrade requests bypass",
			origin: fixed(200, cc("max-age=60")),
			steps: []step{
				{header: http.Header{"Upgrade": {"websocket"}}, wantCache: ""},
				{header: http.Header{"Upgrade": {"websocket"}}, wantCache: ""},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			settings := tc.settings
			if settings == "" {
				settings = `{}`
			}
			h := build(t, settings, policy.Env{API: "pets", Now: c.Now}, tc.origin)
			run(t, h, c, tc.steps)
			if tc.wantCalls != 0 && tc.origin.calls.Load() != tc.wantCalls {
				t.Errorf("upstream called %d times, want %d", tc.origin.calls.Load(), tc.wantCalls)
			}
		})
	}
}

func TestLRUEviction(t *testing.T) {
	tests := []struct {
		name     string
		settings string
	}{
		{name: "by entries", settings: `{"maxEntries": 2}`},
		// Each entry is a few hundred bytes with its overhead: room for two, not three.
		{name: "by bytes", settings: `{"maxBodyBytes": 100, "maxTotalBytes": 800}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			o := fixed(200, cc("max-age=60"))
			mw, err := newCache(json.RawMessage(tc.settings), policy.Env{Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			run(t, mw(o), c, []step{
				{target: "/a", wantCache: "MISS"},
				{target: "/b", wantCache: "MISS"},
				{target: "/a", wantCache: "HIT"}, // /b is now the least recently used
				{target: "/c", wantCache: "MISS"},
				{target: "/a", wantCache: "HIT"},
				{target: "/c", wantCache: "HIT"},
				{target: "/b", wantCache: "MISS"},
			})
		})
	}
}

func TestStoreBounds(t *testing.T) {
	s := newStore()
	s.configure(3, 1<<20, "x")
	for i := range 10 {
		s.put(&entry{key: urlKey{path: fmt.Sprint(i)}, size: 10}, nil)
	}
	if n, b := s.len(); n != 3 || b != 30 {
		t.Errorf("len = %d entries, %d bytes; want 3, 30", n, b)
	}
	s.configure(1, 1<<20, "x")
	if n, _ := s.len(); n != 1 || s.lookup(urlKey{path: "9"}, "", nil) == nil {
		t.Errorf("shrinking kept %d entries, want only the newest", n)
	}
	s.put(&entry{key: urlKey{path: "big"}, size: 2 << 20}, nil)
	if s.has(urlKey{path: "big"}) {
		t.Error("an entry larger than the whole store was stored")
	}
	s.configure(1, 1<<20, "y")
	if n, b := s.len(); n != 0 || b != 0 {
		t.Errorf("a new fingerprint kept %d entries (%d bytes)", n, b)
	}
}

func TestSharedAcrossReloads(t *testing.T) {
	c := newClock()
	shared := &policy.Shared{}
	o := fixed(200, cc("max-age=60"))
	env := policy.Env{API: "pets", Operation: "listPets", Now: c.Now, Shared: shared}
	run(t, build(t, `{}`, env, o), c, []step{{wantCache: "MISS", wantBody: "/r #1"}})
	// A reload with the same settings keeps the entries.
	run(t, build(t, `{"maxEntries": 10}`, env, o), c, []step{{wantCache: "HIT", wantBody: "/r #1"}})
	// Another operation has a store of its own.
	other := env
	other.Operation = "getPet"
	run(t, build(t, `{}`, other, o), c, []step{{wantCache: "MISS", wantBody: "/r #2"}})
	// Changing what shapes entries empties the store.
	run(t, build(t, `{"varyHeaders": ["X-Tenant"]}`, env, o), c, []step{{wantCache: "MISS", wantBody: "/r #3"}})
}

// TestOuterHeadersNotStored checks that headers an outer policy sets per request (CORS
// here) are not replayed from the cache to other requests.
func TestOuterHeadersNotStored(t *testing.T) {
	c := newClock()
	o := fixed(200, http.Header{"Cache-Control": {"max-age=60"}, "Vary": {"Accept"}})
	inner := build(t, `{}`, policy.Env{Now: c.Now}, o)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
		}
		inner.ServeHTTP(w, r)
	})
	tests := []struct {
		name       string
		origin     string
		wantCache  string
		wantACAO   string
		wantVary   []string
		wantLength string
	}{
		{name: "miss from a", origin: "https://a.example", wantCache: "MISS", wantACAO: "https://a.example", wantVary: []string{"Origin", "Accept"}},
		{name: "hit from b", origin: "https://b.example", wantCache: "HIT", wantACAO: "https://b.example", wantVary: []string{"Origin", "Accept"}},
		{name: "hit without origin", wantCache: "HIT", wantACAO: "", wantVary: []string{"Accept"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/r", nil)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Header().Get(Header); got != tc.wantCache {
				t.Errorf("X-Cache = %q, want %q", got, tc.wantCache)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.wantACAO)
			}
			if got := rec.Header()["Vary"]; strings.Join(got, ",") != strings.Join(tc.wantVary, ",") {
				t.Errorf("Vary = %q, want %q", got, tc.wantVary)
			}
			if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(rec.Body.Len()) {
				t.Errorf("Content-Length = %q for a %d-byte body", got, rec.Body.Len())
			}
		})
	}
}

// TestStreamingPassesThrough checks that the cache never holds a response back: a
// flushed chunk reaches the client while the handler still runs.
func TestStreamingPassesThrough(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
	}{
		{name: "server-sent events", header: http.Header{"Content-Type": {"text/event-stream"}, "Cache-Control": {"max-age=60"}}},
		{name: "cacheable JSON", header: http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"max-age=60"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			handlerDone := make(chan struct{})
			upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(handlerDone)
				for k, vs := range tc.header {
					w.Header()[k] = vs
				}
				_, _ = io.WriteString(w, "first\n")
				http.NewResponseController(w).Flush()
				select {
				case <-release:
				case <-time.After(10 * time.Second):
				}
				_, _ = io.WriteString(w, "second\n")
			})
			srv := httptest.NewServer(build(t, `{}`, policy.Env{}, upstream))
			defer srv.Close()
			defer close(release)
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			line := make(chan string, 1)
			go func() {
				s, _ := bufio.NewReader(resp.Body).ReadString('\n')
				line <- s
			}()
			select {
			case s := <-line:
				if s != "first\n" {
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

func TestIdentityWithoutName(t *testing.T) {
	c := newClock()
	o := fixed(200, cc("max-age=60"))
	h := build(t, `{}`, policy.Env{Now: c.Now}, o)
	for i := range 2 {
		req := httptest.NewRequest("GET", "/r", nil)
		req = req.WithContext(policy.WithIdentity(req.Context(), &policy.Identity{Method: "mtls"}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get(Header); got != "" {
			t.Errorf("request %d: X-Cache = %q; an identity naming no one must bypass the cache", i, got)
		}
	}
	if o.calls.Load() != 2 {
		t.Errorf("upstream called %d times, want 2", o.calls.Load())
	}
}

func TestParseCacheControl(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  directives
	}{
		{name: "none", want: directives{maxAge: -1, sMaxAge: -1, minFresh: -1, maxStale: -1}},
		{
			name:  "mixed case, spaces, several lines",
			lines: []string{"Public, MAX-AGE=60 ,  s-maxage=\"30\"", "must-revalidate"},
			want:  directives{public: true, mustRevalidate: true, maxAge: 60, sMaxAge: 30, minFresh: -1, maxStale: -1},
		},
		{
			name:  "quoted list with commas",
			lines: []string{`private="Set-Cookie, X-A", no-cache="X-B", max-age=5`},
			want:  directives{private: true, noCache: true, maxAge: 5, sMaxAge: -1, minFresh: -1, maxStale: -1},
		},
		{
			name:  "first occurrence wins",
			lines: []string{"max-age=5, max-age=100"},
			want:  directives{maxAge: 5, sMaxAge: -1, minFresh: -1, maxStale: -1},
		},
		{
			name:  "malformed max-age is stale",
			lines: []string{"max-age=abc, min-fresh"},
			want:  directives{maxAge: 0, sMaxAge: -1, minFresh: 0, maxStale: -1},
		},
		{
			name:  "max-stale with and without a value",
			lines: []string{"max-stale", "max-stale=x"},
			want:  directives{maxStaleAny: true, maxAge: -1, sMaxAge: -1, minFresh: -1, maxStale: -1},
		},
		{
			name:  "huge values are clamped",
			lines: []string{"max-age=99999999999999999999999"},
			want:  directives{maxAge: maxDelta, sMaxAge: -1, minFresh: -1, maxStale: -1},
		},
		{
			name:  "request directives",
			lines: []string{"no-store, only-if-cached, max-stale=7, unknown-ext=1"},
			want:  directives{noStore: true, onlyIfCached: true, maxAge: -1, sMaxAge: -1, minFresh: -1, maxStale: 7},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseCacheControl(tc.lines); got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSettingsErrors(t *testing.T) {
	tests := []struct {
		name      string
		settings  string
		wantField string
		wantMsg   string
	}{
		{name: "negative ttl", settings: `{"ttl": "-1s"}`, wantField: "ttl", wantMsg: "negative"},
		{name: "bad ttl", settings: `{"ttl": "soon"}`, wantMsg: "duration"},
		{name: "zero maxEntries", settings: `{"maxEntries": 0}`, wantField: "maxEntries", wantMsg: "positive"},
		{name: "negative maxBodyBytes", settings: `{"maxBodyBytes": -5}`, wantField: "maxBodyBytes", wantMsg: "positive"},
		{name: "total below body", settings: `{"maxBodyBytes": 100, "maxTotalBytes": 10}`, wantField: "maxTotalBytes", wantMsg: "at least maxBodyBytes"},
		{name: "bad vary header", settings: `{"varyHeaders": ["X-Ok", "Bad Header"]}`, wantField: "varyHeaders.1", wantMsg: "header name"},
		{name: "unknown setting", settings: `{"maxAge": "1m"}`, wantField: "maxAge", wantMsg: "unknown"},
		{name: "wrong type", settings: `{"maxEntries": "many"}`, wantField: "maxEntries", wantMsg: "integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newCache(json.RawMessage(tc.settings), policy.Env{})
			var fe *policy.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want a *policy.FieldError", err)
			}
			if tc.wantField != "" && fe.Field != tc.wantField {
				t.Errorf("field = %q, want %q (%v)", fe.Field, tc.wantField, err)
			}
			if !strings.Contains(fe.Message, tc.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", fe.Message, tc.wantMsg)
			}
		})
	}
}

func TestDefinitions(t *testing.T) {
	var reg policy.Registry
	for _, d := range Definitions() {
		if d.Phase != policy.PhaseCache {
			t.Errorf("%s: phase %d", d.Name, d.Phase)
		}
		if err := reg.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.Build([]policy.Config{{Name: Name}}, policy.Env{}, http.NotFoundHandler()); err != nil {
		t.Errorf("building with default settings: %v", err)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	o := fixed(200, http.Header{"Cache-Control": {"max-age=3600"}, "Content-Type": {"application/json"}, "Vary": {"Accept"}})
	h := build(b, `{}`, policy.Env{}, o)
	req := httptest.NewRequest("GET", "/pets?limit=10", nil)
	req.Header.Set("Accept", "application/json")
	req = req.WithContext(policy.WithIdentity(req.Context(), &policy.Identity{Subject: "alice"}))
	h.ServeHTTP(httptest.NewRecorder(), req)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatal(w.code)
		}
	}
	if o.calls.Load() != 1 {
		b.Fatalf("upstream called %d times", o.calls.Load())
	}
}

// TestConcurrentUse exercises one store from many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	o := fixed(200, http.Header{"Cache-Control": {"max-age=60"}, "Vary": {"Accept"}})
	h := build(t, `{"maxEntries": 8}`, policy.Env{}, o)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				method := "GET"
				if i%17 == 0 {
					method = "PUT"
				}
				req := httptest.NewRequest(method, fmt.Sprintf("/r%d", (g+i)%12), nil)
				req.Header.Set("Accept", fmt.Sprint(i%2))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), req.URL.Path+" #") {
					t.Errorf("%s %s: %d %q", method, req.URL, rec.Code, rec.Body)
					return
				}
				rec.Header()["Vary"] = append(rec.Header()["Vary"], "X") // must not touch the entry
			}
		})
	}
	wg.Wait()
}

// discard is a ResponseWriter that keeps only the header and status, so that benchmarks
// measure the handler rather than the recorder.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
