package proxy

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"time"
)

// healthCheckUserAgent identifies the gateway's health checks in upstream logs.
const healthCheckUserAgent = "gantry-health-check"

// startHealthChecks runs one checker goroutine per target until p.Close.
func (p *Proxy) startHealthChecks() {
	hc := p.up.HealthCheck
	if hc == nil {
		return
	}
	for _, t := range p.bal.targets {
		u := *t.url
		ref := &url.URL{Path: hc.Path}
		u.Path, u.RawPath = joinPaths(t.url, ref)
		p.wg.Add(1)
		go p.runHealthChecks(t, u.String())
	}
}

func (p *Proxy) runHealthChecks(t *target, checkURL string) {
	defer p.wg.Done()
	hc := p.up.HealthCheck
	tick := time.NewTicker(hc.Interval.Std())
	defer tick.Stop()
	for {
		p.checkOnce(t, checkURL)
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// checkOnce probes t once and moves it in or out of rotation when a threshold is reached.
func (p *Proxy) checkOnce(t *target, checkURL string) {
	hc := p.up.HealthCheck
	ctx, cancel := context.WithTimeout(p.ctx, hc.Timeout.Std())
	defer cancel()
	ok, reason := false, ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, checkURL, nil)
	if err == nil {
		req.Header.Set("User-Agent", healthCheckUserAgent)
		var resp *http.Response
		resp, err = p.rt.RoundTrip(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			ok = resp.StatusCode >= hc.ExpectStatus[0] && resp.StatusCode <= hc.ExpectStatus[1]
			if !ok {
				reason = "status " + resp.Status
			}
		}
	}
	if p.ctx.Err() != nil {
		return // closing: the result means nothing
	}
	if err != nil {
		reason = err.Error()
	}
	if ok {
		t.fails = 0
		t.passes++
		if !t.healthy.Load() && t.passes >= hc.HealthyThreshold {
			t.healthy.Store(true)
			p.log.Info("upstream target healthy again", "upstream", p.up.Name, "target", t.raw)
		}
		return
	}
	t.passes = 0
	t.fails++
	if t.healthy.Load() && t.fails >= hc.UnhealthyThreshold {
		t.healthy.Store(false)
		p.log.Warn("upstream target unhealthy; taken out of rotation", "upstream", p.up.Name, "target", t.raw,
			"failedChecks", t.fails, "reason", reason)
	}
}

// joinPaths joins base's path and ref's path with exactly one slash between them,
// returning the unescaped and escaped forms like url.URL's Path and RawPath.
func joinPaths(base, ref *url.URL) (path, rawpath string) {
	if base.RawPath == "" && ref.RawPath == "" {
		return singleJoiningSlash(base.Path, ref.Path), ""
	}
	apath, bpath := base.EscapedPath(), ref.EscapedPath()
	aslash, bslash := len(apath) > 0 && apath[len(apath)-1] == '/', len(bpath) > 0 && bpath[0] == '/'
	switch {
	case aslash && bslash:
		return base.Path + ref.Path[1:], apath + bpath[1:]
	case !aslash && !bslash:
		return base.Path + "/" + ref.Path, apath + "/" + bpath
	}
	return base.Path + ref.Path, apath + bpath
}

func singleJoiningSlash(a, b string) string {
	aslash, bslash := len(a) > 0 && a[len(a)-1] == '/', len(b) > 0 && b[0] == '/'
	switch {
	case aslash && bslash:
		return a + b[1:]
	case !aslash && !bslash:
		return a + "/" + b
	}
	return a + b
}
