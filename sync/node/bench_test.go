package node

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedsqlite"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// BenchmarkPublishToVisible publishes b.N revisions through the management API and times
// each until all of 3 gateway nodes answer with it; it reports p50 and p99 (run with
// -benchtime=100x for the figure over 100 publishes).
func BenchmarkPublishToVisible(b *testing.B) {
	cp := newControlPlane(b, sqliteOpener(filepath.Join(b.TempDir(), "server.db")))
	cp.publish(b, "pets", 1, protocol.Settings{})
	var nodes []*gatewayNode
	for i := range 3 {
		n := startNode(b, cp.URL(), fmt.Sprintf("node-%d", i), b.TempDir())
		n.waitRevision(b, "/version", 1, 10*time.Second)
		nodes = append(nodes, n)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		rev := i + 2
		start := time.Now()
		cp.publish(b, "pets", rev, protocol.Settings{})
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Go(func() { n.waitRevision(b, "/version", rev, 10*time.Second) })
		}
		wg.Wait()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// BenchmarkFeedFanOut holds N node streams on one server (simulated nodes in this process,
// over loopback) and times one revision's fan-out: from the publish until every stream
// has decoded its frame. It reports the heap per stream (server and client side together)
// and the fan-out time; compare streams=1000 with the streams=1 baseline of the same run.
func BenchmarkFeedFanOut(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) { benchFanOut(b, n) })
	}
}

func benchFanOut(b *testing.B, n int) {
	cp := newControlPlane(b, sqliteOpener(filepath.Join(b.TempDir(), "server.db")))
	cp.publish(b, "pets", 1, protocol.Settings{})
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	cli, err := client.New(cp.URL(), nodeToken, client.Options{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	feeds := make([]*client.Feed, n)
	for i := range feeds {
		f, err := cli.OpenFeed(ctx, "dev", 0, "", nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Next(); err != nil { // the snapshot
			b.Fatal(err)
		}
		feeds[i] = f
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perStream := float64(after.HeapInuse-before.HeapInuse) / float64(n) / 1024
	goroutines := float64(runtime.NumGoroutine()) / float64(n)

	frames := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, f := range feeds {
		wg.Go(func() {
			for {
				fr, err := f.Next()
				if err != nil {
					return
				}
				if fr.Type == protocol.FrameRevision {
					frames <- struct{}{}
				}
			}
		})
	}
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		cp.publish(b, "pets", i+2, protocol.Settings{})
		for range n {
			<-frames
		}
		total += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "fanout-ms")
	b.ReportMetric(perStream, "KiB/stream") // after ResetTimer, which clears reported metrics
	b.ReportMetric(goroutines, "goroutines/stream")
	cancel()
	for _, f := range feeds {
		f.Close()
	}
	wg.Wait()
}

// BenchmarkCatalogSnapshot measures a catalog of N APIs, each the petstore-expanded spec
// with its own title (so no two share a compiled definition) and base path. "build" is the
// server's side of a node connecting: read the catalog's state in one transaction and
// encode the snapshot frame. "apply" is a node's first snapshot: decode the frame, compile
// every API, apply the result to a gateway and save it to the state folder. It reports
// the frame's size and the heap the applied gateway holds; compare apis=1000 with the
// apis=1 baseline of the same run.
func BenchmarkCatalogSnapshot(b *testing.B) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "petstore-expanded.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 1000} {
		st, err := hostedsqlite.Open(filepath.Join(b.TempDir(), "server.db"), hostedsqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if _, err := st.CreateCatalog(ctx, store.CreateCatalogInput{Name: "dev"}); err != nil {
			b.Fatal(err)
		}
		for i := range n {
			text := strings.Replace(string(doc), "title: Swagger Petstore", fmt.Sprintf("title: Petstore %d", i), 1)
			bundle := &store.Bundle{Root: "openapi.yaml", Files: []model.SpecFile{{Path: "openapi.yaml", Content: []byte(text)}},
				Settings: store.APISettings{BasePath: fmt.Sprintf("/api-%d", i)}}
			if _, _, err := st.Publish(ctx, store.PublishInput{Catalog: "dev", API: fmt.Sprintf("api-%d", i), Bundle: bundle, Actor: store.Actor{Name: "bench"}}); err != nil {
				b.Fatal(err)
			}
		}
		var frame bytes.Buffer
		b.Run(fmt.Sprintf("build/apis=%d", n), func(b *testing.B) {
			for range b.N {
				frame.Reset()
				cs, err := st.CatalogState(ctx, "dev")
				if err != nil {
					b.Fatal(err)
				}
				if err := protocol.WriteFrame(&frame, protocol.SnapshotFrame(cs)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(frame.Len())/1024, "frame-KiB")
		})
		b.Run(fmt.Sprintf("apply/apis=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			var retained float64 // heap held by the applied gateway, from the last iteration
			for i := range b.N {
				var before runtime.MemStats
				last := i == b.N-1
				if last {
					runtime.GC()
					runtime.ReadMemStats(&before)
				}
				g := applySnapshot(b, frame.Bytes(), dir)
				if last {
					b.StopTimer()
					runtime.GC()
					var after runtime.MemStats
					runtime.ReadMemStats(&after)
					retained = float64(after.HeapInuse-before.HeapInuse) / (1 << 20)
					b.StartTimer()
				}
				g.Close()
			}
			b.ReportMetric(retained, "gateway-heap-MiB")
		})
		st.Close()
	}
}

// applySnapshot does what a node does with its first snapshot frame: decode it, compile
// every API, apply the result to a new gateway and save the state to dir.
func applySnapshot(b *testing.B, frame []byte, dir string) *gateway.Gateway {
	f, err := protocol.NewFrameReader(bytes.NewReader(frame)).Next()
	if err != nil {
		b.Fatal(err)
	}
	var c compiler
	snap, err := c.compile("dev", f.Sequence, f.Snapshot)
	if err != nil {
		b.Fatal(err)
	}
	g := gateway.New(gateway.Options{})
	if err := g.Apply(snap); err != nil {
		b.Fatal(err)
	}
	if err := SaveState(dir, &State{Catalog: "dev", Sequence: f.Sequence, Snapshot: f.Snapshot}); err != nil {
		b.Fatal(err)
	}
	return g
}
