// Package replay repeats a captured exchange's request: it rebuilds the request for the
// original host or another base URL, leaving out what the capture redacted, and writes it
// as a curl command. The CLI's traffic commands and the desktop's inspector share it.
package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
)

// hopByHop are the headers that describe one connection, not the request, and are not
// repeated by curl or replay (besides those a Connection header names).
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// URL returns the URL to send x to: its scheme and host, or those (and a path
// prefix) of target if it is not "".
func URL(x *model.Exchange, target string) (string, error) {
	uri := x.URL
	if u, err := url.Parse(x.URL); err == nil && u.Host != "" {
		uri = u.RequestURI() // an absolute-form request line, as a proxy gets it
	}
	if !strings.HasPrefix(uri, "/") && uri != "*" {
		uri = "/" + uri
	}
	if target == "" {
		if x.Host == "" {
			return "", fmt.Errorf("exchange %s %w", x.ID, ErrNoHost)
		}
		scheme := x.Scheme
		if scheme == "" {
			scheme = "http"
		}
		return scheme + "://" + x.Host + uri, nil
	}
	t, err := url.Parse(target)
	if err != nil || (t.Scheme != "http" && t.Scheme != "https") || t.Host == "" || t.RawQuery != "" || t.Fragment != "" {
		return "", fmt.Errorf("target %q: %w", target, ErrBadTarget)
	}
	return t.Scheme + "://" + t.Host + strings.TrimSuffix(t.EscapedPath(), "/") + uri, nil
}

// Headers returns the request headers of x worth sending again, and the names of
// those left out because the capture redacted them. Hop-by-hop headers, those the
// Connection header names, Host and Content-Length are always left out.
func Headers(x *model.Exchange) (http.Header, []string) {
	skip := map[string]bool{"Host": true, "Content-Length": true}
	for _, v := range x.RequestHeaders.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			skip[http.CanonicalHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	out := http.Header{}
	var redacted []string
	for name, vals := range x.RequestHeaders {
		key := http.CanonicalHeaderKey(name)
		if hopByHop[key] || skip[key] {
			continue
		}
		if slices.ContainsFunc(vals, func(v string) bool { return strings.Contains(v, capture.Redacted) }) {
			redacted = append(redacted, key)
			continue
		}
		out[key] = append(out[key], vals...)
	}
	sort.Strings(redacted)
	return out, redacted
}

// Curl returns a shell command (with comment lines) that repeats the request of x.
func Curl(x *model.Exchange, target string) (string, error) {
	u, err := URL(x, target)
	if err != nil {
		return "", err
	}
	h, redacted := Headers(x)
	var b strings.Builder
	fmt.Fprintf(&b, "# exchange %s: %s %s, answered %d\n", oneLine(x.ID), oneLine(x.Method), oneLine(x.URL), x.Status)
	for _, name := range redacted {
		fmt.Fprintf(&b, "# the %s header was redacted in the capture and is left out; add it with -H '%s: ...'\n", name, name)
	}
	if strings.Contains(x.URL, capture.Redacted) {
		b.WriteString("# the URL has query parameters that were redacted in the capture; fill them in\n")
	}
	body := x.RequestBody
	if int64(len(body)) < x.RequestSize {
		fmt.Fprintf(&b, "# the request body was truncated in the capture (%d of %d bytes); this sends only that part\n",
			len(body), x.RequestSize)
	}

	args := []string{"curl"}
	binary := len(body) > 0 && !isPlainText(body)
	if binary {
		// A body a shell word cannot hold (NUL bytes, control characters) goes in through printf.
		args = []string{"printf", ShellQuote(printfFormat(body)), "|", "curl"}
	}
	switch {
	case x.Method == http.MethodHead && len(body) == 0:
		args = append(args, "--head")
	case x.Method == http.MethodGet && len(body) == 0, x.Method == http.MethodPost && len(body) > 0:
	default:
		args = append(args, "-X", ShellQuote(x.Method))
	}
	if strings.ContainsAny(u, "[]{}") {
		args = append(args, "--globoff")
	}
	args = append(args, ShellQuote(u))
	lines := []string{strings.Join(args, " ")}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range h[name] {
			lines = append(lines, "-H "+ShellQuote(name+": "+v))
		}
	}
	switch {
	case binary:
		lines = append(lines, "--data-binary @-")
	case len(body) > 0:
		lines = append(lines, "--data-binary "+ShellQuote(string(body)))
	}
	b.WriteString(strings.Join(lines, " \\\n  "))
	b.WriteString("\n")
	return b.String(), nil
}

// isPlainText reports whether b can go into a single-quoted shell word and be read on a
// terminal: valid UTF-8 with no control characters but line feeds and tabs.
func isPlainText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if isControl(r) && r != '\n' && r != '\t' {
			return false
		}
	}
	return true
}

// printfFormat returns a printf format string that prints exactly b: printable ASCII as
// itself, everything else as three-digit octal escapes.
func printfFormat(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		switch {
		case c == '%':
			s.WriteString("%%")
		case c == '\\':
			s.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f && c != '\'':
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, `\%03o`, c)
		}
	}
	return s.String()
}

// ShellQuote quotes s as one POSIX shell word: bare if it is made of safe characters,
// single-quoted if it is plain text, else as a $'...' string with escapes (bash, zsh, ksh).
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	if isPlainText([]byte(s)) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case isControl(r):
			for _, c := range []byte(string(r)) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	b.WriteString("'")
	return b.String()
}

// isControl reports whether r is a C0 or C1 control character, DEL, or a bidirectional
// override that could reorder what a terminal shows.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// ErrNoHost means the exchange has no recorded host, so a target must be given.
var ErrNoHost = errors.New("has no recorded host")

// ErrBadTarget means the target is not a base URL.
var ErrBadTarget = errors.New("give a base URL such as http://127.0.0.1:8080 (a path prefix is allowed, a query is not)")

// Notes tells what of a captured request cannot be sent as it was.
type Notes struct {
	// Redacted names the headers left out because the capture redacted them.
	Redacted []string
	// RedactedQuery is true when the URL has query parameters the capture redacted.
	RedactedQuery bool
	// Truncated is true when the capture kept only BodyBytes of a BodySize-byte body.
	Truncated           bool
	BodyBytes, BodySize int64
}

// Request builds the request of x for sending again, to its original scheme and host, or
// to target (a base URL whose scheme, host and path prefix replace them) when not "".
func Request(ctx context.Context, x *model.Exchange, target string) (*http.Request, Notes, error) {
	u, err := URL(x, target)
	if err != nil {
		return nil, Notes{}, err
	}
	h, redacted := Headers(x)
	n := Notes{
		Redacted: redacted, RedactedQuery: strings.Contains(x.URL, capture.Redacted),
		Truncated: int64(len(x.RequestBody)) < x.RequestSize, BodyBytes: int64(len(x.RequestBody)), BodySize: x.RequestSize,
	}
	var body io.Reader
	if len(x.RequestBody) > 0 {
		body = bytes.NewReader(x.RequestBody)
	}
	req, err := http.NewRequestWithContext(ctx, x.Method, u, body)
	if err != nil {
		return nil, n, fmt.Errorf("building the request for exchange %s: %w", x.ID, err)
	}
	req.Header = h
	if _, ok := h["User-Agent"]; !ok {
		req.Header.Set("User-Agent", "") // send none, as the original did
	}
	return req, n, nil
}

// Client returns an HTTP client for replays: no transparent compression (Accept-Encoding
// goes only if the original sent it), redirects not followed, and the given timeout. Call
// the returned function when done with it.
func Client(timeout time.Duration) (*http.Client, func()) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, tr.CloseIdleConnections
}

// oneLine makes s safe for a one-line shell comment: control characters become '?'.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '?'
		}
		return r
	}, s)
}
