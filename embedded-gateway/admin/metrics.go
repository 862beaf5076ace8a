package admin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gantry-dev/gantry/embedded-gateway/capture"
)

// DurationBuckets are the upper bounds, in seconds, of gantry_request_duration_seconds:
// from half a millisecond (a mock answer) to ten seconds (a slow upstream).
var DurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Upstream error kinds, the values of the kind label of gantry_upstream_errors_total.
const (
	// UpstreamRefused means the upstream refused the connection (nothing listens there).
	UpstreamRefused = "refused"
	// UpstreamTimeout means a dial, TLS handshake, or response wait ran out of time.
	UpstreamTimeout = "timeout"
	// UpstreamTLS means the TLS handshake failed (bad certificate, protocol mismatch).
	UpstreamTLS = "tls"
	// UpstreamOther is every other transport error.
	UpstreamOther = "other"
)

// codeClasses are the values of the code_class label, indexed by codeClass.
var codeClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}

// codeClass returns the index in codeClasses of an HTTP status.
func codeClass(status int) int {
	if status < 100 || status > 599 {
		return len(codeClasses) - 1
	}
	return status/100 - 1
}

// Metrics are the gateway's Prometheus metrics. Every method is safe for concurrent use,
// and every method of a nil *Metrics does nothing, so a gateway without an admin listener
// can call them unconditionally.
//
// Label values must come from configuration (API, upstream and policy names), never from
// requests, so that the number of series stays bounded: pass "" for a request that matched
// no API.
type Metrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	upstream   *prometheus.CounterVec
	ratelimit  *prometheus.CounterVec
	revision   prometheus.Gauge
	reloadErrs prometheus.Counter

	// routes caches the resolved series of each (api, mode) pair: a copy-on-write map read
	// without locks on the hot path; mu serializes the copies.
	mu     sync.Mutex
	routes atomic.Pointer[map[routeKey]*routeSeries]
}

// routeKey is one (api, mode) label pair.
type routeKey struct{ api, mode string }

// routeSeries are the pre-resolved series of one (api, mode) pair.
type routeSeries struct {
	requests [len(codeClasses)]prometheus.Counter
	duration prometheus.Observer
}

// NewMetrics creates the gateway's metrics and registers them with reg; a nil reg leaves
// them unregistered (still usable, but nothing exports them). Like promauto, it panics if
// reg already holds metrics of the same names: create one Metrics per registry.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gantry_requests_total",
			Help: "Requests the gateway answered, by API, mode (mock, proxy, or empty for gateway errors) and status class.",
		}, []string{"api", "mode", "code_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gantry_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its response, by API and mode.",
			Buckets: DurationBuckets,
		}, []string{"api", "mode"}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gantry_upstream_errors_total",
			Help: "Failed attempts to reach an upstream, by API, upstream and kind (refused, timeout, tls, other).",
		}, []string{"api", "upstream", "kind"}),
		ratelimit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gantry_ratelimit_rejections_total",
			Help: "Requests rejected by a rate limit policy, by API and policy.",
		}, []string{"api", "policy"}),
		revision: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gantry_config_revision",
			Help: "Revision of the configuration snapshot in force.",
		}),
		reloadErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gantry_config_reload_errors_total",
			Help: "Configuration snapshots that were rejected, leaving the previous one in force.",
		}),
	}
	m.routes.Store(&map[routeKey]*routeSeries{})
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.upstream, m.ratelimit, m.revision, m.reloadErrs)
	}
	return m
}

// series returns the cached series of (api, mode), resolving them on first use.
func (m *Metrics) series(api, mode string) *routeSeries {
	k := routeKey{api, mode}
	if s := (*m.routes.Load())[k]; s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.routes.Load()
	if s := old[k]; s != nil {
		return s
	}
	s := &routeSeries{duration: m.duration.WithLabelValues(api, mode)}
	for i, class := range codeClasses {
		s.requests[i] = m.requests.WithLabelValues(api, mode, class)
	}
	routes := make(map[routeKey]*routeSeries, len(old)+1)
	for k2, v := range old {
		routes[k2] = v
	}
	routes[k] = s
	m.routes.Store(&routes)
	return s
}

// ObserveRequest counts one answered request of the API called api ("" if none matched),
// served in mode ("mock", "proxy", or "" for a gateway error), with the final status and
// the time it took. After the first request of an (api, mode) pair it does not allocate.
func (m *Metrics) ObserveRequest(api, mode string, status int, d time.Duration) {
	if m == nil {
		return
	}
	s := m.series(api, mode)
	s.requests[codeClass(status)].Inc()
	s.duration.Observe(d.Seconds())
}

// ObserveUpstreamError counts one failed attempt to reach upstream (its configured name or
// host:port, not a URL) for api. kind is one of the Upstream* constants, usually from
// UpstreamErrorKind; any other value counts as UpstreamOther.
func (m *Metrics) ObserveUpstreamError(api, upstream, kind string) {
	if m == nil {
		return
	}
	switch kind {
	case UpstreamRefused, UpstreamTimeout, UpstreamTLS:
	default:
		kind = UpstreamOther
	}
	m.upstream.WithLabelValues(api, upstream, kind).Inc()
}

// ObserveRateLimitRejection counts one request of api rejected by the rate limit policy
// called policy.
func (m *Metrics) ObserveRateLimitRejection(api, policy string) {
	if m == nil {
		return
	}
	m.ratelimit.WithLabelValues(api, policy).Inc()
}

// SetConfigRevision records the revision of the configuration snapshot now in force.
func (m *Metrics) SetConfigRevision(rev uint64) {
	if m == nil {
		return
	}
	m.revision.Set(float64(rev))
}

// ObserveConfigReloadError counts one configuration snapshot that was rejected.
func (m *Metrics) ObserveConfigReloadError() {
	if m == nil {
		return
	}
	m.reloadErrs.Inc()
}

// ForgetAPI deletes every series labelled with the API called api, for when it is removed
// from the configuration; counting for it again starts from zero.
func (m *Metrics) ForgetAPI(api string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	old := *m.routes.Load()
	routes := make(map[routeKey]*routeSeries, len(old))
	for k, v := range old {
		if k.api != api {
			routes[k] = v
		}
	}
	m.routes.Store(&routes)
	m.mu.Unlock()
	match := prometheus.Labels{"api": api}
	m.requests.DeletePartialMatch(match)
	m.duration.DeletePartialMatch(match)
	m.upstream.DeletePartialMatch(match)
	m.ratelimit.DeletePartialMatch(match)
}

// Middleware returns a wrapper that observes every request its handler answers (status,
// duration) with ObserveRequest. labels names the request's API and mode; it is called
// after the handler returns, with the request the wrapper received, so it can read what the
// handler recorded; nil labels every request ("", ""). CaptureLabels reads them from the
// captured exchange, which requires this wrapper to sit inside capture.Middleware.
// A nil *Metrics returns handlers unwrapped.
func (m *Metrics) Middleware(labels func(*http.Request) (api, mode string)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if m == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := statusWriterPool.Get().(*statusWriter)
			sw.ResponseWriter, sw.status = w, 0
			next.ServeHTTP(sw, r)
			status := sw.status
			if status == 0 {
				status = http.StatusOK // net/http's answer when a handler writes nothing
			}
			sw.ResponseWriter = nil
			statusWriterPool.Put(sw)
			var api, mode string
			if labels != nil {
				api, mode = labels(r)
			}
			m.ObserveRequest(api, mode, status, time.Since(start))
		})
	}
}

// CaptureLabels returns the API and mode of the exchange being captured for r (see
// capture.FromContext), or "", "" if r is not being captured.
func CaptureLabels(r *http.Request) (api, mode string) {
	if x := capture.FromContext(r.Context()); x != nil {
		return x.API, x.Mode
	}
	return "", ""
}

// statusWriterPool recycles the wrappers Middleware puts around each ResponseWriter; a
// handler must not use its ResponseWriter after returning, so reuse is safe.
var statusWriterPool = sync.Pool{New: func() any { return new(statusWriter) }}

// statusWriter remembers the final status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int // 0 until a final (non-1xx, or 101) status is written
}

// WriteHeader records a final status and passes every status on.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the implicit 200 of a first write and passes b on.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush flushes the underlying writer if it can.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// UpstreamErrorKind classifies a transport error from reaching an upstream as one of the
// Upstream* kinds: a refused connection, a timeout (including a cancelled deadline), a TLS
// failure, or other. It returns "" for a nil error.
func UpstreamErrorKind(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return UpstreamRefused
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return UpstreamTimeout
	}
	var (
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
		verifyErr  *tls.CertificateVerificationError
		authErr    x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
	)
	if errors.As(err, &recordErr) || errors.As(err, &alertErr) || errors.As(err, &verifyErr) ||
		errors.As(err, &authErr) || errors.As(err, &hostErr) || errors.As(err, &invalidErr) {
		return UpstreamTLS
	}
	// crypto/tls reports most handshake failures as plain errors prefixed "tls: ".
	if msg := err.Error(); strings.Contains(msg, "tls: ") || strings.Contains(msg, "x509: ") {
		return UpstreamTLS
	}
	return UpstreamOther
}

// recorderCollector exports a capture.Recorder's counters at scrape time.
type recorderCollector struct {
	rec         *capture.Recorder
	exchanges   *prometheus.Desc
	subscribers *prometheus.Desc
	missed      *prometheus.Desc
}

// NewRecorderCollector returns a collector that reads rec.Stats() at each scrape and
// exports gantry_recorder_exchanges_total{state} (recorded, written, dropped, failed),
// gantry_recorder_subscribers and gantry_recorder_subscriber_missed_total.
func NewRecorderCollector(rec *capture.Recorder) prometheus.Collector {
	return &recorderCollector{
		rec: rec,
		exchanges: prometheus.NewDesc("gantry_recorder_exchanges_total",
			"Captured exchanges by state: recorded (handed to the recorder), written (stored), dropped (queue full or closed), failed (the store rejected them).",
			[]string{"state"}, nil),
		subscribers: prometheus.NewDesc("gantry_recorder_subscribers",
			"Live subscriptions to captured traffic (such as open traffic streams).", nil, nil),
		missed: prometheus.NewDesc("gantry_recorder_subscriber_missed_total",
			"Exchanges live subscribers missed because they fell behind.", nil, nil),
	}
}

// Describe sends the collector's descriptors.
func (c *recorderCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.exchanges
	ch <- c.subscribers
	ch <- c.missed
}

// Collect sends the recorder's current counters.
func (c *recorderCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.rec.Stats()
	for _, v := range []struct {
		state string
		n     uint64
	}{{"recorded", s.Recorded}, {"written", s.Written}, {"dropped", s.Dropped}, {"failed", s.Failed}} {
		ch <- prometheus.MustNewConstMetric(c.exchanges, prometheus.CounterValue, float64(v.n), v.state)
	}
	ch <- prometheus.MustNewConstMetric(c.subscribers, prometheus.GaugeValue, float64(s.Subscribers))
	ch <- prometheus.MustNewConstMetric(c.missed, prometheus.CounterValue, float64(s.SubscriberMissed))
}
