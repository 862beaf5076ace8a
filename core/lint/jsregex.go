package lint

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// jsRegexLiteral matches a regular expression written JavaScript style: /source/flags.
var jsRegexLiteral = regexp.MustCompile(`^/(.+)/([a-z]*)$`)

// regexCache holds compiled patterns by their ruleset spelling; compiled regexps are safe
// for concurrent use.
var regexCache sync.Map // string → *regexp.Regexp

// compileJSRegex compiles a pattern the way Spectral's pattern function reads it: either a
// bare source ("^[a-z]+$") or a JavaScript literal with flags ("/^[a-z]+$/i"). The source
// is translated to Go's RE2 syntax; features RE2 lacks (lookaround, backreferences) are
// reported as errors.
func compileJSRegex(s string) (*regexp.Regexp, error) {
	if re, ok := regexCache.Load(s); ok {
		return re.(*regexp.Regexp), nil
	}
	source, flags := s, ""
	if m := jsRegexLiteral.FindStringSubmatch(s); m != nil {
		source, flags = m[1], m[2]
	}
	re, err := compileJSSource(source, flags)
	if err != nil {
		return nil, err
	}
	regexCache.Store(s, re)
	return re, nil
}

// compileJSSource compiles a JavaScript regular expression source with flags.
func compileJSSource(source, flags string) (*regexp.Regexp, error) {
	var prefix strings.Builder
	for _, f := range flags {
		switch f {
		case 'i', 'm', 's':
			if strings.ContainsRune(prefix.String(), f) {
				return nil, fmt.Errorf("duplicate regular expression flag %q", f)
			}
			prefix.WriteRune(f)
		case 'g', 'u', 'y', 'd', 'v':
			// g, y and d do not change whether a pattern matches; u and v only widen escapes.
		default:
			return nil, fmt.Errorf("unknown regular expression flag %q", f)
		}
	}
	translated, err := translateJSRegex(source)
	if err != nil {
		return nil, err
	}
	if prefix.Len() > 0 {
		translated = "(?" + prefix.String() + ")" + translated
	}
	re, err := regexp.Compile(translated)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %q: %v", source, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}

// translateJSRegex rewrites the JavaScript-only parts of a pattern into RE2 syntax.
func translateJSRegex(src string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src):
			n := src[i+1]
			switch {
			case n == 'u' && i+5 < len(src) && isHex(src[i+2:i+6]):
				b.WriteString(`\x{` + src[i+2:i+6] + `}`)
				i += 5
				continue
			case n == 'u' && i+2 < len(src) && src[i+2] == '{':
				end := strings.IndexByte(src[i+2:], '}')
				if end < 0 {
					return "", fmt.Errorf("invalid regular expression %q: unterminated \\u{", src)
				}
				b.WriteString(`\x{` + src[i+3:i+2+end] + `}`)
				i += 2 + end
				continue
			case n == 'd' || n == 'D' || n == 'w' || n == 'W' || n == 's' || n == 'S' || n == 'b' || n == 'B':
				b.WriteByte('\\')
				b.WriteByte(n)
			case n >= '1' && n <= '9' && !inClass:
				return "", fmt.Errorf("invalid regular expression %q: backreferences are not supported", src)
			case n == 'k' && i+2 < len(src) && src[i+2] == '<':
				return "", fmt.Errorf("invalid regular expression %q: backreferences are not supported", src)
			case n == '/' || n == '-' && !inClass:
				b.WriteByte(n)
			case n == 'c' && i+2 < len(src):
				// \cX: control character X.
				x := src[i+2] % 32
				fmt.Fprintf(&b, `\x{%02x}`, x)
				i += 2
				continue
			case n == '0':
				b.WriteString(`\x{0}`)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			i++
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if i+1 < len(src) && src[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(src) && src[i+1] == ']' {
				// "[]" matches nothing and "[^]" anything in JavaScript.
				if strings.HasSuffix(b.String(), "[^") {
					s := b.String()
					b.Reset()
					b.WriteString(s[:len(s)-2] + `[\x{0}-\x{10FFFF}]`)
				} else {
					s := b.String()
					b.Reset()
					b.WriteString(s[:len(s)-1] + `[^\x{0}-\x{10FFFF}]`)
				}
				inClass = false
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '[' && inClass:
			b.WriteString(`\[`)
		case c == '(' && !inClass && i+2 < len(src) && src[i+1] == '?':
			switch {
			case src[i+2] == '=' || src[i+2] == '!':
				return "", fmt.Errorf("invalid regular expression %q: lookahead is not supported", src)
			case src[i+2] == '<' && i+3 < len(src) && (src[i+3] == '=' || src[i+3] == '!'):
				return "", fmt.Errorf("invalid regular expression %q: lookbehind is not supported", src)
			case src[i+2] == '<':
				b.WriteString("(?P<")
				i += 2
			default:
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
