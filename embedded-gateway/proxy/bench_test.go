package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
)

// BenchmarkProxy proxies a small GET through Proxy and through a stock
// httputil.ReverseProxy to the same upstream, in one run.
func BenchmarkProxy(b *testing.B) {
	up := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":7,"name":"rex"}`)
	}))
	target, _ := url.Parse(up.URL)
	gantry := newProxy(b, Upstream{Name: "bench", Targets: []Target{{URL: up.URL}}}, Options{})
	stock := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.SetXForwarded()
	}}
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
				req := httptest.NewRequest(http.MethodGet, "/pets/7", nil)
				rec := httptest.NewRecorder()
				bc.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
