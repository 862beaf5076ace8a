package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
)

func benchGateway(b *testing.B, opts gateway.Options) *gateway.Gateway {
	b.Helper()
	s, _, err := spec.Load(filepath.Join("testdata", "petstore.yaml"), spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	api, err := config.NewAPI("petstore", "", "", s.Definition, "")
	if err != nil {
		b.Fatal(err)
	}
	gw := gateway.New(opts)
	if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: []*config.API{api}}); err != nil {
		b.Fatal(err)
	}
	return gw
}

func runServe(b *testing.B, h http.Handler, target string) {
	req := httptest.NewRequest("GET", target, nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkServeStatic is the baseline: a handler returning a fixed body.
func BenchmarkServeStatic(b *testing.B) {
	body := []byte(`[{"id":0,"name":"string","tag":"string"}]`)
	runServe(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}), "/v1/pets")
}

// BenchmarkServeMock serves GET /v1/pets?limit=5 from the petstore mock with validation on
// and no capture.
func BenchmarkServeMock(b *testing.B) {
	runServe(b, benchGateway(b, gateway.Options{}), "/v1/pets?limit=5")
}

// BenchmarkServeMockRecorded is BenchmarkServeMock with every exchange captured into a
// discarding sink.
func BenchmarkServeMockRecorded(b *testing.B) {
	rec := capture.New(capture.SinkFunc(func(context.Context, []*model.Exchange) error { return nil }), capture.Options{})
	defer rec.Close(context.Background())
	runServe(b, benchGateway(b, gateway.Options{Recorder: rec}), "/v1/pets?limit=5")
}
