package har

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gantry-dev/gantry/core/model"
)

// TimeFormat is the layout of startedDateTime: ISO 8601 with milliseconds and zone.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FromExchanges converts captured exchanges to a HAR document whose creator is Gantry at
// creatorVersion. Entries are in chronological order (ties by ID); xs is not modified and
// nil exchanges are skipped.
//
// URLs are made absolute with the exchange's host and scheme http, unless the exchange's URL
// is already absolute. Bodies that are not valid UTF-8 are written in base64. Gantry cannot
// see connection phases, so blocked, dns, connect and ssl are -1, and the whole duration is
// reported as wait.
func FromExchanges(xs []*model.Exchange, creatorVersion string) *HAR {
	sorted := make([]*model.Exchange, 0, len(xs))
	for _, x := range xs {
		if x != nil {
			sorted = append(sorted, x)
		}
	}
	slices.SortStableFunc(sorted, func(a, b *model.Exchange) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	h := &HAR{Log: Log{
		Version: Version,
		Creator: Creator{Name: CreatorName, Version: creatorVersion},
		Entries: make([]Entry, 0, len(sorted)),
	}}
	for _, x := range sorted {
		h.Log.Entries = append(h.Log.Entries, entryFrom(x))
	}
	return h
}

// entryFrom converts one exchange.
func entryFrom(x *model.Exchange) Entry {
	ms := durationMS(x.Duration)
	proto := x.Proto // "" stays "": unknown
	e := Entry{
		StartedDateTime: x.StartedAt.UTC().Format(TimeFormat),
		Time:            ms,
		Request: Request{
			Method:      x.Method,
			URL:         absoluteURL(x),
			HTTPVersion: proto,
			Cookies:     requestCookies(x.RequestHeaders),
			Headers:     headers(x.RequestHeaders),
			QueryString: queryString(x.URL),
			HeadersSize: -1,
			BodySize:    x.RequestSize,
		},
		Response: Response{
			Status:      x.Status,
			StatusText:  http.StatusText(x.Status),
			HTTPVersion: proto,
			Cookies:     responseCookies(x.ResponseHeaders),
			Headers:     headers(x.ResponseHeaders),
			Content: Content{
				Size:     x.ResponseSize,
				MimeType: x.ResponseHeaders.Get("Content-Type"),
			},
			RedirectURL: x.ResponseHeaders.Get("Location"),
			HeadersSize: -1,
			BodySize:    x.ResponseSize,
		},
		Timings: Timings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Wait: ms},
		Gantry: &Gantry{
			ID:                x.ID,
			API:               x.API,
			Operation:         x.Operation,
			Mode:              x.Mode,
			ClientAddr:        x.ClientAddr,
			Violations:        x.Violations,
			Warnings:          x.Warnings,
			RequestTruncated:  int64(len(x.RequestBody)) < x.RequestSize,
			ResponseTruncated: int64(len(x.ResponseBody)) < x.ResponseSize,
		},
	}
	if len(x.RequestBody) > 0 || x.RequestSize > 0 {
		text, enc := encodeBody(x.RequestBody)
		e.Request.PostData = &PostData{MimeType: x.RequestHeaders.Get("Content-Type"), Text: text, Encoding: enc}
	}
	e.Response.Content.Text, e.Response.Content.Encoding = encodeBody(x.ResponseBody)
	return e
}

// durationMS converts d to fractional milliseconds.
func durationMS(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// absoluteURL returns the exchange's URL as an absolute URL.
func absoluteURL(x *model.Exchange) string {
	if isAbsolute(x.URL) {
		return x.URL
	}
	path := x.URL
	if path == "*" { // OPTIONS * has no path to join
		path = ""
	} else if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	scheme := x.Scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + x.Host + path
}

// isAbsolute reports whether u starts with an http or https scheme.
func isAbsolute(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// headers flattens h into HAR headers sorted by name, one per value, in value order.
func headers(h http.Header) []Header {
	out := make([]Header, 0, len(h))
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			out = append(out, Header{Name: name, Value: v})
		}
	}
	return out
}

// queryString parses the query of a request URI; unparsable pairs are kept raw.
func queryString(uri string) []QueryString {
	out := []QueryString{}
	_, query, ok := strings.Cut(uri, "?")
	if !ok {
		return out
	}
	query, _, _ = strings.Cut(query, "#")
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if v, err := url.QueryUnescape(value); err == nil {
			value = v
		}
		out = append(out, QueryString{Name: name, Value: value})
	}
	return out
}

// requestCookies parses the Cookie headers, skipping malformed pairs.
func requestCookies(h http.Header) []Cookie {
	out := []Cookie{}
	if len(h["Cookie"]) == 0 {
		return out
	}
	r := http.Request{Header: http.Header{"Cookie": h["Cookie"]}}
	for _, c := range r.Cookies() {
		out = append(out, Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// responseCookies parses the Set-Cookie headers, skipping malformed ones.
func responseCookies(h http.Header) []Cookie {
	out := []Cookie{}
	if len(h["Set-Cookie"]) == 0 {
		return out
	}
	r := http.Response{Header: http.Header{"Set-Cookie": h["Set-Cookie"]}}
	for _, c := range r.Cookies() {
		hc := Cookie{Name: c.Name, Value: c.Value, Path: c.Path, Domain: c.Domain, HTTPOnly: c.HttpOnly, Secure: c.Secure}
		if !c.Expires.IsZero() {
			hc.Expires = c.Expires.UTC().Format(TimeFormat)
		}
		out = append(out, hc)
	}
	return out
}

// encodeBody returns b as text, or as base64 with encoding "base64" if it is not UTF-8.
func encodeBody(b []byte) (text, encoding string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// Write writes h as indented JSON followed by a newline.
func Write(w io.Writer, h *HAR) error {
	if h == nil {
		return fmt.Errorf("writing HAR: no document")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return fmt.Errorf("writing HAR: %w", err)
	}
	return nil
}
