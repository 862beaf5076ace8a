package capture_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/internal/proccpu"
)

// benchWriter is a ResponseWriter that keeps only the status, with a fresh header map per
// response as net/http has.
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkServeMockRecording serves GET /v1/pets?limit=5 from the petstore mock, as the
// load benchmark does, with recording off, into a sink that discards, and into a SQLite
// workspace. The recorder is closed (everything written) inside the measurement, and
// cpu-ns/op counts the CPU time of the whole process, the recorder's writer goroutine and
// the store's checkpoints included, which ns/op (wall time) does not when they run on
// other cores.
func BenchmarkServeMockRecording(b *testing.B) {
	s, _, err := spec.Load(filepath.Join("..", "testdata", "petstore.yaml"), spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"off", "discard", "sqlite"} {
		b.Run(mode, func(b *testing.B) {
			api, err := config.NewAPI("petstore", "", "", s.Definition, "")
			if err != nil {
				b.Fatal(err)
			}
			var rec *capture.Recorder
			switch mode {
			case "discard":
				rec = capture.New(capture.SinkFunc(func(context.Context, []*model.Exchange) error { return nil }), capture.Options{})
			case "sqlite":
				st, err := sqlite.Open(filepath.Join(b.TempDir(), "workspace.db"), sqlite.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				rec = capture.New(st, capture.Options{})
			}
			gw := gateway.New(gateway.Options{Recorder: rec})
			if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: []*config.API{api}}); err != nil {
				b.Fatal(err)
			}
			req, err := http.NewRequest("GET", "http://127.0.0.1:4010/v1/pets?limit=5", nil)
			if err != nil {
				b.Fatal(err)
			}
			req.RequestURI, req.RemoteAddr = "/v1/pets?limit=5", "127.0.0.1:50000"
			req.Header.Set("User-Agent", "wrk")
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, cpuOK := proccpu.Used()
			for i := 0; i < b.N; i++ {
				w := &benchWriter{h: make(http.Header)}
				gw.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
				if rec != nil && i%1024 == 1023 {
					waitQueue(rec, capture.DefaultQueueSize/2)
				}
			}
			if rec != nil {
				if err := rec.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				if st := rec.Stats(); st.Dropped > 0 || st.Failed > 0 {
					b.Fatalf("recorder stats %+v", st)
				}
			}
			b.StopTimer()
			if cpu1, ok := proccpu.Used(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// waitQueue waits until at most n exchanges wait for rec's writer, so that a benchmark
// serving faster than a sink writes does not make the recorder drop.
func waitQueue(rec *capture.Recorder, n uint64) {
	for {
		s := rec.Stats()
		if s.Recorded-s.Written-s.Dropped-s.Failed <= n {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}
