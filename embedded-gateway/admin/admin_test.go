package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
)

// memStore is an in-memory store.TrafficStore; err, if set, fails every call.
type memStore struct {
	mu  sync.Mutex
	xs  map[string]*model.Exchange
	err error
}

var _ store.TrafficStore = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{xs: map[string]*model.Exchange{}} }

func (s *memStore) AppendExchanges(_ context.Context, xs []*model.Exchange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	for _, x := range xs {
		s.xs[x.ID] = x
	}
	return nil
}

func (s *memStore) ListExchanges(context.Context, store.TrafficFilter) ([]*model.Exchange, error) {
	return nil, errors.New("not implemented")
}

func (s *memStore) GetExchange(_ context.Context, id string) (*model.Exchange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	x, ok := s.xs[id]
	if !ok {
		return nil, fmt.Errorf("getting exchange %q: %w", id, store.ErrNotFound)
	}
	return x, nil
}

func (s *memStore) CountExchanges(context.Context, store.TrafficFilter) (int, error) {
	return len(s.xs), nil
}

func (s *memStore) DeleteExchanges(context.Context, store.TrafficFilter) (int, error) {
	return 0, errors.New("not implemented")
}

func (s *memStore) TrafficPosition(context.Context) (store.TrafficPosition, error) {
	return store.TrafficPosition{}, errors.New("not implemented")
}

func (s *memStore) ExchangesStoredAfter(_ context.Context, p store.TrafficPosition, _ int) ([]*model.Exchange, store.TrafficPosition, error) {
	return nil, p, errors.New("not implemented")
}

func (s *memStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.xs)
}

// closeRecorder closes rec at the end of the test.
func closeRecorder(t *testing.T, rec *capture.Recorder) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := rec.Close(ctx); err != nil {
			t.Error(err)
		}
	})
}

func TestRoutes(t *testing.T) {
	st := newMemStore()
	stored := &model.Exchange{ID: "01J000000000000000000000AB", Method: "GET", URL: "/v1/pets", Status: 200, API: "pets",
		RequestHeaders: map[string][]string{"Accept": {"application/json"}}}
	_ = st.AppendExchanges(context.Background(), []*model.Exchange{stored})
	broken := newMemStore()
	broken.err = errors.New("disk on fire")
	notReady := errors.New("no configuration applied yet")

	tests := []struct {
		name        string
		opts        Options
		method      string
		path        string
		wantStatus  int
		wantType    string // Content-Type prefix
		wantBody    []string
		wantHeaders map[string]string
	}{
		{name: "healthz", method: "GET", path: "/healthz", wantStatus: 200, wantType: "application/json",
			wantBody: []string{`"status":"ok"`}, wantHeaders: map[string]string{"Cache-Control": "no-store"}},
		{name: "healthz with version", opts: Options{Version: "1.2.3"}, method: "GET", path: "/healthz", wantStatus: 200,
			wantType: "application/json", wantBody: []string{`"status":"ok"`, `"version":"1.2.3"`}},
		{name: "healthz HEAD", method: "HEAD", path: "/healthz", wantStatus: 200, wantType: "application/json"},
		{name: "readyz default", method: "GET", path: "/readyz", wantStatus: 200, wantType: "application/json",
			wantBody: []string{`"status":"ready"`}},
		{name: "readyz ok", opts: Options{Ready: func() error { return nil }}, method: "GET", path: "/readyz",
			wantStatus: 200, wantType: "application/json"},
		{name: "readyz not ready", opts: Options{Ready: func() error { return notReady }}, method: "GET", path: "/readyz",
			wantStatus: 503, wantType: "application/problem+json", wantBody: []string{"no configuration applied yet", "/not-ready"}},
		{name: "metrics", method: "GET", path: "/metrics", wantStatus: 200, wantType: "text/plain",
			wantBody: []string{"go_goroutines", "gantry_config_revision 0"}},
		{name: "exchange", opts: Options{Store: st}, method: "GET", path: "/traffic/" + stored.ID, wantStatus: 200,
			wantType: "application/json", wantBody: []string{`"id":"` + stored.ID + `"`, `"requestHeaders":{"Accept":["application/json"]}`}},
		{name: "exchange unknown", opts: Options{Store: st}, method: "GET", path: "/traffic/NOPE", wantStatus: 404,
			wantType: "application/problem+json", wantBody: []string{"no captured exchange has ID NOPE"}},
		{name: "exchange without store", method: "GET", path: "/traffic/" + stored.ID, wantStatus: 503,
			wantType: "application/problem+json", wantBody: []string{"keeps no captured traffic"}},
		{name: "exchange store error hides details", opts: Options{Store: broken}, method: "GET", path: "/traffic/X",
			wantStatus: 500, wantType: "application/problem+json", wantBody: []string{"traffic-store-error"}},
		{name: "stream without recorder", method: "GET", path: "/traffic/stream", wantStatus: 503,
			wantType: "application/problem+json", wantBody: []string{"does not capture traffic"}},
		{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404, wantType: "application/problem+json",
			wantBody: []string{`"status":404`, "/healthz"}},
		{name: "traffic root", method: "GET", path: "/traffic/", wantStatus: 404, wantType: "application/problem+json"},
		{name: "nested traffic path", opts: Options{Store: st}, method: "GET", path: "/traffic/a/b", wantStatus: 404,
			wantType: "application/problem+json"},
		{name: "POST healthz", method: "POST", path: "/healthz", wantStatus: 405, wantType: "application/problem+json",
			wantBody: []string{"POST is not allowed"}, wantHeaders: map[string]string{"Allow": "GET, HEAD"}},
		{name: "HEAD stream", method: "HEAD", path: "/traffic/stream", wantStatus: 405,
			wantType: "application/problem+json", wantHeaders: map[string]string{"Allow": "GET"}},
		{name: "DELETE exchange", opts: Options{Store: st}, method: "DELETE", path: "/traffic/" + stored.ID, wantStatus: 405,
			wantType: "application/problem+json", wantHeaders: map[string]string{"Allow": "GET, HEAD"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := New(tc.opts)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			res := w.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tc.wantStatus, body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
				t.Errorf("Content-Type %q, want %q", ct, tc.wantType)
			}
			for _, want := range tc.wantBody {
				if !strings.Contains(string(body), want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
			for k, v := range tc.wantHeaders {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if tc.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD response has a body: %s", body)
			}
			if strings.HasPrefix(tc.wantType, "application/problem+json") && tc.method != "HEAD" {
				var p map[string]any
				if err := json.Unmarshal(body, &p); err != nil || p["status"] != float64(tc.wantStatus) {
					t.Errorf("not a problem document with status %d: %v %s", tc.wantStatus, err, body)
				}
			}
		})
	}
}

func TestSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	rec := capture.New(newMemStore(), capture.Options{})
	closeRecorder(t, rec)
	m := NewMetrics(reg)
	// Two handlers on one registry share the metrics and do not panic on the collectors.
	h1 := New(Options{Registry: reg, Metrics: m, Recorder: rec, Version: "v1"})
	h2 := New(Options{Registry: reg, Metrics: m, Recorder: rec, Version: "v1"})
	if h1.Metrics() != m || h2.Metrics() != m {
		t.Fatal("Metrics() is not the metrics passed in")
	}
	body := get(t, h2, "/metrics")
	for _, want := range []string{`gantry_build_info{version="v1"} 1`, `gantry_recorder_exchanges_total{state="recorded"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "go_goroutines") {
		t.Error("a registry passed in got the runtime collectors")
	}
}

// get serves GET path on h and returns the body, failing the test unless the status is 200.
func get(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
	return w.Body.String()
}
