package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/embedded-gateway/admin"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/replay"
)

// Store polling for `traffic tail`.
const (
	// tailPollInterval is how often tail looks for new exchanges in the workspace.
	tailPollInterval = 250 * time.Millisecond
	// tailPage is how many exchanges one poll query reads.
	tailPage = 200
)

// replayBodyLimit caps how much of a replayed response is read and printed.
const replayBodyLimit = 10 << 20

// tailPrinter writes tail's lines: the admin traffic stream's summaries, as text or JSON.
type tailPrinter struct {
	w      io.Writer
	asJSON bool
}

func (p tailPrinter) print(s admin.ExchangeSummary) error {
	if p.asJSON {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = p.w.Write(append(b, '\n'))
		return err
	}
	api := s.API
	if api == "" {
		api = "-"
	}
	line := fmt.Sprintf("%s  %-7s %3d %9s  %-12s %s", s.StartedAt.Local().Format("15:04:05.000"), sanitizeLine(s.Method),
		s.Status, formatDuration(time.Duration(s.DurationMs*float64(time.Millisecond))), sanitizeLine(api), sanitizeLine(s.URL))
	if s.Consumer != "" {
		line += "  " + sanitizeLine(s.Consumer)
	}
	if s.Violations > 0 {
		line += fmt.Sprintf("  [%d violation%s]", s.Violations, plural(s.Violations))
	}
	_, err := fmt.Fprintln(p.w, line)
	return err
}

func newTrafficTailCmd(g *globals) *cobra.Command {
	var f trafficFlags
	var adminAddr string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tail [filters] [--admin URL]",
		Short: "Print exchanges as they happen, one line each, until Ctrl-C",
		Long: "Print each exchange as it is captured: time, method, status, duration, API, URL and consumer.\n\n" +
			"Without --admin, tail follows the workspace (--db), where `gantry mock` and `gantry gateway`\n" +
			"record, by polling it four times a second, in the order exchanges are stored (a slow one\n" +
			"shows up when it completes). With --admin, tail reads the live traffic stream of a\n" +
			"gateway's admin listener instead, which sees every exchange as it completes, recorded or not.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tf, err := f.filter()
			if err != nil {
				return err
			}
			p := tailPrinter{w: g.stdout, asJSON: asJSON}
			if adminAddr != "" {
				if f.limit != 0 {
					return errors.New("--limit prints stored exchanges; it cannot be combined with --admin")
				}
				return tailAdmin(cmd.Context(), g, adminAddr, f, p)
			}
			st, path, err := g.openStore()
			if err != nil {
				return err
			}
			defer st.Close()
			return tailStore(cmd.Context(), st, tf, p, func() {
				fmt.Fprintf(g.stderr, "following traffic in %s (Ctrl-C to stop)\n", path)
			})
		},
	}
	f.register(cmd, 0)
	cmd.Flags().Lookup("limit").Usage = "first print this many of the newest stored exchanges"
	cmd.Flags().StringVar(&adminAddr, "admin", "", "read the live stream of this gateway admin listener (such as http://127.0.0.1:8081)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per line")
	return cmd
}

// tailStore prints the exchanges stored in st from now on (after the newest f.Limit
// stored ones, if any) until ctx is done. It follows the order in which exchanges are
// stored, so a slow exchange, stored after faster ones that started later, is printed when
// it is stored, however long it ran. It calls ready once it knows what "now" is: exchanges
// stored after that are printed.
func tailStore(ctx context.Context, st store.TrafficStore, f store.TrafficFilter, p tailPrinter, ready func()) error {
	pos, err := st.TrafficPosition(ctx)
	if err != nil {
		return tailErr(ctx, err)
	}
	// The newest ones listed may have been stored after pos: they are printed once.
	printed := map[string]bool{}
	if f.Limit > 0 {
		recent, err := st.ListExchanges(ctx, f)
		if err != nil {
			return tailErr(ctx, err)
		}
		for i := len(recent) - 1; i >= 0; i-- {
			printed[recent[i].ID] = true
			if err := p.print(admin.Summarize(recent[i])); err != nil {
				return err
			}
		}
	}
	ready()
	tick := time.NewTicker(tailPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		for {
			xs, next, err := st.ExchangesStoredAfter(ctx, pos, tailPage)
			if err != nil {
				return tailErr(ctx, err)
			}
			for _, x := range xs {
				if admin.Match(f, x) && !printed[x.ID] {
					if err := p.print(admin.Summarize(x)); err != nil {
						return err
					}
				}
			}
			pos = next
			if len(xs) < tailPage {
				break
			}
		}
		clear(printed) // everything listed at the start is behind pos by now
	}
}

// tailErr returns nil if ctx is done (Ctrl-C), else err.
func tailErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// adminURL turns the --admin value into the URL of path on the admin listener; a bare
// host:port means http.
func adminURL(addr, path string) (*url.URL, error) {
	raw := addr
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--admin %q: give the admin listener's address, such as http://127.0.0.1:8081", addr)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

// tailAdmin prints the exchanges of an admin listener's traffic stream until ctx is done.
func tailAdmin(ctx context.Context, g *globals, addr string, f trafficFlags, p tailPrinter) error {
	u, err := adminURL(addr, "/traffic/stream")
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"api": f.api, "method": f.method, "status": f.status, "path": f.path, "consumer": f.consumer} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("connecting to the admin listener %s: %w", u.Redacted(), err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("admin listener %s answered %s%s", u.Redacted(), res.Status, problemDetail(res.Body))
	}
	fmt.Fprintf(g.stderr, "following traffic from %s (Ctrl-C to stop)\n", u.Redacted())

	br := bufio.NewReader(res.Body)
	var event, data string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("the admin listener %s closed the traffic stream", u.Redacted())
			}
			return fmt.Errorf("reading the traffic stream of %s: %w", u.Redacted(), err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				event = value
			case "data":
				if data != "" {
					data += "\n"
				}
				data += value
			}
			continue
		}
		// A blank line dispatches the event.
		switch event {
		case "exchange":
			var s admin.ExchangeSummary
			if err := json.Unmarshal([]byte(data), &s); err != nil {
				return fmt.Errorf("the traffic stream of %s sent an exchange event that is not JSON: %w", u.Redacted(), err)
			}
			if err := p.print(s); err != nil {
				return err
			}
		case "missed":
			var m struct {
				Missed int `json:"missed"`
			}
			_ = json.Unmarshal([]byte(data), &m)
			fmt.Fprintf(g.stderr, "(missed %d exchange%s: this terminal fell behind the gateway)\n", m.Missed, plural(m.Missed))
		case "end":
			var e struct {
				Reason string `json:"reason"`
			}
			_ = json.Unmarshal([]byte(data), &e)
			return fmt.Errorf("the admin listener %s ended the traffic stream: %s", u.Redacted(), e.Reason)
		}
		event, data = "", ""
	}
}

// problemDetail returns ": detail" from a problem document body, or "" if there is none.
func problemDetail(r io.Reader) string {
	var p struct {
		Detail string `json:"detail"`
	}
	b, _ := io.ReadAll(io.LimitReader(r, 64<<10))
	if json.Unmarshal(b, &p) == nil && p.Detail != "" {
		return ": " + sanitizeLine(p.Detail)
	}
	return ""
}

// findExchange returns the exchange whose ID is id or, failing that, the only one whose ID
// starts with it (IDs are case-insensitive).
func findExchange(ctx context.Context, st store.TrafficStore, id string) (*model.Exchange, error) {
	if id == "" {
		return nil, errors.New("give an exchange ID (see `gantry traffic list`)")
	}
	x, err := st.GetExchange(ctx, id)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return x, err
	}
	prefix := strings.ToUpper(id)
	// IDs sort lexically: the largest ones below prefix+DEL are the ones with the prefix, if any.
	xs, err := st.ListExchanges(ctx, store.TrafficFilter{BeforeID: prefix + "\x7f", Limit: 3})
	if err != nil {
		return nil, err
	}
	var ids []string
	var found *model.Exchange
	for _, x := range xs {
		if strings.HasPrefix(x.ID, prefix) {
			ids = append(ids, x.ID)
			found = x
		}
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("no exchange %q in the workspace (see `gantry traffic list`)", id)
	case 1:
		return found, nil
	}
	more := ""
	if len(ids) > 2 {
		more = ", ..."
	}
	return nil, fmt.Errorf("exchange ID prefix %q is ambiguous: it matches %s, %s%s", id, ids[0], ids[1], more)
}

// withExchange adapts a command body that needs the exchange named by its one argument.
func withExchange(g *globals, fn func(cmd *cobra.Command, x *model.Exchange) error) func(*cobra.Command, []string) error {
	return g.withStore(func(cmd *cobra.Command, args []string, st *sqlite.Store) error {
		x, err := findExchange(cmd.Context(), st, args[0])
		if err != nil {
			return err
		}
		return fn(cmd, x)
	})
}

func newTrafficShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Print one captured exchange: request, response, timings and validation results",
		Long:  "Print one captured exchange. ID is its full ID or a unique prefix (see `gantry traffic list`).",
		Args:  cobra.ExactArgs(1),
		RunE: withExchange(g, func(_ *cobra.Command, x *model.Exchange) error {
			if asJSON {
				return writeJSON(g, x)
			}
			return printExchange(g.stdout, x)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the exchange as JSON")
	return cmd
}

// printExchange writes x for a person: the request, the response, then the facts about it.
func printExchange(w io.Writer, x *model.Exchange) error {
	b := &strings.Builder{}
	proto := x.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(b, "%s %s %s\n", sanitizeLine(x.Method), sanitizeLine(x.URL), sanitizeLine(proto))
	if x.Host != "" {
		fmt.Fprintf(b, "Host: %s\n", sanitizeLine(x.Host))
	}
	writeHeaders(b, x.RequestHeaders)
	writeBody(b, x.RequestBody, x.RequestSize, x.RequestHeaders)

	b.WriteString("\n")
	if x.Status == 0 {
		b.WriteString("(no response was written)\n")
	} else {
		fmt.Fprintln(b, strings.TrimSpace(fmt.Sprintf("%s %d %s", sanitizeLine(proto), x.Status, http.StatusText(x.Status))))
		writeHeaders(b, x.ResponseHeaders)
		writeBody(b, x.ResponseBody, x.ResponseSize, x.ResponseHeaders)
	}

	b.WriteString("\n")
	field := func(name, value string) {
		if value == "" {
			value = "-"
		}
		fmt.Fprintf(b, "%-11s%s\n", name, sanitizeLine(value))
	}
	field("ID", x.ID)
	field("Started", x.StartedAt.Local().Format("2006-01-02 15:04:05.000 MST"))
	field("Duration", formatDuration(x.Duration))
	field("Client", x.ClientAddr)
	field("API", x.API)
	field("Operation", x.Operation)
	field("Consumer", x.Consumer)
	field("Mode", x.Mode)
	field("Sizes", fmt.Sprintf("request %s, response %s", formatSize(x.RequestSize), formatSize(x.ResponseSize)))
	if len(x.Violations) == 0 {
		field("Violations", "none")
	} else {
		fmt.Fprintf(b, "Violations (%d):\n", len(x.Violations))
		for _, v := range x.Violations {
			where := v.In
			if v.Name != "" {
				where += " " + v.Name
			}
			fmt.Fprintf(b, "  %s: %s\n", sanitizeLine(where), sanitizeLine(v.Message))
		}
	}
	if len(x.Warnings) > 0 {
		fmt.Fprintf(b, "Warnings (%d):\n", len(x.Warnings))
		for _, warn := range x.Warnings {
			fmt.Fprintf(b, "  %s\n", sanitizeLine(warn))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeHeaders writes h sorted by name, one "Name: value" line per value.
func writeHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range h[name] {
			fmt.Fprintf(b, "%s: %s\n", sanitizeLine(name), sanitizeLine(v))
		}
	}
}

// writeBody writes a blank line and the body for reading (see formatBody), if there is one.
func writeBody(b *strings.Builder, body []byte, size int64, h http.Header) {
	if text := formatBody(body, size, h); text != "" {
		b.WriteString("\n")
		b.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			b.WriteString("\n")
		}
	}
}

// formatBody renders a captured body of full size size for a terminal: gzip is decoded,
// JSON indented, text shown with control characters escaped, binary data described. A body
// cut short by the capture limit says so. "" means there is no body.
func formatBody(body []byte, size int64, h http.Header) string {
	if len(body) == 0 {
		if size > 0 {
			return fmt.Sprintf("(body of %s not captured)", formatSize(size))
		}
		return ""
	}
	truncated := int64(len(body)) < size
	note := ""
	if truncated {
		note = fmt.Sprintf("\n(body truncated in the capture: %s of %s shown)", formatSize(int64(len(body))), formatSize(size))
	}
	if enc := strings.ToLower(h.Get("Content-Encoding")); (enc == "gzip" || enc == "x-gzip") && !truncated {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if decoded, err := io.ReadAll(io.LimitReader(zr, replayBodyLimit)); err == nil {
				body = decoded
				note = fmt.Sprintf("\n(gzip-encoded: %s on the wire)", formatSize(size))
			}
		}
	}
	ct := strings.ToLower(h.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	if strings.Contains(ct, "json") || (len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')) {
		var out bytes.Buffer
		if json.Indent(&out, trimmed, "", "  ") == nil {
			return sanitizeText(out.String()) + note
		}
	}
	if isText(body) {
		return sanitizeText(string(body)) + note
	}
	kind := ""
	if ct != "" {
		kind = ", " + sanitizeLine(h.Get("Content-Type"))
	}
	return fmt.Sprintf("(%s of binary data%s)", formatSize(int64(len(body))), kind) + note
}

// isText reports whether b looks like text: valid UTF-8 with few control characters.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	controls := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			controls++
		}
	}
	return controls*10 <= len(b)
}

// sanitizeLine escapes control characters (line breaks too), so that captured text cannot
// drive the terminal or fake lines of output.
func sanitizeLine(s string) string {
	return escapeControls(s, false)
}

// sanitizeText escapes control characters other than line feeds and tabs; CRLF line ends
// become LF.
func sanitizeText(s string) string {
	return escapeControls(strings.ReplaceAll(s, "\r\n", "\n"), true)
}

func escapeControls(s string, keepLines bool) string {
	clean := true
	for _, r := range s {
		if isControl(r) && !(keepLines && (r == '\n' || r == '\t')) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case keepLines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case isControl(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isControl reports whether r is a C0 or C1 control character, DEL, or a bidirectional
// override that could reorder what a terminal shows.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// formatDuration rounds d for display: microseconds below a millisecond, 10µs below a
// second, milliseconds above.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// formatSize writes a byte count for people.
func formatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func newTrafficCurlCmd(g *globals) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "curl ID",
		Short: "Print a curl command that repeats a captured request",
		Long: "Print a curl command that sends a captured request again, to its original host or to --target.\n" +
			"Headers the capture redacted (credentials) are left out; a comment says which.",
		Args: cobra.ExactArgs(1),
		RunE: withExchange(g, func(_ *cobra.Command, x *model.Exchange) error {
			script, err := replay.Curl(x, target)
			if err != nil {
				return targetError(err)
			}
			_, err = io.WriteString(g.stdout, script)
			return err
		}),
	}
	cmd.Flags().StringVar(&target, "target", "", "send to this base URL instead of the original scheme and host")
	return cmd
}

func newTrafficReplayCmd(g *globals) *cobra.Command {
	var target string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "replay ID [--target URL]",
		Short: "Send a captured request again and print the response",
		Long: "Send a captured request again, to its original host or to --target (a base URL that replaces the\n" +
			"scheme and host), and print the new status, headers and body. Headers the capture redacted\n" +
			"(credentials) are not sent. The exit status is non-zero only if no response came back.",
		Args: cobra.ExactArgs(1),
		RunE: withExchange(g, func(cmd *cobra.Command, x *model.Exchange) error {
			return replayExchange(cmd.Context(), g, x, target, timeout)
		}),
	}
	cmd.Flags().StringVar(&target, "target", "", "send to this base URL instead of the original scheme and host")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up on the response after this long")
	return cmd
}

// targetError names the --target flag in replay's errors about the target.
func targetError(err error) error {
	switch {
	case errors.Is(err, replay.ErrNoHost):
		return fmt.Errorf("%w; give --target URL", err)
	case errors.Is(err, replay.ErrBadTarget):
		return fmt.Errorf("--%w", err)
	}
	return err
}

// replayExchange sends the request of x again and prints the response.
func replayExchange(ctx context.Context, g *globals, x *model.Exchange, target string, timeout time.Duration) error {
	req, notes, err := replay.Request(ctx, x, target)
	if err != nil {
		return targetError(err)
	}
	u := req.URL.String()
	for _, name := range notes.Redacted {
		fmt.Fprintf(g.stderr, "not sending the %s header: it was redacted in the capture\n", name)
	}
	if notes.RedactedQuery {
		fmt.Fprintln(g.stderr, "warning: the URL has query parameters that were redacted in the capture; they are sent as "+capture.Redacted)
	}
	if notes.Truncated {
		fmt.Fprintf(g.stderr, "warning: the request body was truncated in the capture; sending only %s of %s\n",
			formatSize(notes.BodyBytes), formatSize(notes.BodySize))
	}
	client, done := replay.Client(timeout)
	defer done()
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("replaying exchange %s (%s %s): %w", x.ID, x.Method, u, err)
	}
	defer res.Body.Close()
	resBody, err := io.ReadAll(io.LimitReader(res.Body, replayBodyLimit+1))
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("reading the response to exchange %s from %s: %w", x.ID, u, err)
	}
	size := int64(len(resBody))
	if size > replayBodyLimit {
		resBody = resBody[:replayBodyLimit]
		if res.ContentLength > size {
			size = res.ContentLength
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", sanitizeLine(res.Proto), sanitizeLine(res.Status))
	writeHeaders(&b, res.Header)
	writeBody(&b, resBody, size, res.Header)
	if _, err := io.WriteString(g.stdout, b.String()); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "replayed %s %s: %d in %s (captured: %d in %s)\n", sanitizeLine(x.Method), sanitizeLine(u),
		res.StatusCode, formatDuration(elapsed), x.Status, formatDuration(x.Duration))
	return nil
}
