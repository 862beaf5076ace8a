package access

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// corsSettings are the cors policy's settings.
type corsSettings struct {
	// AllowOrigins lists the origins that may call: exact ones ("https://app.example.com"),
	// subdomain patterns ("https://*.example.com" matches any subdomain, at any depth, but
	// not example.com itself) or "*" for any; required.
	AllowOrigins []string `json:"allowOrigins"`
	// AllowMethods lists the methods a preflight allows, or "*" for whichever is asked;
	// empty means GET, HEAD, POST, PUT, PATCH and DELETE.
	AllowMethods []string `json:"allowMethods"`
	// AllowHeaders lists the request headers a preflight allows, or "*" for whichever are
	// asked; empty means whichever are asked.
	AllowHeaders []string `json:"allowHeaders"`
	// ExposeHeaders lists the response headers scripts may read beyond the safelisted
	// ones, or "*" for all (not with AllowCredentials); empty means none.
	ExposeHeaders []string `json:"exposeHeaders"`
	// AllowCredentials lets scripts send cookies and credentials and read the response.
	AllowCredentials bool `json:"allowCredentials"`
	// MaxAge is how long a browser may cache a preflight answer, in whole seconds; unset
	// leaves it to the browser (5 seconds in most).
	MaxAge json.RawMessage `json:"maxAge"`
	// PrivateNetwork answers Private Network Access preflights
	// (Access-Control-Request-Private-Network) with permission.
	PrivateNetwork bool `json:"privateNetwork"`
}

// originPattern is an allowed origin with a wildcard subdomain: scheme://*.suffix[:port].
type originPattern struct {
	prefix string // "https://"
	suffix string // ".example.com" or ".example.com:8443"
}

type cors struct {
	anyOrigin      bool
	origins        map[string]struct{}
	patterns       []originPattern
	anyMethod      bool
	methods        []string
	methodsHV      string
	anyHeader      bool
	headers        []string // lower case
	headersHV      string
	exposeHV       string
	credentials    bool
	maxAgeHV       string // "" means not sent
	privateNetwork bool
	preflightVary  string
}

var defaultMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

func newCORS(raw json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var cfg corsSettings
	if err := policy.Decode(raw, &cfg); err != nil {
		return nil, err
	}
	c := &cors{origins: map[string]struct{}{}, credentials: cfg.AllowCredentials, privateNetwork: cfg.PrivateNetwork}
	if len(cfg.AllowOrigins) == 0 {
		return nil, policy.Errorf("allowOrigins", "is required: list origins like \"https://app.example.com\", patterns like \"https://*.example.com\", or \"*\"")
	}
	for i, o := range cfg.AllowOrigins {
		field := "allowOrigins." + strconv.Itoa(i)
		if o == "*" {
			c.anyOrigin = true
			continue
		}
		exact, pat, why := parseOrigin(o)
		if why != "" {
			return nil, policy.Errorf(field, "%q %s", o, why)
		}
		if pat != nil {
			c.patterns = append(c.patterns, *pat)
		} else {
			c.origins[exact] = struct{}{}
		}
	}
	if c.anyOrigin && c.credentials {
		env.Log().Warn(`cors allows credentials from any origin ("*"): every site can make credentialed requests and read the responses`,
			slog.String("api", env.API), slog.String("operation", env.Operation))
	}

	methods := cfg.AllowMethods
	if len(methods) == 0 {
		methods = defaultMethods
	}
	for i, m := range methods {
		if m == "*" {
			c.anyMethod = true
			continue
		}
		if !policy.IsToken(m) {
			return nil, policy.Errorf("allowMethods."+strconv.Itoa(i), "%q is not a method name", m)
		}
		c.methods = append(c.methods, strings.ToUpper(m))
	}
	c.methodsHV = strings.Join(c.methods, ", ")

	c.anyHeader = len(cfg.AllowHeaders) == 0
	for i, h := range cfg.AllowHeaders {
		if h == "*" {
			c.anyHeader = true
			continue
		}
		if !policy.IsToken(h) {
			return nil, policy.Errorf("allowHeaders."+strconv.Itoa(i), "%q is not a header name", h)
		}
		c.headers = append(c.headers, strings.ToLower(h))
	}
	c.headersHV = strings.Join(c.headers, ", ")

	expose := make([]string, 0, len(cfg.ExposeHeaders))
	for i, h := range cfg.ExposeHeaders {
		field := "exposeHeaders." + strconv.Itoa(i)
		if h == "*" {
			if c.credentials {
				return nil, policy.Errorf(field, `"*" is taken literally when credentials are allowed; list the headers to expose`)
			}
		} else if !policy.IsToken(h) {
			return nil, policy.Errorf(field, "%q is not a header name", h)
		}
		expose = append(expose, h)
	}
	c.exposeHV = strings.Join(expose, ", ")

	maxAge, set, err := decodeDuration(cfg.MaxAge, "maxAge")
	if err != nil {
		return nil, err
	}
	if set {
		d := maxAge.Std()
		if d < 0 || d%time.Second != 0 {
			return nil, policy.Errorf("maxAge", "must be a whole number of seconds, zero or more, not %s", d)
		}
		c.maxAgeHV = strconv.FormatInt(int64(d/time.Second), 10)
	}

	c.preflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
	if c.privateNetwork {
		c.preflightVary += ", Access-Control-Request-Private-Network"
	}
	return c.middleware, nil
}

// parseOrigin validates a configured origin: scheme://host[:port] with nothing else, the
// host possibly starting with "*." for a subdomain pattern. It returns the origin in the
// form browsers send (lower case, without the scheme's default port), or the pattern, or
// why it is refused.
func parseOrigin(o string) (exact string, pat *originPattern, why string) {
	const notOrigin = `is not an origin like "https://app.example.com"`
	if o == "null" {
		return "", nil, `is not safe to allow: sandboxed documents and local files all send "null"`
	}
	for i := 0; i < len(o); i++ {
		if o[i] <= ' ' || o[i] >= 0x7f {
			return "", nil, "must be ASCII without spaces (write international names in their xn-- form)"
		}
	}
	lower := strings.ToLower(o)
	scheme, rest, ok := strings.Cut(lower, "://")
	if !ok || scheme == "" {
		return "", nil, notOrigin
	}
	wildcard := strings.HasPrefix(rest, "*.")
	if wildcard {
		rest = rest[len("*."):]
	}
	if strings.Contains(rest, "*") {
		return "", nil, `may only have a wildcard as the first label of the host, as in "https://*.example.com"`
	}
	u, err := url.Parse(scheme + "://" + rest)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", nil, notOrigin
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(rest, "/?#@") {
		return "", nil, `must be only scheme://host[:port], without a path (not even "/"), query or credentials`
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(u.Host, ":") {
		return "", nil, notOrigin
	}
	if port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", nil, notOrigin
		}
	}
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		rest = strings.TrimSuffix(rest, ":"+port)
	}
	if wildcard {
		return "", &originPattern{prefix: scheme + "://", suffix: "." + rest}, ""
	}
	return scheme + "://" + rest, nil, ""
}

// matches reports whether origin is scheme://<one or more labels>.suffix.
func (p originPattern) matches(origin string) bool {
	if len(origin) <= len(p.prefix)+len(p.suffix) || !strings.HasPrefix(origin, p.prefix) || !strings.HasSuffix(origin, p.suffix) {
		return false
	}
	sub := origin[len(p.prefix) : len(origin)-len(p.suffix)]
	// The subdomain part must be host labels only, so that neither a port nor a
	// userinfo-looking string slips in.
	if sub[0] == '.' || sub[len(sub)-1] == '.' || strings.Contains(sub, "..") {
		return false
	}
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// allowed reports whether origin may call.
func (c *cors) allowed(origin string) bool {
	if c.anyOrigin {
		return true
	}
	if _, ok := c.origins[origin]; ok {
		return true
	}
	for _, p := range c.patterns {
		if p.matches(origin) {
			return true
		}
	}
	return false
}

// allowOriginValue is the Access-Control-Allow-Origin value for an allowed origin: "*" for
// any origin without credentials, else the origin itself (never "*" with credentials).
func (c *cors) allowOriginValue(origin string) string {
	if c.anyOrigin && !c.credentials {
		return "*"
	}
	return origin
}

func (c *cors) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			c.preflight(w, r, origin)
			return
		}
		w.Header().Add("Vary", "Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		cw := &corsWriter{ResponseWriter: w, c: c}
		if c.allowed(origin) {
			cw.origin = origin
		}
		next.ServeHTTP(cw, r)
		cw.apply()
	})
}

// preflight answers a CORS preflight request without calling the next handler.
func (c *cors) preflight(w http.ResponseWriter, r *http.Request, origin string) {
	h := w.Header()
	h.Add("Vary", c.preflightVary)
	if !c.allowed(origin) {
		problem.Error(w, r, http.StatusForbidden, "cors-forbidden", "origin "+origin+" is not allowed")
		return
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if !c.anyMethod && !contains(c.methods, method) {
		problem.Error(w, r, http.StatusForbidden, "cors-forbidden", "method "+method+" is not allowed for cross-origin requests (allowed: "+c.methodsHV+")")
		return
	}
	requested := strings.Join(r.Header.Values("Access-Control-Request-Headers"), ",")
	for rest := requested; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ",")
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !policy.IsToken(name) {
			problem.Error(w, r, http.StatusBadRequest, "cors-bad-preflight", "Access-Control-Request-Headers is not a list of header names")
			return
		}
		if !c.anyHeader && !containsFold(c.headers, name) {
			problem.Error(w, r, http.StatusForbidden, "cors-forbidden", "request header "+name+" is not allowed for cross-origin requests")
			return
		}
	}
	h.Set("Access-Control-Allow-Origin", c.allowOriginValue(origin))
	if c.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if c.anyMethod {
		h.Set("Access-Control-Allow-Methods", method)
	} else {
		h.Set("Access-Control-Allow-Methods", c.methodsHV)
	}
	if c.anyHeader {
		if requested != "" {
			h.Set("Access-Control-Allow-Headers", requested)
		}
	} else if c.headersHV != "" {
		h.Set("Access-Control-Allow-Headers", c.headersHV)
	}
	if c.maxAgeHV != "" {
		h.Set("Access-Control-Max-Age", c.maxAgeHV)
	}
	if c.privateNetwork && strings.EqualFold(r.Header.Get("Access-Control-Request-Private-Network"), "true") {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	w.WriteHeader(http.StatusNoContent)
}

// corsWriter sets the CORS response headers just before the response header is written,
// replacing any the upstream sent: the gateway alone decides CORS for the routes it
// guards.
type corsWriter struct {
	http.ResponseWriter
	c      *cors
	origin string // the allowed origin; "" when not allowed
	done   bool
}

func (w *corsWriter) apply() {
	if w.done {
		return
	}
	w.done = true
	h := w.ResponseWriter.Header()
	h.Del("Access-Control-Allow-Origin")
	h.Del("Access-Control-Allow-Credentials")
	h.Del("Access-Control-Expose-Headers")
	if w.origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", w.c.allowOriginValue(w.origin))
	if w.c.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if w.c.exposeHV != "" {
		h.Set("Access-Control-Expose-Headers", w.c.exposeHV)
	}
}

// WriteHeader applies the CORS headers to a final (non-1xx) response, then writes it.
func (w *corsWriter) WriteHeader(code int) {
	if code >= 200 {
		w.apply()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write applies the CORS headers if the header was not written yet, then writes b.
func (w *corsWriter) Write(b []byte) (int, error) {
	w.apply()
	return w.ResponseWriter.Write(b)
}

// FlushError applies the CORS headers and flushes, for http.ResponseController.
func (w *corsWriter) FlushError() error {
	w.apply()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush implements http.Flusher for handlers that assert it.
func (w *corsWriter) Flush() { _ = w.FlushError() }

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *corsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
