package transform

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// headerSettings are the settings of requestHeaders and responseHeaders.
type headerSettings struct {
	Set    map[string]string `json:"set"`
	Add    map[string]string `json:"add"`
	Remove []string          `json:"remove"`
	Rename map[string]string `json:"rename"`
}

// reserved are the headers a transform may remove but never set, add or rename: the
// hop-by-hop headers (RFC 9110 section 7.6.1) and the ones that frame the message or that
// net/http manages itself.
var reserved = map[string]bool{
	"Connection":          true,
	"Keep-Alive":          true,
	"Proxy-Connection":    true,
	"Proxy-Authenticate":  true,
	"Proxy-Authorization": true,
	"Te":                  true,
	"Trailer":             true,
	"Transfer-Encoding":   true,
	"Upgrade":             true,
	"Content-Length":      true,
	"Host":                true,
}

// headerOps is a compiled header transform.
type headerOps struct {
	remove []string // canonical names
	rename []rename // sorted by from
	set    []headerValue
	add    []headerValue
	// dynamic counts the set and add values that have variables.
	dynamic int
}

type rename struct{ from, to string }

type headerValue struct {
	name string // canonical
	tmpl template
}

// compileHeaders decodes and checks header transform settings.
func compileHeaders(raw json.RawMessage) (*headerOps, error) {
	var s headerSettings
	if err := policy.Decode(raw, &s); err != nil {
		return nil, err
	}
	ops := &headerOps{}
	for i, name := range s.Remove {
		if !policy.IsToken(name) {
			return nil, policy.Errorf(fmt.Sprintf("remove.%d", i), "%q is not a valid header name", name)
		}
		ops.remove = append(ops.remove, http.CanonicalHeaderKey(name))
	}
	for _, from := range sortedKeys(s.Rename) {
		to := s.Rename[from]
		field := "rename." + from
		for _, n := range []string{from, to} {
			if err := checkSettable(field, n); err != nil {
				return nil, err
			}
		}
		ops.rename = append(ops.rename, rename{http.CanonicalHeaderKey(from), http.CanonicalHeaderKey(to)})
	}
	var err error
	if ops.set, err = compileValues("set", s.Set); err != nil {
		return nil, err
	}
	if ops.add, err = compileValues("add", s.Add); err != nil {
		return nil, err
	}
	for _, v := range append(append([]headerValue(nil), ops.set...), ops.add...) {
		if v.tmpl.dynamic {
			ops.dynamic++
		}
	}
	if len(ops.remove)+len(ops.rename)+len(ops.set)+len(ops.add) == 0 {
		return nil, policy.Errorf("", "nothing to do: give at least one of set, add, remove or rename")
	}
	return ops, nil
}

func compileValues(field string, m map[string]string) ([]headerValue, error) {
	var out []headerValue
	for _, name := range sortedKeys(m) {
		f := field + "." + name
		if err := checkSettable(f, name); err != nil {
			return nil, err
		}
		if m[name] == "" {
			return nil, policy.Errorf(f, "the value is empty (use remove to delete a header)")
		}
		t, err := parseTemplate(m[name])
		if err != nil {
			return nil, &policy.FieldError{Field: f, Message: err.Error(), Err: err}
		}
		out = append(out, headerValue{name: http.CanonicalHeaderKey(name), tmpl: t})
	}
	return out, nil
}

func checkSettable(field, name string) error {
	if !policy.IsToken(name) {
		return policy.Errorf(field, "%q is not a valid header name", name)
	}
	if reserved[http.CanonicalHeaderKey(name)] {
		return policy.Errorf(field, "%s is a hop-by-hop or framing header that the gateway manages; it can only be removed", http.CanonicalHeaderKey(name))
	}
	return nil
}

// sortedKeys returns m's keys in order, so that settings apply the same way every time.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// apply transforms h in the documented order: remove, rename, set, add. Variables read r
// as it was before this transform changed anything.
func (o *headerOps) apply(h http.Header, r *http.Request) {
	// Expand the variables first, so that they see the headers before the changes.
	var stack [8]string
	var vals []string
	if o.dynamic > 0 {
		vals = stack[:0]
		for i := range o.set {
			if o.set[i].tmpl.dynamic {
				vals = append(vals, o.set[i].tmpl.expand(r))
			}
		}
		for i := range o.add {
			if o.add[i].tmpl.dynamic {
				vals = append(vals, o.add[i].tmpl.expand(r))
			}
		}
	}
	for _, name := range o.remove {
		delete(h, name)
	}
	if len(o.rename) > 0 {
		// All renames happen at once: a header renamed to a name that is itself renamed
		// keeps its new name.
		var moved [4][]string
		values := moved[:0]
		for _, rn := range o.rename {
			values = append(values, h[rn.from])
			delete(h, rn.from)
		}
		for i, rn := range o.rename {
			switch cur := h[rn.to]; {
			case len(values[i]) == 0:
			case len(cur) == 0:
				h[rn.to] = values[i]
			default:
				h[rn.to] = append(cur[:len(cur):len(cur)], values[i]...)
			}
		}
	}
	next := 0
	value := func(v *headerValue) string {
		if !v.tmpl.dynamic {
			return v.tmpl.static
		}
		s := vals[next]
		next++
		return s
	}
	if len(o.set) > 0 {
		// One backing array for all the new values.
		backing := make([]string, len(o.set))
		for i := range o.set {
			v := value(&o.set[i])
			if v == "" {
				continue // a variable expanded to nothing: leave the header alone
			}
			backing[i] = v
			h[o.set[i].name] = backing[i : i+1 : i+1]
		}
	}
	for i := range o.add {
		if v := value(&o.add[i]); v != "" {
			h[o.add[i].name] = append(h[o.add[i].name], v)
		}
	}
}

// newRequestHeaders builds the requestHeaders policy.
func newRequestHeaders(raw json.RawMessage, _ policy.Env) (policy.Middleware, error) {
	ops, err := compileHeaders(raw)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Handlers must not modify the request they are given: change a copy.
			r2 := new(http.Request)
			*r2 = *r
			r2.Header = r.Header.Clone()
			if r2.Header == nil {
				r2.Header = http.Header{}
			}
			ops.apply(r2.Header, r)
			next.ServeHTTP(w, r2)
		})
	}, nil
}

// newResponseHeaders builds the responseHeaders policy.
func newResponseHeaders(raw json.RawMessage, _ policy.Env) (policy.Middleware, error) {
	ops, err := compileHeaders(raw)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hw := &headerWriter{ResponseWriter: w, ops: ops, r: r}
			next.ServeHTTP(hw, r)
			hw.finish()
		})
	}, nil
}

// headerWriter applies a response header transform just before the header is sent.
type headerWriter struct {
	http.ResponseWriter
	ops  *headerOps
	r    *http.Request
	done bool
}

func (hw *headerWriter) transform() {
	if !hw.done {
		hw.done = true
		hw.ops.apply(hw.ResponseWriter.Header(), hw.r)
	}
}

// WriteHeader transforms the header before sending a final (non-1xx) status.
func (hw *headerWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		hw.transform()
	}
	hw.ResponseWriter.WriteHeader(code)
}

// Write transforms the header if it has not been sent yet, then writes b.
func (hw *headerWriter) Write(b []byte) (int, error) {
	hw.transform()
	return hw.ResponseWriter.Write(b)
}

// Flush transforms the header if it has not been sent yet, then flushes.
func (hw *headerWriter) Flush() {
	hw.transform()
	_ = http.NewResponseController(hw.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (hw *headerWriter) Unwrap() http.ResponseWriter { return hw.ResponseWriter }

// finish transforms the header of a response the handler never wrote, which net/http is
// about to send as an empty 200.
func (hw *headerWriter) finish() { hw.transform() }
