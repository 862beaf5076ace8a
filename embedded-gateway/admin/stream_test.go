package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
)

// sseEvent is one parsed Server-Sent Event; comments come as event ":" with the text in data.
type sseEvent struct {
	event, id, data string
}

// readEvents parses the stream r into events on the returned channel, closed at EOF.
func readEvents(r io.Reader) <-chan sseEvent {
	out := make(chan sseEvent, 64)
	go func() {
		defer close(out)
		br := bufio.NewReader(r)
		var ev sseEvent
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				out <- sseEvent{event: ":", data: strings.TrimSpace(line[1:])}
			default:
				k, v, _ := strings.Cut(line, ": ")
				switch k {
				case "event":
					ev.event = v
				case "id":
					ev.id = v
				case "data":
					ev.data = v
				}
			}
		}
	}()
	return out
}

// call describes one request served through capture.Middleware and what the gateway set.
type call struct {
	method, path        string
	status              int
	api, consumer, mode string
	operation           string
	violations          int
}

// serve sends c through capture.Middleware into rec and returns the recorded exchange.
func serve(rec *capture.Recorder, c call) *model.Exchange {
	var x *model.Exchange
	h := capture.Middleware(rec, capture.CaptureOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x = capture.FromContext(r.Context())
		x.API, x.Consumer, x.Mode, x.Operation = c.api, c.consumer, c.mode, c.operation
		for range c.violations {
			x.Violations = append(x.Violations, model.Violation{In: "query", Name: "limit", Message: "not an integer"})
		}
		w.WriteHeader(c.status)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, c.path, nil))
	return x
}

// openStream connects to the stream of srv with the given query and checks the headers.
func openStream(t *testing.T, ctx context.Context, srv *httptest.Server, query string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/traffic/stream"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res, readEvents(res.Body)
}

func TestStreamFilters(t *testing.T) {
	calls := []call{
		{method: "GET", path: "/v1/pets", status: 200, api: "pets", consumer: "alice", mode: "mock", operation: "listPets"},
		{method: "POST", path: "/v1/pets", status: 201, api: "pets", consumer: "bob", mode: "mock", operation: "createPet", violations: 2},
		{method: "GET", path: "/v1/pets/7", status: 404, api: "pets", consumer: "alice", mode: "proxy"},
		{method: "GET", path: "/v2/orders?id=1", status: 500, api: "orders", mode: "proxy"},
		{method: "delete", path: "/nowhere", status: 404},
	}
	tests := []struct {
		name  string
		query string
		want  []int // indexes into calls
	}{
		{name: "everything", query: "", want: []int{0, 1, 2, 3, 4}},
		{name: "api", query: "?api=pets", want: []int{0, 1, 2}},
		{name: "method any case", query: "?method=delete", want: []int{4}},
		{name: "method upper", query: "?method=GET", want: []int{0, 2, 3}},
		{name: "status class", query: "?status=4xx", want: []int{2, 4}},
		{name: "exact status", query: "?status=201", want: []int{1}},
		{name: "path contains", query: "?path=pets/", want: []int{2}},
		{name: "consumer", query: "?consumer=alice", want: []int{0, 2}},
		{name: "combined", query: "?api=pets&status=2xx&consumer=bob", want: []int{1}},
		{name: "nothing matches", query: "?api=none", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := capture.New(newMemStore(), capture.Options{})
			closeRecorder(t, rec)
			srv := httptest.NewServer(New(Options{Recorder: rec}))
			defer srv.Close()
			res, events := openStream(t, context.Background(), srv, tc.query)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"} {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			var xs []*model.Exchange
			for _, c := range calls {
				xs = append(xs, serve(rec, c))
			}
			if err := rec.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got []int
			var sawEnd bool
			for ev := range events {
				switch ev.event {
				case "exchange":
					var s ExchangeSummary
					if err := json.Unmarshal([]byte(ev.data), &s); err != nil {
						t.Fatalf("event data %q: %v", ev.data, err)
					}
					i := slices.IndexFunc(xs, func(x *model.Exchange) bool { return x.ID == s.ID })
					if i < 0 || ev.id != s.ID {
						t.Fatalf("event id %q / data id %q is not a recorded exchange", ev.id, s.ID)
					}
					if want := Summarize(xs[i]); s.Method != want.Method || s.URL != want.URL || s.Status != want.Status ||
						s.API != want.API || s.Consumer != want.Consumer || s.Mode != want.Mode ||
						s.Operation != want.Operation || s.Violations != calls[i].violations || !s.StartedAt.Equal(want.StartedAt) {
						t.Errorf("event %d = %+v, want %+v", i, s, want)
					}
					got = append(got, i)
				case "end":
					sawEnd = true
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("streamed calls %v, want %v", got, tc.want)
			}
			if !sawEnd {
				t.Error("the stream ended without an end event when the recorder closed")
			}
		})
	}
}

func TestStreamBadFilter(t *testing.T) {
	rec := capture.New(newMemStore(), capture.Options{})
	closeRecorder(t, rec)
	w := httptest.NewRecorder()
	New(Options{Recorder: rec}).ServeHTTP(w, httptest.NewRequest("GET", "/traffic/stream?status=9xx", nil))
	if w.Code != 400 || !strings.Contains(w.Body.String(), `status \"9xx\"`) {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
	if n := rec.Stats().Subscribers; n != 0 {
		t.Errorf("a rejected stream left %d subscribers", n)
	}
}

func TestStreamDisconnectAndHeartbeat(t *testing.T) {
	rec := capture.New(newMemStore(), capture.Options{})
	closeRecorder(t, rec)
	srv := httptest.NewServer(New(Options{Recorder: rec, Heartbeat: 10 * time.Millisecond}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, events := openStream(t, ctx, srv, "")
	if n := rec.Stats().Subscribers; n != 1 {
		t.Fatalf("%d subscribers while streaming, want 1", n)
	}
	pings := 0
	for ev := range events {
		if ev.event == ":" && ev.data == "ping" {
			if pings++; pings == 2 {
				break
			}
		}
	}
	if pings < 2 {
		t.Fatal("no heartbeats")
	}
	cancel()
	waitFor(t, "the subscription to end after the client left", func() bool { return rec.Stats().Subscribers == 0 })
	// Recording after the client left reaches nobody and does not block.
	serve(rec, call{method: "GET", path: "/", status: 200})
}

// blockingWriter is a ResponseWriter whose writes wait until release is closed.
type blockingWriter struct {
	header  http.Header
	release chan struct{}
	mu      sync.Mutex
	out     strings.Builder
	writes  chan struct{} // receives after each write
}

func (w *blockingWriter) Header() http.Header { return w.header }
func (w *blockingWriter) WriteHeader(int)     {}
func (w *blockingWriter) Flush()              {}

func (w *blockingWriter) Write(b []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	w.out.Write(b)
	w.mu.Unlock()
	select {
	case w.writes <- struct{}{}:
	default:
	}
	return len(b), nil
}

func (w *blockingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

func TestStreamReportsMissed(t *testing.T) {
	rec := capture.New(newMemStore(), capture.Options{})
	closeRecorder(t, rec)
	h := New(Options{Recorder: rec, StreamBuffer: 1})
	w := &blockingWriter{header: http.Header{}, release: make(chan struct{}), writes: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, "GET", "/traffic/stream", nil))
	}()
	// The stream is stuck writing its first bytes: one exchange fits its buffer, nine miss.
	waitFor(t, "the stream to subscribe", func() bool { return rec.Stats().Subscribers == 1 })
	var first *model.Exchange
	for i := range 10 {
		x := serve(rec, call{method: "GET", path: "/", status: 200})
		if i == 0 {
			first = x
		}
	}
	close(w.release)
	waitFor(t, "the buffered exchange to be streamed", func() bool { return strings.Contains(w.String(), "id: "+first.ID) })
	cancel()
	<-done
	out := w.String()
	missed := strings.Index(out, "event: missed\ndata: {\"missed\":9}\n\n")
	exchange := strings.Index(out, "event: exchange\nid: "+first.ID+"\ndata: {")
	if missed < 0 || exchange < 0 || missed > exchange {
		t.Errorf("want a missed event for 9, then the buffered exchange:\n%s", out)
	}
	if n := rec.Stats().Subscribers; n != 0 {
		t.Errorf("%d subscribers after the stream ended", n)
	}
}

func TestStreamAfterRecorderClosed(t *testing.T) {
	rec := capture.New(newMemStore(), capture.Options{})
	if err := rec.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	New(Options{Recorder: rec}).ServeHTTP(w, httptest.NewRequest("GET", "/traffic/stream", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "event: end\n") {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
}

func TestAppendLineDropsLineBreaks(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "01J0ABC", want: "01J0ABC"},
		{name: "newline", in: "a\nb", want: "ab"},
		{name: "crlf", in: "a\r\nevent: x", want: "aevent: x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendLine(nil, tc.in)); got != tc.want {
				t.Errorf("appendLine(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStreamEndsOnServerShutdown(t *testing.T) {
	rec := capture.New(newMemStore(), capture.Options{})
	closeRecorder(t, rec)
	h := New(Options{Recorder: rec})
	srv := httptest.NewServer(h)
	defer srv.Close()
	srv.Config.RegisterOnShutdown(h.CloseStreams)

	_, events := openStream(t, context.Background(), srv, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with an open stream: %v", err)
	}
	var last sseEvent
	for ev := range events {
		last = ev
	}
	if last.event != "end" || !strings.Contains(last.data, "shutting down") {
		t.Errorf("last event %+v, want end", last)
	}
	waitFor(t, "the subscription to end", func() bool { return rec.Stats().Subscribers == 0 })
}
