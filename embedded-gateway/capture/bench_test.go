package capture

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
)

// discardWriter is a ResponseWriter that keeps nothing, so benchmarks measure the middleware.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func discardSink() Sink {
	return SinkFunc(func(context.Context, []*model.Exchange) error { return nil })
}

func BenchmarkMiddleware(b *testing.B) {
	body := []byte(`{"items":[` + strings.TrimSuffix(strings.Repeat(`{"id":12345,"name":"a pet name","tag":"dog"},`, 23), ",") + `]}`)
	b.Logf("body %d bytes", len(body))
	rec := New(discardSink(), Options{})
	defer func() {
		rec.Close(context.Background())
		b.ReportMetric(float64(rec.Stats().Dropped), "dropped")
	}()
	h := Middleware(rec, CaptureOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}))
	req := httptest.NewRequest("GET", "/pets?limit=20", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer secret")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discardWriter{h: make(http.Header, 1)}
		h.ServeHTTP(w, req)
	}
}

func BenchmarkRecord(b *testing.B) {
	rec := New(discardSink(), Options{})
	defer rec.Close(context.Background())
	x := &model.Exchange{ID: NewID(), Method: "GET", URL: "/pets", Status: 200}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec.Record(x)
		}
	})
}

func BenchmarkRecordWithSubscriber(b *testing.B) {
	rec := New(discardSink(), Options{})
	defer rec.Close(context.Background())
	ch, cancel := rec.Subscribe(1024)
	defer cancel()
	go func() {
		for range ch {
		}
	}()
	x := &model.Exchange{ID: NewID(), Method: "GET", URL: "/pets", Status: 200}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec.Record(x)
		}
	})
}

func BenchmarkNewID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewID()
	}
}
