package cache

import (
	"net/http"
	"strings"
	"time"
)

// maxDelta is the largest delta-seconds value honoured (RFC 9111 section 1.2.2).
const maxDelta = 1<<31 - 1

// directives are the Cache-Control directives the cache acts on. The second counts are -1
// when the directive is absent.
type directives struct {
	noStore, noCache, private, public   bool
	mustRevalidate, proxyRevalidate     bool
	onlyIfCached, maxStaleAny           bool
	maxAge, sMaxAge, minFresh, maxStale int64
}

// parseCacheControl reads the Cache-Control field lines in values. Directive names are
// case-insensitive; for a repeated directive the first occurrence counts. A malformed
// max-age, s-maxage or min-fresh counts as 0 (the response is stale, the request accepts
// nothing cached), the conservative reading RFC 9111 section 4.2.1 asks for; a malformed
// max-stale counts as absent.
func parseCacheControl(values []string) directives {
	d := directives{maxAge: -1, sMaxAge: -1, minFresh: -1, maxStale: -1}
	for _, line := range values {
		for line != "" {
			var name, arg string
			var hasArg bool
			name, arg, hasArg, line = nextDirective(line)
			switch {
			case strings.EqualFold(name, "no-store"):
				d.noStore = true
			case strings.EqualFold(name, "no-cache"):
				d.noCache = true // with or without field names: this cache never revalidates
			case strings.EqualFold(name, "private"):
				d.private = true
			case strings.EqualFold(name, "public"):
				d.public = true
			case strings.EqualFold(name, "must-revalidate"):
				d.mustRevalidate = true
			case strings.EqualFold(name, "proxy-revalidate"):
				d.proxyRevalidate = true
			case strings.EqualFold(name, "only-if-cached"):
				d.onlyIfCached = true
			case strings.EqualFold(name, "max-age"):
				setSeconds(&d.maxAge, arg, hasArg, 0)
			case strings.EqualFold(name, "s-maxage"):
				setSeconds(&d.sMaxAge, arg, hasArg, 0)
			case strings.EqualFold(name, "min-fresh"):
				setSeconds(&d.minFresh, arg, hasArg, 0)
			case strings.EqualFold(name, "max-stale"):
				if !hasArg {
					d.maxStaleAny = true
				} else {
					setSeconds(&d.maxStale, arg, true, -1)
				}
			}
		}
	}
	return d
}

// nextDirective splits the first directive off a Cache-Control line: its name, its
// argument (unquoted) and the rest of the line after the comma.
func nextDirective(s string) (name, arg string, hasArg bool, rest string) {
	s = strings.TrimLeft(s, " \t,")
	i := 0
	for i < len(s) && s[i] != '=' && s[i] != ',' {
		i++
	}
	name = strings.TrimSpace(s[:i])
	if i == len(s) || s[i] == ',' {
		return name, "", false, s[i:]
	}
	s = strings.TrimLeft(s[i+1:], " \t")
	if strings.HasPrefix(s, `"`) {
		// A quoted string: may contain commas; backslash escapes the next character.
		var b strings.Builder
		j := 1
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' && j+1 < len(s) {
				j++
			}
			b.WriteByte(s[j])
		}
		rest = s[min(j+1, len(s)):]
		if k := strings.IndexByte(rest, ','); k >= 0 {
			rest = rest[k:]
		} else {
			rest = ""
		}
		return name, b.String(), true, rest
	}
	j := strings.IndexByte(s, ',')
	if j < 0 {
		return name, strings.TrimSpace(s), true, ""
	}
	return name, strings.TrimSpace(s[:j]), true, s[j:]
}

// setSeconds stores the delta-seconds arg in *dst unless already set; a missing or
// malformed value stores bad instead.
func setSeconds(dst *int64, arg string, hasArg bool, bad int64) {
	if *dst >= 0 {
		return
	}
	n, ok := deltaSeconds(arg)
	if !hasArg || !ok {
		*dst = bad
		return
	}
	*dst = n
}

// deltaSeconds parses a non-negative decimal number of seconds, clamping large values.
func deltaSeconds(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < maxDelta {
			n = n*10 + int64(c-'0')
		}
	}
	return min(n, maxDelta), true
}

// seconds converts a clamped delta-seconds value to a duration.
func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// requestDirectives reads a request's Cache-Control, falling back to "Pragma: no-cache"
// when there is no Cache-Control (RFC 9111 section 5.4).
func requestDirectives(h http.Header) directives {
	cc := h["Cache-Control"]
	d := parseCacheControl(cc)
	if len(cc) == 0 {
		for _, p := range h["Pragma"] {
			if strings.Contains(strings.ToLower(p), "no-cache") {
				d.noCache = true
			}
		}
	}
	return d
}

// varyNames returns the canonical field names of a response's Vary lines, and whether
// one of them is "*".
func varyNames(values []string) (names []string, star bool) {
	for _, line := range values {
		for f := range strings.SplitSeq(line, ",") {
			f = strings.TrimSpace(f)
			switch f {
			case "":
			case "*":
				return nil, true
			default:
				names = append(names, http.CanonicalHeaderKey(f))
			}
		}
	}
	return names, false
}

// etagMatch reports whether the If-None-Match lines in inm name etag, by the weak
// comparison RFC 9110 section 13.1.2 prescribes for it.
func etagMatch(inm []string, etag string) bool {
	if etag == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, line := range inm {
		for t := range strings.SplitSeq(line, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == want {
				return true
			}
		}
	}
	return false
}
