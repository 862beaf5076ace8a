package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gantry-dev/gantry/core/atomicfile"
	"github.com/gantry-dev/gantry/core/har"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/replay"
)

// TrafficService lists, inspects and exports the exchanges the gateway captured, and
// streams new ones to the UI as traffic:exchanges events.
type TrafficService struct {
	st      *sqlite.Store
	version string
	log     *slog.Logger
	ev      Events
	dlg     Dialogs
	// recent holds the exchanges streamed to the UI that the recorder may not have written
	// yet: the UI learns of an exchange before its batch reaches the store.
	recent recentExchanges
	// ops caches the operation paths of the API whose exchange was shown last.
	ops operationPaths
}

// operationPaths maps the operation IDs of one API's newest revision to their path
// templates; it is loaded again when the API changes.
type operationPaths struct {
	mu      sync.Mutex
	api     string
	updated time.Time
	paths   map[string]string
}

// operationPath returns the path template of operation id in API api's newest revision,
// or "" if it has none (the API changed since, or was removed).
func (s *TrafficService) operationPath(ctx context.Context, api, id string) string {
	a, err := s.st.GetAPI(ctx, api)
	if err != nil {
		return ""
	}
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	if s.ops.api != api || !s.ops.updated.Equal(a.UpdatedAt) {
		def, _, err := workspace.Definition(ctx, s.st, api)
		if err != nil {
			s.log.Debug("loading the operations of an exchange's API", "api", api, "err", err)
			return ""
		}
		paths := make(map[string]string, len(def.Operations))
		for _, op := range def.Operations {
			paths[op.ID] = def.BasePath + op.Path
		}
		s.ops.api, s.ops.updated, s.ops.paths = api, a.UpdatedAt, paths
	}
	return s.ops.paths[id]
}

// TrafficFilter selects exchanges; empty fields select everything.
type TrafficFilter struct {
	Method      string `json:"method"`
	StatusClass string `json:"statusClass"` // "", "2xx", "3xx", "4xx", "5xx"
	Text        string `json:"text"`        // contained in the URL
	API         string `json:"api"`
	Limit       int    `json:"limit"` // 0: 500
	BeforeID    string `json:"beforeId"`
}

// ExchangeRow is one exchange in the list.
type ExchangeRow struct {
	ID         string  `json:"id"`
	StartedAt  string  `json:"startedAt"`
	API        string  `json:"api"`
	Method     string  `json:"method"`
	URL        string  `json:"url"`
	Path       string  `json:"path"`
	Status     int     `json:"status"`
	DurationMs float64 `json:"durationMs"`
	Consumer   string  `json:"consumer"`
	Violations int     `json:"violations"`
}

// Message is the request or response of an exchange.
type Message struct {
	Headers      [][2]string `json:"headers"`
	ContentType  string      `json:"contentType"`
	Body         string      `json:"body"`
	BodyEncoding string      `json:"bodyEncoding"` // text or base64
	Truncated    bool        `json:"truncated"`
}

// Violation is a validation problem of a request.
type Violation struct {
	In      string `json:"in"`
	Pointer string `json:"pointer"`
	Message string `json:"message"`
}

// OperationRef names the operation an exchange matched.
type OperationRef struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	Path   string `json:"path"`
}

// ExchangeDetail is everything captured of one exchange.
type ExchangeDetail struct {
	ExchangeRow
	Operation  *OperationRef `json:"operation"`
	Request    Message       `json:"request"`
	Response   Message       `json:"response"`
	Violations []Violation   `json:"violations"`
	Warnings   []string      `json:"warnings"`
}

// filter converts f to the store's filter.
func (f TrafficFilter) filter() (store.TrafficFilter, error) {
	sf := store.TrafficFilter{API: f.API, Method: f.Method, PathContains: f.Text, BeforeID: f.BeforeID, Limit: f.Limit}
	if sf.Limit <= 0 {
		sf.Limit = 500
	}
	switch f.StatusClass {
	case "":
	case "1xx", "2xx", "3xx", "4xx", "5xx":
		c := int(f.StatusClass[0]-'0') * 100
		sf.StatusMin, sf.StatusMax = c, c+99
	default:
		return sf, fmt.Errorf("status class %q: use 2xx, 3xx, 4xx or 5xx", f.StatusClass)
	}
	return sf, nil
}

// List returns the matching exchanges, newest first.
func (s *TrafficService) List(f TrafficFilter) ([]ExchangeRow, error) {
	sf, err := f.filter()
	if err != nil {
		return nil, err
	}
	xs, err := s.st.ListExchanges(context.Background(), sf)
	if err != nil {
		return nil, err
	}
	out := make([]ExchangeRow, 0, len(xs))
	for _, x := range xs {
		out = append(out, row(x))
	}
	return out, nil
}

// Get returns the exchange with id.
func (s *TrafficService) Get(id string) (ExchangeDetail, error) {
	x, err := s.exchange(context.Background(), id)
	if err != nil {
		return ExchangeDetail{}, fmt.Errorf("exchange %s: %w", id, err)
	}
	d := ExchangeDetail{
		ExchangeRow: row(x),
		Request:     message(x.RequestHeaders, x.RequestBody, x.RequestSize),
		Response:    message(x.ResponseHeaders, x.ResponseBody, x.ResponseSize),
		Violations:  []Violation{},
		Warnings:    x.Warnings,
	}
	if x.Operation != "" {
		d.Operation = &OperationRef{ID: x.Operation, Method: x.Method}
		if x.API != "" {
			d.Operation.Path = s.operationPath(context.Background(), x.API, x.Operation)
		}
	}
	for _, v := range x.Violations {
		d.Violations = append(d.Violations, Violation{In: v.In, Pointer: v.Name, Message: v.Message})
	}
	return d, nil
}

// ExportHAR asks where to save and writes the matching exchanges there as HAR 1.2; it
// returns the path, or "" when the user cancelled.
func (s *TrafficService) ExportHAR(f TrafficFilter) (string, error) {
	if s.dlg == nil {
		return "", fmt.Errorf("no file dialog is available")
	}
	path, err := s.dlg.SaveFile("Export traffic as HAR", "traffic.har")
	if err != nil || path == "" {
		return "", err
	}
	return path, s.WriteHAR(f, path)
}

// WriteHAR writes the matching exchanges to path as HAR 1.2, replacing the file whole.
func (s *TrafficService) WriteHAR(f TrafficFilter, path string) error {
	sf, err := f.filter()
	if err != nil {
		return err
	}
	if f.Limit <= 0 {
		sf.Limit = 0 // export everything that matches
	}
	xs, err := s.st.ListExchanges(context.Background(), sf)
	if err != nil {
		return err
	}
	slices.Reverse(xs) // oldest first, as HAR viewers expect
	doc := har.FromExchanges(xs, s.version)
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return har.Write(w, doc) }); err != nil {
		return fmt.Errorf("exporting HAR to %s: %w", path, err)
	}
	return nil
}

// Curl returns a curl command that repeats the exchange's request against its original
// host, with comments for what the capture redacted.
func (s *TrafficService) Curl(id string) (string, error) {
	x, err := s.exchange(context.Background(), id)
	if err != nil {
		return "", fmt.Errorf("exchange %s: %w", id, err)
	}
	return replay.Curl(x, "")
}

// ReplayResult is the answer to a replayed request.
type ReplayResult struct {
	Status     int      `json:"status"`
	DurationMs float64  `json:"durationMs"`
	Response   Message  `json:"response"`
	Notes      []string `json:"notes"` // what could not be sent as captured
}

// Replay sends the exchange's request again to its original host and returns the answer.
// Through the gateway, the replay is captured as a new exchange too.
func (s *TrafficService) Replay(id string) (ReplayResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x, err := s.exchange(ctx, id)
	if err != nil {
		return ReplayResult{}, fmt.Errorf("exchange %s: %w", id, err)
	}
	req, notes, err := replay.Request(ctx, x, "")
	if err != nil {
		return ReplayResult{}, err
	}
	res := ReplayResult{Notes: []string{}}
	for _, h := range notes.Redacted {
		res.Notes = append(res.Notes, fmt.Sprintf("The %s header was redacted in the capture and was not sent.", h))
	}
	if notes.RedactedQuery {
		res.Notes = append(res.Notes, "The URL has query parameters the capture redacted; they were sent redacted.")
	}
	if notes.Truncated {
		res.Notes = append(res.Notes, fmt.Sprintf("The request body was truncated in the capture; only %d of %d bytes were sent.", notes.BodyBytes, notes.BodySize))
	}
	client, done := replay.Client(30 * time.Second)
	defer done()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return ReplayResult{}, fmt.Errorf("replaying %s %s: %w", x.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, replayBodyLimit+1))
	if err != nil {
		return ReplayResult{}, fmt.Errorf("reading the replayed response: %w", err)
	}
	size := int64(len(body))
	if size > replayBodyLimit {
		body = body[:replayBodyLimit]
	}
	res.Status = resp.StatusCode
	res.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	res.Response = message(resp.Header, body, size)
	return res, nil
}

// replayBodyLimit caps how much of a replayed response is kept.
const replayBodyLimit = 10 << 20

// Clear deletes every captured exchange.
func (s *TrafficService) Clear() error {
	_, err := s.st.DeleteExchanges(context.Background(), store.TrafficFilter{})
	return err
}

// follow streams the recorder's exchanges to the UI in batches, until ctx is done.
func (s *TrafficService) follow(ctx context.Context, rec *capture.Recorder) {
	ch, cancel := rec.Subscribe(4096)
	go func() {
		defer cancel()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		var batch []ExchangeRow
		for {
			select {
			case <-ctx.Done():
				return
			case x, ok := <-ch:
				if !ok {
					return
				}
				s.recent.add(x)
				batch = append(batch, row(x))
			case <-t.C:
				if len(batch) > 0 && s.ev != nil {
					s.ev.Emit("traffic:exchanges", batch)
					batch = nil
				}
			}
		}
	}()
}

// exchange returns the stored exchange with id, or the streamed one whose batch has not
// been written yet.
func (s *TrafficService) exchange(ctx context.Context, id string) (*model.Exchange, error) {
	x, err := s.st.GetExchange(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		if r := s.recent.get(id); r != nil {
			return r, nil
		}
	}
	return x, err
}

// recentExchanges is a bounded set of the last exchanges streamed, by ID.
type recentExchanges struct {
	mu   sync.Mutex
	byID map[string]*model.Exchange
	ring [recentExchangesKept]string
	next int
}

// recentExchangesKept bounds recentExchanges: far more than one recorder batch.
const recentExchangesKept = 1024

func (r *recentExchanges) add(x *model.Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = make(map[string]*model.Exchange, recentExchangesKept)
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.byID, old)
	}
	r.ring[r.next] = x.ID
	r.byID[x.ID] = x
	r.next = (r.next + 1) % recentExchangesKept
}

func (r *recentExchanges) get(id string) *model.Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

func row(x *model.Exchange) ExchangeRow {
	path := x.URL
	if u, err := url.Parse(x.URL); err == nil {
		path = u.Path
	}
	return ExchangeRow{
		ID: x.ID, StartedAt: x.StartedAt.Format(time.RFC3339Nano), API: x.API, Method: x.Method, URL: x.URL,
		Path: path, Status: x.Status, DurationMs: float64(x.Duration.Microseconds()) / 1000,
		Consumer: x.Consumer, Violations: len(x.Violations),
	}
}

func message(h http.Header, body []byte, size int64) Message {
	m := Message{Headers: [][2]string{}, ContentType: h.Get("Content-Type"), BodyEncoding: "text", Truncated: int64(len(body)) < size}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range h[name] {
			m.Headers = append(m.Headers, [2]string{name, v})
		}
	}
	if textual(m.ContentType) && utf8.Valid(body) || m.ContentType == "" && utf8.Valid(body) {
		m.Body = string(body)
	} else {
		m.Body, m.BodyEncoding = base64.StdEncoding.EncodeToString(body), "base64"
	}
	return m
}

// textual reports whether a media type is text a person can read.
func textual(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "json") || strings.HasSuffix(mt, "xml") ||
		mt == "application/x-www-form-urlencoded" || mt == "application/javascript" || mt == "application/yaml"
}
