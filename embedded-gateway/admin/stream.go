package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// streamWriteTimeout bounds each write to a traffic stream, so that a client that stopped
// reading cannot hold its subscription for ever.
const streamWriteTimeout = 10 * time.Second

// ExchangeSummary is the data of one "exchange" event of /traffic/stream: the facts a
// one-line listing needs. GET /traffic/{id} returns the whole exchange.
type ExchangeSummary struct {
	// ID is the exchange's ID, also sent as the event's id.
	ID string `json:"id"`
	// StartedAt is when the request arrived.
	StartedAt time.Time `json:"startedAt"`
	// Method is the request method.
	Method string `json:"method"`
	// Host is the Host the client asked for ("" if unknown).
	Host string `json:"host,omitempty"`
	// URL is the request's path and query as the client sent them (secrets redacted).
	URL string `json:"url"`
	// Status is the response status code.
	Status int `json:"status"`
	// DurationMs is the time from arrival to the last response byte, in milliseconds.
	DurationMs float64 `json:"durationMs"`
	// API is the API that served the request ("" if none matched).
	API string `json:"api,omitempty"`
	// Operation is the matched operation's ID ("" if none).
	Operation string `json:"operation,omitempty"`
	// Consumer is the consumer an authentication policy identified ("" if none).
	Consumer string `json:"consumer,omitempty"`
	// Mode is how the request was answered: "mock", "proxy", or "" for a gateway error.
	Mode string `json:"mode,omitempty"`
	// Violations is the number of request validation problems (0: valid).
	Violations int `json:"violations"`
}

// Summarize returns the summary of x that /traffic/stream sends.
func Summarize(x *model.Exchange) ExchangeSummary {
	return ExchangeSummary{
		ID:         x.ID,
		StartedAt:  x.StartedAt,
		Method:     x.Method,
		Host:       x.Host,
		URL:        x.URL,
		Status:     x.Status,
		DurationMs: float64(x.Duration.Microseconds()) / 1000,
		API:        x.API,
		Operation:  x.Operation,
		Consumer:   x.Consumer,
		Mode:       x.Mode,
		Violations: len(x.Violations),
	}
}

// ParseFilter reads the filters of a traffic query: api, method, status (404, or a class
// such as 4xx), path (text the URL contains) and consumer. Other parameters are ignored;
// Limit, Since and BeforeID are left zero.
func ParseFilter(q url.Values) (store.TrafficFilter, error) {
	f := store.TrafficFilter{
		API:          q.Get("api"),
		Method:       q.Get("method"),
		Consumer:     q.Get("consumer"),
		PathContains: q.Get("path"),
	}
	if s := strings.ToLower(q.Get("status")); s != "" {
		if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
			f.StatusMin = int(s[0]-'0') * 100
			f.StatusMax = f.StatusMin + 99
		} else if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 {
			f.StatusMin, f.StatusMax = n, n
		} else {
			return f, fmt.Errorf("status %q: give a status such as 404 or a class such as 4xx", q.Get("status"))
		}
	}
	return f, nil
}

// Match reports whether x passes f as a store would filter it, apart from Limit and
// BeforeID: same API, method (any case), consumer, status range, URL text and start time.
func Match(f store.TrafficFilter, x *model.Exchange) bool {
	return (f.API == "" || x.API == f.API) &&
		(f.Method == "" || strings.EqualFold(x.Method, f.Method)) &&
		(f.Consumer == "" || x.Consumer == f.Consumer) &&
		(f.StatusMin == 0 || x.Status >= f.StatusMin) &&
		(f.StatusMax == 0 || x.Status <= f.StatusMax) &&
		(f.PathContains == "" || strings.Contains(x.URL, f.PathContains)) &&
		(f.Since.IsZero() || !x.StartedAt.Before(f.Since))
}

// ServeStream answers GET /traffic/stream with Server-Sent Events of the exchanges the
// recorder captures from now on, filtered by the query parameters ParseFilter reads:
//
//	event: exchange           one per matching exchange; data is an ExchangeSummary
//	id: <exchange ID>
//	data: {...}
//
//	event: missed             the stream fell behind and skipped exchanges (of any kind,
//	data: {"missed":N}        matching or not) since the last report
//
//	event: end                the recorder closed or CloseStreams was called (the gateway
//	data: {"reason":"..."}    is shutting down)
//
//	: ping                    a comment every Heartbeat while idle
//
// Each event is flushed as it is written. The stream ends when the client goes away, a
// write stalls, the recorder closes or CloseStreams is called; its subscription ends with it.
func (h *Handler) ServeStream(w http.ResponseWriter, r *http.Request) {
	rec := h.opts.Recorder
	if rec == nil {
		problem.Error(w, r, http.StatusServiceUnavailable, "traffic-capture-off",
			"this gateway does not capture traffic, so there is nothing to stream")
		return
	}
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		problem.Error(w, r, http.StatusBadRequest, "bad-traffic-filter", err.Error())
		return
	}

	ch, cancel := rec.Subscribe(h.opts.StreamBuffer)
	defer cancel()

	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)

	s := &eventWriter{w: w, rc: http.NewResponseController(w)}
	if !s.send([]byte(": connected\n\n")) {
		return
	}
	ticker := time.NewTicker(h.opts.Heartbeat)
	defer ticker.Stop()

	var reported uint64 // misses already reported to the client
	reportMissed := func() bool {
		n := rec.Missed(ch)
		if n <= reported {
			return true
		}
		ok := s.send(fmt.Appendf(s.buf[:0], "event: missed\ndata: {\"missed\":%d}\n\n", n-reported))
		reported = n
		return ok
	}

	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.closing:
			s.send([]byte("event: end\ndata: {\"reason\":\"the admin server is shutting down\"}\n\n"))
			return
		case x, ok := <-ch:
			if !ok {
				s.send([]byte("event: end\ndata: {\"reason\":\"the recorder closed: the gateway is shutting down\"}\n\n"))
				return
			}
			if !reportMissed() {
				return
			}
			if !Match(f, x) {
				continue
			}
			data, err := json.Marshal(Summarize(x))
			if err != nil {
				h.log.Error("encoding a traffic stream event", "id", x.ID, "err", err)
				continue
			}
			b := append(s.buf[:0], "event: exchange\nid: "...)
			b = appendLine(b, x.ID)
			b = append(b, "\ndata: "...)
			b = append(b, data...)
			b = append(b, "\n\n"...)
			if !s.send(b) {
				return
			}
		case <-ticker.C:
			if !reportMissed() || !s.send([]byte(": ping\n\n")) {
				return
			}
		}
	}
}

// eventWriter writes and flushes stream events, each under its own write deadline.
type eventWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte // reused to build events
}

// send writes b and flushes it, reporting whether the client is still there. b may be
// built on s.buf, which send keeps for reuse.
func (s *eventWriter) send(b []byte) bool {
	// Not every ResponseWriter supports deadlines (http.ErrNotSupported): then writes are
	// bounded only by the server's own timeouts.
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := s.w.Write(b); err != nil {
		return false
	}
	if cap(b) > cap(s.buf) {
		s.buf = b[:0]
	}
	// A writer that cannot flush still delivers events, only later: keep going.
	err := s.rc.Flush()
	return err == nil || errors.Is(err, http.ErrNotSupported)
}

// appendLine appends v with carriage returns and line feeds removed, so that it cannot
// end an event field early.
func appendLine(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\r' && c != '\n' {
			b = append(b, c)
		}
	}
	return b
}
