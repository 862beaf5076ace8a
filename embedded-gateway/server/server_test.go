package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/spec"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
)

const petstore = `openapi: 3.0.3
info: {title: Pets, version: "1"}
servers: [{url: /v1}]
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              example: [{"id": 1}]
`

func snapshot(t *testing.T, rev uint64, basePath string) *config.Snapshot {
	t.Helper()
	s, _, err := spec.Parse("pets.yaml", []byte(petstore))
	if err != nil {
		t.Fatal(err)
	}
	a, err := config.NewAPI("pets", "test", basePath, s.Definition, s.Hash)
	if err != nil {
		t.Fatal(err)
	}
	return &config.Snapshot{Revision: rev, APIs: []*config.API{a}}
}

// chanSource sends what the test puts on its channel.
type chanSource chan *config.Snapshot

func (c chanSource) Run(ctx context.Context, out chan<- *config.Snapshot) error {
	for {
		select {
		case s := <-c:
			select {
			case out <- s:
			case <-ctx.Done():
				return ctx.Err()
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func TestRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	src := make(chanSource, 1)
	src <- snapshot(t, 1, "")
	ready := make(chan string, 1)
	var mu sync.Mutex
	var applied []error
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			Gateway:  gateway.New(gateway.Options{}),
			Source:   src,
			Listener: ln,
			Ready:    func(_ *config.Snapshot, base string) { ready <- base },
			OnApply: func(_ *config.Snapshot, err error) {
				mu.Lock()
				applied = append(applied, err)
				mu.Unlock()
			},
		})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/v1/pets"); code != 200 {
		t.Fatalf("GET /v1/pets: %d", code)
	}
	// A new snapshot moves the API; the change is live once applied.
	src <- snapshot(t, 2, "/v2")
	deadline := time.Now().Add(5 * time.Second)
	for get("/v2/pets") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("the second snapshot was not applied")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not stop")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(applied) != 2 || applied[0] != nil || applied[1] != nil {
		t.Errorf("applies: %v", applied)
	}
	if _, err := http.Get(base + "/v2/pets"); err == nil {
		t.Error("still serving after Run returned")
	}
}

func TestRunSourceFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("spec is unusable")
	err = Run(context.Background(), Options{
		Gateway:  gateway.New(gateway.Options{}),
		Source:   config.SourceFunc(func(context.Context, chan<- *config.Snapshot) error { return boom }),
		Listener: ln,
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the source's error", err)
	}
}
