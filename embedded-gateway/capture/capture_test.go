package capture

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// captureOne serves req through Middleware and returns the recorded exchange.
func captureOne(t *testing.T, opts CaptureOptions, h http.Handler, req *http.Request) (*model.Exchange, *httptest.ResponseRecorder) {
	t.Helper()
	sink := &MemorySink{}
	rec := New(sink, Options{FlushInterval: time.Millisecond})
	resp := httptest.NewRecorder()
	Middleware(rec, opts)(h).ServeHTTP(resp, req)
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	xs := sink.Exchanges()
	if len(xs) != 1 {
		t.Fatalf("recorded %d exchanges, want 1", len(xs))
	}
	return xs[0], resp
}

// sharedCookie and sharedType are header values a handler shares with every response, as
// a mock's cached responses do.
var (
	sharedCookie = []string{"id=1; Path=/"}
	sharedType   = []string{"application/json"}
)

func TestMiddleware(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) })
	long := strings.Repeat("0123456789", 10)
	tests := []struct {
		name    string
		opts    CaptureOptions
		req     func() *http.Request
		handler http.Handler
		check   func(t *testing.T, x *model.Exchange, resp *httptest.ResponseRecorder)
	}{
		{
			name:    "bodies beyond the limit are truncated in the capture and passed whole",
			opts:    CaptureOptions{BodyLimit: 10},
			req:     func() *http.Request { return httptest.NewRequest("POST", "/echo", strings.NewReader(long)) },
			handler: echo,
			check: func(t *testing.T, x *model.Exchange, resp *httptest.ResponseRecorder) {
				if resp.Body.String() != long {
					t.Errorf("client got %d bytes, want %d", resp.Body.Len(), len(long))
				}
				if string(x.RequestBody) != long[:10] || x.RequestSize != 100 {
					t.Errorf("request body %q size %d", x.RequestBody, x.RequestSize)
				}
				if string(x.ResponseBody) != long[:10] || x.ResponseSize != 100 {
					t.Errorf("response body %q size %d", x.ResponseBody, x.ResponseSize)
				}
			},
		},
		{
			name:    "bodies within the default limit are kept whole",
			req:     func() *http.Request { return httptest.NewRequest("POST", "/echo", strings.NewReader(long)) },
			handler: echo,
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if string(x.RequestBody) != long || string(x.ResponseBody) != long || x.ResponseSize != 100 {
					t.Errorf("bodies %q / %q", x.RequestBody, x.ResponseBody)
				}
			},
		},
		{
			name:    "a negative limit keeps no bytes but counts sizes",
			opts:    CaptureOptions{BodyLimit: -1},
			req:     func() *http.Request { return httptest.NewRequest("POST", "/echo", strings.NewReader(long)) },
			handler: echo,
			check: func(t *testing.T, x *model.Exchange, resp *httptest.ResponseRecorder) {
				if len(x.RequestBody) != 0 || len(x.ResponseBody) != 0 || x.RequestSize != 100 || x.ResponseSize != 100 {
					t.Errorf("bodies %q / %q sizes %d / %d", x.RequestBody, x.ResponseBody, x.RequestSize, x.ResponseSize)
				}
				if resp.Body.Len() != 100 {
					t.Errorf("client got %d bytes", resp.Body.Len())
				}
			},
		},
		{
			name: "a body the handler does not read is not drained; its declared size is kept",
			req:  func() *http.Request { return httptest.NewRequest("POST", "/", strings.NewReader(long)) },
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				buf := make([]byte, 5)
				io.ReadFull(r.Body, buf)
			}),
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if string(x.RequestBody) != "01234" || x.RequestSize != 100 {
					t.Errorf("request body %q size %d", x.RequestBody, x.RequestSize)
				}
			},
		},
		{
			name:    "status defaults to 200 when nothing is written",
			req:     func() *http.Request { return httptest.NewRequest("GET", "/", nil) },
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Late", "1") }),
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if x.Status != 200 || x.ResponseHeaders.Get("X-Late") != "1" {
					t.Errorf("status %d headers %v", x.Status, x.ResponseHeaders)
				}
			},
		},
		{
			name:    "status defaults to 200 on a bare Write",
			req:     func() *http.Request { return httptest.NewRequest("GET", "/", nil) },
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }),
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if x.Status != 200 || string(x.ResponseBody) != "hi" || x.ResponseSize != 2 {
					t.Errorf("status %d body %q", x.Status, x.ResponseBody)
				}
			},
		},
		{
			name: "headers are captured at WriteHeader time",
			req:  func() *http.Request { return httptest.NewRequest("GET", "/", nil) },
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Before", "yes")
				w.WriteHeader(http.StatusAccepted)
				w.Header().Set("X-After", "too late")
				w.WriteHeader(http.StatusTeapot) // superfluous, ignored
			}),
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if x.Status != 202 || x.ResponseHeaders.Get("X-Before") != "yes" || x.ResponseHeaders.Get("X-After") != "" {
					t.Errorf("status %d headers %v", x.Status, x.ResponseHeaders)
				}
			},
		},
		{
			name: "informational statuses are not the final status",
			req:  func() *http.Request { return httptest.NewRequest("GET", "/", nil) },
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "</a.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusNoContent)
			}),
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if x.Status != 204 {
					t.Errorf("status %d", x.Status)
				}
			},
		},
		{
			name: "the request line and metadata are captured",
			req: func() *http.Request {
				r := httptest.NewRequest("PUT", "http://pets.test/pets/1?x=1", nil)
				r.RemoteAddr = "10.0.0.7:5555"
				r.Header.Set("Accept", "application/json")
				return r
			},
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(time.Millisecond) }),
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if x.Method != "PUT" || x.URL != "http://pets.test/pets/1?x=1" || x.Host != "pets.test" || x.Proto != "HTTP/1.1" || x.ClientAddr != "10.0.0.7:5555" {
					t.Errorf("request line %+v", x)
				}
				if x.RequestHeaders.Get("Accept") != "application/json" {
					t.Errorf("request headers %v", x.RequestHeaders)
				}
				if len(x.ID) != 26 || time.Since(x.StartedAt) > time.Minute || x.Duration < time.Millisecond {
					t.Errorf("id %q started %v duration %v", x.ID, x.StartedAt, x.Duration)
				}
			},
		},
		{
			name: "inner handlers annotate the exchange",
			req:  func() *http.Request { return httptest.NewRequest("GET", "/pets", nil) },
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				x := FromContext(r.Context())
				x.API, x.Operation, x.Mode = "petstore", "listPets", "mock"
				x.Violations = append(x.Violations, model.Violation{In: "query", Name: "limit", Message: "required"})
				x.Warnings = append(x.Warnings, "example invalid")
			}),
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if x.API != "petstore" || x.Operation != "listPets" || x.Mode != "mock" || len(x.Violations) != 1 || len(x.Warnings) != 1 {
					t.Errorf("annotations %+v", x)
				}
			},
		},
		{
			name: "secrets are redacted in the capture only",
			opts: CaptureOptions{RedactHeaders: []string{"x-internal-secret"}, RedactQuery: []string{"sig"}},
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "/p?api_key=k1&q=cats&Token=t2&sig=s3&ke%79=k4", nil)
				r.Header.Set("Authorization", "Bearer abc.def")
				r.Header.Set("Proxy-Authorization", "opaque")
				r.Header.Set("Cookie", "session=s1; theme=dark")
				r.Header.Set("X-Api-Key", "k")
				r.Header.Set("X-Internal-Secret", "shh")
				return r
			},
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer abc.def" || r.Header.Get("X-Internal-Secret") != "shh" {
					t.Errorf("live request headers modified: %v", r.Header)
				}
				w.Header().Set("Set-Cookie", "session=s2; Path=/; HttpOnly")
			}),
			check: func(t *testing.T, x *model.Exchange, resp *httptest.ResponseRecorder) {
				want := map[string]string{
					"Authorization":       "Bearer [REDACTED]",
					"Proxy-Authorization": "[REDACTED]",
					"Cookie":              "session=[REDACTED]; theme=[REDACTED]",
					"X-Api-Key":           "[REDACTED]",
					"X-Internal-Secret":   "[REDACTED]",
				}
				for k, v := range want {
					if got := x.RequestHeaders.Get(k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
				if got := x.ResponseHeaders.Get("Set-Cookie"); got != "session=[REDACTED]; Path=/; HttpOnly" {
					t.Errorf("Set-Cookie = %q", got)
				}
				if resp.Header().Get("Set-Cookie") != "session=s2; Path=/; HttpOnly" {
					t.Errorf("live Set-Cookie modified: %q", resp.Header().Get("Set-Cookie"))
				}
				if want := "/p?api_key=[REDACTED]&q=cats&Token=[REDACTED]&sig=[REDACTED]&ke%79=[REDACTED]"; x.URL != want {
					t.Errorf("URL = %q, want %q", x.URL, want)
				}
			},
		},
		{
			name: "redaction leaves header values the handler shares untouched",
			req:  func() *http.Request { return httptest.NewRequest("GET", "/", nil) },
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// As a mock serving a cached response does: the values are shared, not copied.
				w.Header()["Set-Cookie"] = sharedCookie
				w.Header()["Content-Type"] = sharedType
				w.WriteHeader(http.StatusOK)
			}),
			check: func(t *testing.T, x *model.Exchange, resp *httptest.ResponseRecorder) {
				if sharedCookie[0] != "id=1; Path=/" || resp.Header().Get("Set-Cookie") != "id=1; Path=/" {
					t.Errorf("shared Set-Cookie modified: %q", sharedCookie)
				}
				if got := x.ResponseHeaders.Get("Set-Cookie"); got != "id=[REDACTED]; Path=/" {
					t.Errorf("Set-Cookie = %q", got)
				}
				if got := x.ResponseHeaders.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type = %q", got)
				}
			},
		},
		{
			name: "trailers declared in the header are recorded from a copy",
			req:  func() *http.Request { return httptest.NewRequest("GET", "/", nil) },
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(http.TrailerPrefix+"X-Checksum", "abc")
				w.WriteHeader(http.StatusOK)
			}),
			check: func(t *testing.T, x *model.Exchange, resp *httptest.ResponseRecorder) {
				// net/http's HTTP/2 server moves such trailers in the live map after the
				// handler returns, while the recorder may be reading the exchange.
				resp.Header().Set("X-Checksum", "abc")
				if x.ResponseHeaders.Get(http.TrailerPrefix+"X-Checksum") != "abc" || x.ResponseHeaders.Get("X-Checksum") != "" {
					t.Errorf("response headers %v", x.ResponseHeaders)
				}
			},
		},
		{
			name: "KeepSecrets captures verbatim",
			opts: CaptureOptions{KeepSecrets: true},
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "/p?token=t1", nil)
				r.Header.Set("Authorization", "Bearer abc")
				return r
			},
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Set-Cookie", "a=b")
			}),
			check: func(t *testing.T, x *model.Exchange, _ *httptest.ResponseRecorder) {
				if x.URL != "/p?token=t1" || x.RequestHeaders.Get("Authorization") != "Bearer abc" || x.ResponseHeaders.Get("Set-Cookie") != "a=b" {
					t.Errorf("redacted despite KeepSecrets: %q %v %v", x.URL, x.RequestHeaders, x.ResponseHeaders)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, resp := captureOne(t, tt.opts, tt.handler, tt.req())
			tt.check(t, x, resp)
		})
	}
}

func TestMiddlewarePanicStillRecords(t *testing.T) {
	sink := &MemorySink{}
	rec := New(sink, Options{})
	h := Middleware(rec, CaptureOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want the handler's panic", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	rec.Close(context.Background())
	xs := sink.Exchanges()
	if len(xs) != 1 || xs[0].Status != 0 || len(xs[0].Warnings) != 1 {
		t.Fatalf("exchanges %+v", xs)
	}
}

func TestMiddlewareFlushStreams(t *testing.T) {
	sink := &MemorySink{}
	rec := New(sink, Options{})
	release := make(chan struct{})
	srv := httptest.NewServer(Middleware(rec, CaptureOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("ResponseController through the wrapper: %v", err)
		}
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-release // the client must see the first event before the handler goes on
		io.WriteString(w, "data: two\n\n")
	})))
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event %q, %v", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if string(rest) != "\ndata: two\n\n" {
		t.Fatalf("rest %q", rest)
	}
	srv.Close()
	rec.Close(context.Background())
	xs := sink.Exchanges()
	if len(xs) != 1 || string(xs[0].ResponseBody) != "data: one\n\ndata: two\n\n" || xs[0].Status != 200 ||
		xs[0].ResponseHeaders.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("captured %+v", xs)
	}
}

// blockingSink blocks every call until release is closed, announcing each call on entered.
type blockingSink struct {
	entered chan struct{}
	release chan struct{}
	MemorySink
}

func (s *blockingSink) AppendExchanges(ctx context.Context, xs []*model.Exchange) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.MemorySink.AppendExchanges(ctx, xs)
}

func TestRecorderQueueFullDrops(t *testing.T) {
	sink := &blockingSink{entered: make(chan struct{}, 1), release: make(chan struct{})}
	rec := New(sink, Options{QueueSize: 2, BatchSize: 1})
	rec.Record(&model.Exchange{ID: "first"})
	<-sink.entered // the writer holds "first" and is stuck in the sink

	start := time.Now()
	for range 10 {
		rec.Record(&model.Exchange{})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Record blocked for %v with a stuck sink", d)
	}
	if s := rec.Stats(); s.Recorded != 11 || s.Dropped != 8 || s.Written != 0 {
		t.Errorf("stats while stuck: %+v", s)
	}
	close(sink.release)
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := rec.Stats(); s.Written != 3 || s.Dropped != 8 || s.Failed != 0 {
		t.Errorf("stats after close: %+v", s)
	}
	rec.Record(&model.Exchange{})
	if s := rec.Stats(); s.Dropped != 9 {
		t.Errorf("a Record after Close was not counted as dropped: %+v", s)
	}
}

func TestRecorderCloseFlushesEverything(t *testing.T) {
	sink := &MemorySink{}
	rec := New(sink, Options{BatchSize: 64, FlushInterval: time.Hour})
	for i := range 1000 {
		rec.Record(&model.Exchange{Status: i})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	xs := sink.Exchanges()
	if len(xs) != 1000 {
		t.Fatalf("written %d, want 1000", len(xs))
	}
	for i, x := range xs {
		if x.Status != i {
			t.Fatalf("exchange %d out of order: %d", i, x.Status)
		}
	}
	if s := rec.Stats(); s.Written != 1000 || s.Recorded != 1000 {
		t.Errorf("stats %+v", s)
	}
}

// TestRecorderWritesFullBatchAtOnce checks that a full batch is written without waiting for
// the flush interval.
func TestRecorderWritesFullBatchAtOnce(t *testing.T) {
	sink := &MemorySink{}
	rec := New(sink, Options{BatchSize: 8, FlushInterval: time.Hour})
	defer rec.Close(context.Background())
	for i := range 8 {
		rec.Record(&model.Exchange{Status: i})
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.Exchanges()) < 8 {
		if time.Now().After(deadline) {
			t.Fatalf("a full batch was not written: %d of 8 after 5s", len(sink.Exchanges()))
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRecorderFlushInterval(t *testing.T) {
	sink := &MemorySink{}
	rec := New(sink, Options{BatchSize: 100, FlushInterval: 10 * time.Millisecond})
	defer rec.Close(context.Background())
	rec.Record(&model.Exchange{})
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.Exchanges()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a partial batch was not written after the flush interval")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRecorderCloseGivesUpWithContext(t *testing.T) {
	sink := &blockingSink{entered: make(chan struct{}, 1), release: make(chan struct{})}
	rec := New(sink, Options{})
	rec.Record(&model.Exchange{})
	<-sink.entered
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := rec.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want deadline exceeded", err)
	}
	// Cancelling the sink's context unblocks it; the batch counts as failed.
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := rec.Stats(); s.Failed != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestRecorderSinkFailures(t *testing.T) {
	tests := []struct {
		name string
		sink SinkFunc
	}{
		{"error", func(context.Context, []*model.Exchange) error { return errors.New("disk full") }},
		{"panic", func(context.Context, []*model.Exchange) error { panic("boom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs strings.Builder
			var mu sync.Mutex
			rec := New(tt.sink, Options{BatchSize: 2, Logger: newTestLogger(&logs, &mu)})
			for range 5 {
				rec.Record(&model.Exchange{})
			}
			if err := rec.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if s := rec.Stats(); s.Failed != 5 || s.Written != 0 {
				t.Errorf("stats %+v", s)
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(logs.String(), "batch lost") {
				t.Errorf("nothing logged: %q", logs.String())
			}
		})
	}
}

func TestRecorderSubscribe(t *testing.T) {
	rec := New(SinkFunc(func(context.Context, []*model.Exchange) error { return nil }), Options{})
	fast, cancelFast := rec.Subscribe(10)
	slow, _ := rec.Subscribe(1)
	for i := range 5 {
		rec.Record(&model.Exchange{Status: i})
	}
	if got := rec.Missed(slow); got != 4 {
		t.Errorf("slow subscriber missed %d, want 4", got)
	}
	if got := rec.Missed(fast); got != 0 {
		t.Errorf("fast subscriber missed %d", got)
	}
	if s := rec.Stats(); s.Subscribers != 2 || s.SubscriberMissed != 4 {
		t.Errorf("stats %+v", s)
	}
	cancelFast()
	cancelFast() // idempotent
	var got []int
	for x := range fast { // closed by cancel after the buffered events
		got = append(got, x.Status)
	}
	if !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("fast subscriber got %v", got)
	}
	rec.Record(&model.Exchange{Status: 99}) // only the slow one is left, and it is full
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got = nil
	for x := range slow { // closed by Close
		got = append(got, x.Status)
	}
	if !slices.Equal(got, []int{0}) {
		t.Errorf("slow subscriber got %v", got)
	}
	if s := rec.Stats(); s.Subscribers != 0 || s.SubscriberMissed != 5 {
		t.Errorf("stats after close %+v", s)
	}
	if ch, cancel := rec.Subscribe(1); true {
		cancel()
		if _, ok := <-ch; ok {
			t.Error("Subscribe after Close returned an open channel")
		}
	}
}

func TestRecorderConcurrent(t *testing.T) {
	sink := &MemorySink{}
	rec := New(sink, Options{QueueSize: 1 << 16, BatchSize: 50, FlushInterval: time.Millisecond})
	ch, cancel := rec.Subscribe(16)
	go func() {
		for range ch {
		}
	}()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				rec.Record(&model.Exchange{ID: NewID()})
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			_, c := rec.Subscribe(1)
			c()
		}
	})
	wg.Wait()
	cancel()
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := rec.Stats()
	if s.Recorded != 8000 || s.Written+s.Dropped != 8000 || int(s.Written) != len(sink.Exchanges()) {
		t.Errorf("stats %+v, sink has %d", s, len(sink.Exchanges()))
	}
}

func TestNewID(t *testing.T) {
	const workers, each = 8, 5000
	seqs := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				seqs[w] = append(seqs[w], NewID())
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for w, seq := range seqs {
		for i, id := range seq {
			if len(id) != 26 || strings.Trim(id, crockford) != "" {
				t.Fatalf("malformed ID %q", id)
			}
			if i > 0 && id <= seq[i-1] {
				t.Fatalf("worker %d: ID %q not after %q", w, id, seq[i-1])
			}
			if seen[id] {
				t.Fatalf("duplicate ID %q", id)
			}
			seen[id] = true
		}
	}
	// The timestamp part decodes to now.
	id := NewID()
	var ms int64
	for _, c := range id[:10] {
		ms = ms<<5 | int64(strings.IndexRune(crockford, c))
	}
	if d := time.Since(time.UnixMilli(ms)); d < 0 || d > time.Minute {
		t.Errorf("ID %q encodes %v", id, time.UnixMilli(ms))
	}
	if id[0] > '7' {
		t.Errorf("ID %q overflows 128 bits", id)
	}
}

func TestEncodeULID(t *testing.T) {
	tests := []struct {
		name string
		ms   uint64
		hi   uint16
		lo   uint64
		want string
	}{
		{"zero", 0, 0, 0, "00000000000000000000000000"},
		{"max", 1<<48 - 1, 0xFFFF, ^uint64(0), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		{"low bit", 1, 0, 1, "00000000010000000000000001"},
		{"hi bits", 0, 1, 0, "0000000000000G000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encodeULID(tt.ms, tt.hi, tt.lo); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
