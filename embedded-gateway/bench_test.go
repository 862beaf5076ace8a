package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/spec"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
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

// BenchmarkServeProxy proxies GET /petstore/pets?limit=5 to a loopback upstream through
// key auth, a (high) rate limit and capture into a discarding sink: the gateway's hot
// path as the gateway benchmark runs it, without a client connection.
func BenchmarkServeProxy(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id":1,"name":"rex"}]`))
	}))
	defer up.Close()
	rec := capture.New(capture.SinkFunc(func(context.Context, []*model.Exchange) error { return nil }), capture.Options{})
	defer rec.Close(context.Background())
	s, _, err := spec.Load(filepath.Join("testdata", "petstore.yaml"), spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	api, err := config.NewAPI("petstore", "", "/petstore", s.Definition, "")
	if err != nil {
		b.Fatal(err)
	}
	api.Mode = model.ModeProxy
	api.Upstream = json.RawMessage(`{"targets":[{"url":"` + up.URL + `"}]}`)
	api.Policies = []model.PolicyConfig{
		{Name: "keyAuth", Settings: json.RawMessage(`{"in":"header","name":"apikey"}`)},
		{Name: "rateLimit", Settings: json.RawMessage(`{"requests":100000000,"window":"1s","by":"consumer"}`)},
	}
	gw := gateway.New(gateway.Options{Recorder: rec})
	defer gw.Close()
	alice := model.Consumer{Name: "alice", APIKeyHashes: []string{secret.Hash("alice-key-0123456789")}}
	if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: []*config.API{api}, Consumers: []model.Consumer{alice}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/petstore/pets?limit=5", nil)
			req.Header.Set("Apikey", "alice-key-0123456789")
			rw := httptest.NewRecorder()
			gw.ServeHTTP(rw, req)
			if rw.Code != 200 {
				b.Fatalf("status %d: %s", rw.Code, rw.Body)
			}
		}
	})
}
