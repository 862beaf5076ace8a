package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/har"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func gantry(t *testing.T, db string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append(args, "--db", db), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIWorkflow(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ws.db")
	spec := filepath.Join("testdata", "petstore.yaml")

	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{"version", []string{"version"}, 0, []string{"gantry "}, nil},
		{"empty list", []string{"apis", "list"}, 0, nil, []string{"no APIs yet"}},
		{"import", []string{"import", spec}, 0, []string{"imported swagger-petstore", "3 ops"}, nil},
		{"import again is unchanged", []string{"import", spec}, 0, []string{"unchanged: swagger-petstore"}, nil},
		{"import under another name", []string{"import", spec, "--name", "pets"}, 0, []string{"imported pets"}, nil},
		{"list", []string{"apis", "list"}, 0, []string{"swagger-petstore", "1.0.0", "3 ops", "pets"}, nil},
		{"bad name", []string{"import", spec, "--name", "Bad Name"}, 1, nil, []string{"API name"}},
		{"broken spec names file and line", []string{"import", filepath.Join("testdata", "broken.bad.yaml")}, 1, nil, []string{"broken.bad.yaml:"}},
		{"missing file", []string{"import", "testdata/none.yaml"}, 1, nil, []string{"none.yaml"}},
		{"export", []string{"apis", "export", "pets"}, 0, []string{"openapi:", "/pets/{petId}"}, nil},
		{"export by unique prefix", []string{"apis", "export", "swagger"}, 0, []string{"openapi:"}, nil},
		{"export unknown", []string{"apis", "export", "nope"}, 1, nil, []string{"nope"}},
		{"traffic list empty json", []string{"traffic", "list", "--json"}, 0, []string{"[]"}, nil},
		{"bad status filter", []string{"traffic", "list", "--status", "9xx"}, 1, nil, []string{"--status"}},
		{"mock unknown API", []string{"mock", "nope"}, 1, nil, []string{"not a spec file", "not an API in the workspace"}},
		{"bad log level", []string{"apis", "list", "--log-level", "loud"}, 1, nil, []string{"--log-level"}},
		{"remove", []string{"apis", "remove", "pets"}, 0, []string{"removed pets"}, nil},
		{"remove again", []string{"apis", "remove", "pets"}, 1, nil, []string{"not found"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, st.args...)
			if code != st.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, st.wantCode, out, errOut)
			}
			for _, w := range st.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range st.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

var urlRe = regexp.MustCompile(`at (http://[^ ]+?)/\n`)

// TestMockRecordsAndExports runs `gantry mock` on a workspace API, sends requests, stops it
// the way Ctrl-C does, and checks the recorded traffic through `traffic list` and the HAR export.
func TestMockRecordsAndExports(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	if code, _, errOut := gantry(t, db, "import", filepath.Join("testdata", "petstore.yaml"), "--name", "pets"); code != 0 {
		t.Fatal(errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mock", "pets", "--listen", "127.0.0.1:0", "--db", db, "--log-level", "error"}, &out, &errb)
	}()
	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		if m := urlRe.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("mock did not start: %s %s", out.String(), errb.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	targets := []struct {
		path string
		want int
	}{{"/pets", 200}, {"/pets?limit=abc", 400}, {"/pets/7", 200}, {"/nowhere", 404}}
	for _, tg := range targets {
		resp, err := http.Get(base + tg.path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tg.want {
			t.Errorf("GET %s = %d, want %d", tg.path, resp.StatusCode, tg.want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("mock exited %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("mock did not stop")
	}
	if !strings.Contains(errb.String(), "recorded 4 exchanges (4 written, 0 dropped") {
		t.Errorf("shutdown summary: %s", errb.String())
	}

	code, listed, errOut := gantry(t, db, "traffic", "list", "--json")
	if code != 0 {
		t.Fatal(errOut)
	}
	var xs []map[string]any
	if err := json.Unmarshal([]byte(listed), &xs); err != nil {
		t.Fatalf("traffic list --json is not a JSON array: %v\n%s", err, listed)
	}
	if len(xs) != 4 {
		t.Fatalf("listed %d exchanges, want 4", len(xs))
	}
	if code, text, _ := gantry(t, db, "traffic", "list", "--status", "4xx"); code != 0 || strings.Count(text, "\n") != 3 {
		t.Errorf("4xx filter: %s", text)
	}

	harPath := filepath.Join(dir, "out.har")
	if code, _, errOut := gantry(t, db, "traffic", "export", "--har", harPath); code != 0 {
		t.Fatal(errOut)
	}
	f, err := os.Open(harPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := har.Parse(f)
	if err != nil {
		t.Fatalf("exported HAR does not parse: %v", err)
	}
	if h.Log.Version != "1.2" || len(h.Log.Entries) != 4 {
		t.Fatalf("HAR version %q with %d entries", h.Log.Version, len(h.Log.Entries))
	}
	if first := h.Log.Entries[0]; !strings.HasSuffix(first.Request.URL, "/v1/pets") || first.Response.Status != 200 {
		t.Errorf("first entry: %s %d (want chronological order)", first.Request.URL, first.Response.Status)
	}
}
