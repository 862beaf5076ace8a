package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"syscall"
	"testing"
	"time"
)

// BenchmarkProxy proxies a small GET through Proxy and through a stock
// httputil.ReverseProxy to the same upstream, in one run: one request at a time, and
// 16 at once reporting the process's CPU time per request (upstream included, so
// compare the two, not the absolute figure).
func BenchmarkProxy(b *testing.B) {
	up := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":7,"name":"rex"}`)
	}))
	target, _ := url.Parse(up.URL)
	gantry := newProxy(b, Upstream{Name: "bench", Targets: []Target{{URL: up.URL}}}, Options{})
	stock := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true},
	}
	serve := func(b *testing.B, h http.Handler) {
		req := httptest.NewRequest(http.MethodGet, "/pets/7", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Errorf("status %d: %s", rec.Code, rec.Body)
		}
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{name: "gantry", h: gantry},
		{name: "httputil", h: stock},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				serve(b, bc.h)
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			before := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b, bc.h)
				}
			})
			b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
