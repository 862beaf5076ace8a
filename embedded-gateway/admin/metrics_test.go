package admin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gantry-dev/gantry/embedded-gateway/capture"
)

func TestMetricsExposition(t *testing.T) {
	st := newMemStore()
	rec := capture.New(st, capture.Options{FlushInterval: time.Millisecond})
	closeRecorder(t, rec)
	h := New(Options{Recorder: rec, Version: "test"})
	m := h.Metrics()

	m.ObserveRequest("pets", "mock", 200, 3*time.Millisecond)
	m.ObserveRequest("pets", "mock", 201, 2*time.Second)
	m.ObserveRequest("pets", "mock", 404, time.Millisecond)
	m.ObserveRequest("", "", 404, 100*time.Microsecond)
	m.ObserveRequest("pets", "proxy", 502, 20*time.Millisecond)
	m.ObserveRequest("pets", "proxy", 0, time.Millisecond)
	m.ObserveUpstreamError("pets", "petstore", UpstreamRefused)
	m.ObserveUpstreamError("pets", "petstore", "weird")
	m.ObserveRateLimitRejection("pets", "per-consumer")
	m.SetConfigRevision(42)
	m.ObserveConfigReloadError()
	for range 3 {
		capture.Middleware(rec, capture.CaptureOptions{})(http.NotFoundHandler()).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	}
	waitFor(t, "3 exchanges written", func() bool { return st.len() == 3 })

	body := get(t, h, "/metrics")
	for _, want := range []string{
		`gantry_requests_total{api="pets",code_class="2xx",mode="mock"} 2`,
		`gantry_requests_total{api="pets",code_class="4xx",mode="mock"} 1`,
		`gantry_requests_total{api="pets",code_class="1xx",mode="mock"} 0`,
		`gantry_requests_total{api="",code_class="4xx",mode=""} 1`,
		`gantry_requests_total{api="pets",code_class="5xx",mode="proxy"} 1`,
		`gantry_requests_total{api="pets",code_class="other",mode="proxy"} 1`,
		`gantry_request_duration_seconds_bucket{api="pets",mode="mock",le="0.0005"} 0`,
		`gantry_request_duration_seconds_bucket{api="pets",mode="mock",le="0.005"} 2`,
		`gantry_request_duration_seconds_bucket{api="pets",mode="mock",le="10"} 3`,
		`gantry_request_duration_seconds_count{api="pets",mode="mock"} 3`,
		`gantry_upstream_errors_total{api="pets",kind="refused",upstream="petstore"} 1`,
		`gantry_upstream_errors_total{api="pets",kind="other",upstream="petstore"} 1`,
		`gantry_ratelimit_rejections_total{api="pets",policy="per-consumer"} 1`,
		`gantry_config_revision 42`,
		`gantry_config_reload_errors_total 1`,
		`gantry_recorder_exchanges_total{state="recorded"} 3`,
		`gantry_recorder_exchanges_total{state="written"} 3`,
		`gantry_recorder_exchanges_total{state="dropped"} 0`,
		`gantry_recorder_exchanges_total{state="failed"} 0`,
		`gantry_recorder_subscribers 0`,
		`gantry_build_info{version="test"} 1`,
		`# TYPE gantry_request_duration_seconds histogram`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantClass string
	}{
		{name: "explicit status", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }, wantClass: "4xx"},
		{name: "writes nothing", handler: func(http.ResponseWriter, *http.Request) {}, wantClass: "2xx"},
		{name: "implicit 200 on write", handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hi")) }, wantClass: "2xx"},
		{name: "informational then final", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusServiceUnavailable)
		}, wantClass: "5xx"},
		{name: "flush first", handler: func(w http.ResponseWriter, _ *http.Request) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush through the wrapper: %v", err)
			}
			w.WriteHeader(500) // too late: the flush sent 200
		}, wantClass: "2xx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := NewMetrics(reg)
			rec := capture.New(newMemStore(), capture.Options{})
			closeRecorder(t, rec)
			// The gateway's order: capture outside, metrics inside, the handler sets the labels.
			inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				x := capture.FromContext(r.Context())
				x.API, x.Mode = "pets", "mock"
				tc.handler(w, r)
			})
			h := capture.Middleware(rec, capture.CaptureOptions{})(m.Middleware(CaptureLabels)(inner))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/pets", nil))

			body := get(t, New(Options{Registry: reg, Metrics: m}), "/metrics")
			want := fmt.Sprintf(`gantry_requests_total{api="pets",code_class=%q,mode="mock"} 1`, tc.wantClass)
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s:\n%s", want, body)
			}
		})
	}
}

func TestMiddlewareWithoutLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Middleware(nil)(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	// Outside capture, CaptureLabels finds nothing.
	m.Middleware(CaptureLabels)(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	body := get(t, New(Options{Registry: reg, Metrics: m}), "/metrics")
	if want := `gantry_requests_total{api="",code_class="4xx",mode=""} 2`; !strings.Contains(body, want) {
		t.Errorf("metrics lack %s:\n%s", want, body)
	}
}

func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("a", "mock", 200, time.Millisecond)
	m.ObserveUpstreamError("a", "u", UpstreamTLS)
	m.ObserveRateLimitRejection("a", "p")
	m.SetConfigRevision(1)
	m.ObserveConfigReloadError()
	m.ForgetAPI("a")
	next := http.NewServeMux()
	if h := m.Middleware(CaptureLabels)(next); h != http.Handler(next) {
		t.Error("a nil Metrics wrapped the handler")
	}
}

func TestForgetAPI(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.ObserveRequest("old", "mock", 200, time.Millisecond)
	m.ObserveRequest("kept", "mock", 200, time.Millisecond)
	m.ObserveUpstreamError("old", "u", UpstreamTimeout)
	m.ForgetAPI("old")
	h := New(Options{Registry: reg, Metrics: m})
	body := get(t, h, "/metrics")
	if strings.Contains(body, `api="old"`) {
		t.Errorf("series of a forgotten API remain:\n%s", body)
	}
	if !strings.Contains(body, `gantry_requests_total{api="kept",code_class="2xx",mode="mock"} 1`) {
		t.Errorf("series of another API went too:\n%s", body)
	}
	m.ObserveRequest("old", "mock", 500, time.Millisecond)
	if body := get(t, h, "/metrics"); !strings.Contains(body, `gantry_requests_total{api="old",code_class="5xx",mode="mock"} 1`) {
		t.Errorf("a forgotten API is not counted again:\n%s", body)
	}
}

func TestObserveRequestDoesNotAllocate(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	m.ObserveRequest("pets", "mock", 200, time.Millisecond) // resolves the series
	if n := testing.AllocsPerRun(1000, func() { m.ObserveRequest("pets", "mock", 404, time.Millisecond) }); n != 0 {
		t.Errorf("ObserveRequest allocates %.1f times per call", n)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	m := NewMetrics(prometheus.NewRegistry())
	h := m.Middleware(func(*http.Request) (string, string) { return "pets", "mock" })(
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.ServeHTTP(w, r)
		}
	})
}

func TestUpstreamErrorKind(t *testing.T) {
	// A real refused connection: listen, note the port, close, dial.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, refused := net.Dial("tcp", addr)

	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "nil", err: nil, want: ""},
		{name: "real refused dial", err: refused, want: UpstreamRefused},
		{name: "wrapped ECONNREFUSED", err: &url.Error{Op: "Get", URL: "http://x", Err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}, want: UpstreamRefused},
		{name: "deadline", err: fmt.Errorf("proxying: %w", context.DeadlineExceeded), want: UpstreamTimeout},
		{name: "i/o timeout", err: &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, want: UpstreamTimeout},
		{name: "unknown authority", err: &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}, want: UpstreamTLS},
		{name: "certificate verification", err: &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "x", Certificate: &x509.Certificate{}}}, want: UpstreamTLS},
		{name: "record header", err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, want: UpstreamTLS},
		{name: "plain tls error", err: errors.New("remote error: tls: handshake failure"), want: UpstreamTLS},
		{name: "reset", err: &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, want: UpstreamOther},
		{name: "other", err: errors.New("EOF"), want: UpstreamOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := UpstreamErrorKind(tc.err); got != tc.want {
				t.Errorf("UpstreamErrorKind(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test after 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
