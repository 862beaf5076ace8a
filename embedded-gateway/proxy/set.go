package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// Set holds the proxies of several named upstreams and dispatches each request to the
// one Options.UpstreamFromContext names. It is an http.Handler, safe for concurrent use,
// and fixed once built: build a new Set for a new configuration and Close the old one.
type Set struct {
	byName map[string]*Proxy
	names  []string // sorted
	opts   Options
}

// NewSet builds a Proxy for each upstream. Names must be unique. On error no proxy is
// left running.
func NewSet(ups []Upstream, opts Options) (*Set, error) {
	s := &Set{byName: make(map[string]*Proxy, len(ups)), opts: opts}
	var errs []error
	for i, u := range ups {
		if _, dup := s.byName[u.Name]; dup {
			errs = append(errs, fmt.Errorf("upstreams[%d]: name %q is used twice", i, u.Name))
			continue
		}
		p, err := New(u, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("upstreams[%d]: %w", i, err))
			continue
		}
		s.byName[u.Name] = p
		s.names = append(s.names, u.Name)
	}
	if err := errors.Join(errs...); err != nil {
		_ = s.Close()
		return nil, err
	}
	sort.Strings(s.names)
	return s, nil
}

// Get returns the proxy of the named upstream, or nil.
func (s *Set) Get(name string) *Proxy { return s.byName[name] }

// Names returns the upstreams' names, sorted.
func (s *Set) Names() []string { return append([]string(nil), s.names...) }

// ServeHTTP forwards r to the upstream named by Options.UpstreamFromContext; when none is
// named and the Set holds exactly one upstream, to that one. Naming no upstream or an
// unknown one is a configuration error answered with a 500 problem.
func (s *Set) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := "", false
	if s.opts.UpstreamFromContext != nil {
		name, ok = s.opts.UpstreamFromContext(r.Context())
	}
	if !ok {
		if len(s.names) == 1 {
			s.byName[s.names[0]].ServeHTTP(w, r)
			return
		}
		problem.Error(w, r, http.StatusInternalServerError, "upstream-not-selected",
			fmt.Sprintf("No upstream is selected for this request and %d are configured.", len(s.names)))
		return
	}
	p := s.byName[name]
	if p == nil {
		problem.Error(w, r, http.StatusInternalServerError, "upstream-not-configured",
			fmt.Sprintf("Upstream %q is not configured.", name))
		return
	}
	p.ServeHTTP(w, r)
}

// Stats returns each upstream's stats, sorted by name.
func (s *Set) Stats() []Stats {
	out := make([]Stats, 0, len(s.names))
	for _, n := range s.names {
		out = append(out, s.byName[n].Stats())
	}
	return out
}

// Close closes every proxy of the set. It always returns nil.
func (s *Set) Close() error {
	for _, p := range s.byName {
		_ = p.Close()
	}
	return nil
}
