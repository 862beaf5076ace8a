// Package admin serves a gateway's admin listener: liveness and readiness probes,
// Prometheus metrics, a live stream of captured traffic (Server-Sent Events) and captured
// exchanges by ID. It also holds the gateway's Metrics, which the request path feeds.
//
// The admin listener is meant for operators and local tools, not for API clients: bind it
// to a private address.
package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// Default option values.
const (
	// DefaultHeartbeat is how often an idle traffic stream sends a comment to keep
	// proxies and clients from closing it.
	DefaultHeartbeat = 15 * time.Second
	// DefaultStreamBuffer is how many exchanges a traffic stream holds while its client
	// catches up; beyond it the stream reports them as missed.
	DefaultStreamBuffer = 256
)

// Registry is where the admin handler registers its metrics and what /metrics exports.
// *prometheus.Registry satisfies it.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Options configures New. The zero value serves probes and the metrics of a fresh registry.
type Options struct {
	// Recorder is the gateway's traffic recorder, the source of /traffic/stream and of the
	// recorder metrics; nil answers /traffic/stream with 503.
	Recorder *capture.Recorder
	// Store holds captured exchanges for /traffic/{id}; nil answers it with 503.
	Store store.TrafficStore
	// Ready reports whether the gateway can serve traffic (a configuration is in force, ...);
	// a non-nil error fails /readyz with it as the detail. Nil means always ready.
	Ready func() error
	// Registry receives the metrics and is what /metrics exports. Nil means a fresh
	// prometheus.NewRegistry() with the Go runtime and process collectors.
	Registry Registry
	// Metrics are the gateway's request metrics, already registered with Registry. Nil
	// means New creates them with NewMetrics(Registry); get them with Handler.Metrics.
	Metrics *Metrics
	// Logger receives errors that cannot be sent to a client; nil discards them.
	Logger *slog.Logger
	// Version is the gateway's version, reported by /healthz and gantry_build_info; ""
	// leaves both out.
	Version string
	// Heartbeat is how often an idle traffic stream sends a ": ping" comment; 0 or less
	// means DefaultHeartbeat (15s).
	Heartbeat time.Duration
	// StreamBuffer is each traffic stream's subscription buffer (see
	// capture.Recorder.Subscribe); 0 or less means DefaultStreamBuffer (256).
	StreamBuffer int
}

// Handler is the admin listener's http.Handler. It is safe for concurrent use.
//
// Routes (GET, and HEAD except for the stream):
//
//	/healthz         200 {"status":"ok"}: the process is alive
//	/readyz          200 {"status":"ready"}, or 503 with Ready's error
//	/metrics         Prometheus text exposition
//	/traffic/stream  Server-Sent Events of live exchanges (see ServeStream)
//	/traffic/{id}    one captured exchange as JSON, from Store
//
// Every error is an RFC 9457 problem document; another method gets 405 with Allow.
type Handler struct {
	opts    Options
	log     *slog.Logger
	metrics *Metrics
	scrape  http.Handler

	closing   chan struct{} // closed by CloseStreams
	closeOnce sync.Once
}

// New returns the admin handler described by opts, registering its metrics (and, if
// opts.Recorder is set, a recorder collector) with opts.Registry. It panics if the
// registry already holds the metrics NewMetrics registers and opts.Metrics is nil.
func New(opts Options) *Handler {
	h := &Handler{opts: opts, log: opts.Logger, closing: make(chan struct{})}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.opts.Heartbeat <= 0 {
		h.opts.Heartbeat = DefaultHeartbeat
	}
	if h.opts.StreamBuffer <= 0 {
		h.opts.StreamBuffer = DefaultStreamBuffer
	}
	reg := opts.Registry
	if reg == nil {
		r := prometheus.NewRegistry()
		r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg = r
	}
	h.metrics = opts.Metrics
	if h.metrics == nil {
		h.metrics = NewMetrics(reg)
	}
	if opts.Recorder != nil {
		h.register(reg, NewRecorderCollector(opts.Recorder))
	}
	if opts.Version != "" {
		info := prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "gantry_build_info",
			Help:        "Always 1; the version label says which Gantry is running.",
			ConstLabels: prometheus.Labels{"version": opts.Version},
		})
		info.Set(1)
		h.register(reg, info)
	}
	h.scrape = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{h.log},
		ErrorHandling: promhttp.ContinueOnError,
	})
	return h
}

// register adds c to reg, logging instead of panicking if it is already there (two
// handlers sharing one registry).
func (h *Handler) register(reg prometheus.Registerer, c prometheus.Collector) {
	if err := reg.Register(c); err != nil {
		var dup prometheus.AlreadyRegisteredError
		if !errors.As(err, &dup) {
			h.log.Error("registering admin metrics", "err", err)
		}
	}
}

// CloseStreams ends every open traffic stream, and every one opened later, with an end
// event. A stream never goes idle, so http.Server.Shutdown waits for it: register this
// with the admin server's RegisterOnShutdown. Closing the Recorder also ends the streams.
func (h *Handler) CloseStreams() {
	h.closeOnce.Do(func() { close(h.closing) })
}

// Metrics returns the gateway metrics the handler exports, for the request path to feed.
func (h *Handler) Metrics() *Metrics { return h.metrics }

// ServeHTTP routes an admin request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	var serve http.HandlerFunc
	allow := "GET, HEAD"
	switch {
	case path == "/healthz":
		serve = h.healthz
	case path == "/readyz":
		serve = h.readyz
	case path == "/metrics":
		serve = h.scrape.ServeHTTP
	case path == "/traffic/stream":
		serve, allow = h.ServeStream, "GET"
	case strings.HasPrefix(path, "/traffic/") && len(path) > len("/traffic/") && !strings.Contains(path[len("/traffic/"):], "/"):
		serve = h.exchange
	default:
		problem.Error(w, r, http.StatusNotFound, "not-found",
			"no admin endpoint at "+path+"; try /healthz, /readyz, /metrics, /traffic/stream or /traffic/{id}")
		return
	}
	if ok := r.Method == http.MethodGet || (r.Method == http.MethodHead && allow == "GET, HEAD"); !ok {
		w.Header().Set("Allow", allow)
		problem.Error(w, r, http.StatusMethodNotAllowed, "method-not-allowed",
			r.Method+" is not allowed on "+path+"; use "+allow)
		return
	}
	serve(w, r)
}

// healthz answers the liveness probe.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, h.log, http.StatusOK, struct {
		Status  string `json:"status"`
		Version string `json:"version,omitempty"`
	}{"ok", h.opts.Version})
}

// readyz answers the readiness probe.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if h.opts.Ready != nil {
		if err := h.opts.Ready(); err != nil {
			w.Header().Set("Cache-Control", "no-store")
			problem.Error(w, r, http.StatusServiceUnavailable, "not-ready", err.Error())
			return
		}
	}
	writeJSON(w, r, h.log, http.StatusOK, map[string]string{"status": "ready"})
}

// exchange answers GET /traffic/{id} with the stored exchange.
func (h *Handler) exchange(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/traffic/")
	if h.opts.Store == nil {
		problem.Error(w, r, http.StatusServiceUnavailable, "traffic-store-unavailable",
			"this gateway keeps no captured traffic, so exchanges cannot be looked up")
		return
	}
	x, err := h.opts.Store.GetExchange(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem.Error(w, r, http.StatusNotFound, "exchange-not-found", "no captured exchange has ID "+id)
		return
	case err != nil:
		h.log.Error("reading a captured exchange", "id", id, "err", err)
		problem.Error(w, r, http.StatusInternalServerError, "traffic-store-error",
			"reading the exchange from the traffic store failed; the gateway's log has the details")
		return
	}
	writeJSON(w, r, h.log, http.StatusOK, x)
}

// writeJSON sends v as an uncacheable JSON response with the given status.
func writeJSON(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		log.Error("encoding an admin response", "path", r.URL.Path, "err", err)
		problem.Error(w, r, http.StatusInternalServerError, "internal", "encoding the response failed")
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
}

// promLogger passes the metrics handler's errors to a slog.Logger.
type promLogger struct{ log *slog.Logger }

// Println logs v as one error message.
func (l promLogger) Println(v ...any) {
	l.log.Error("serving metrics", "err", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
