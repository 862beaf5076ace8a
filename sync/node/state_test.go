package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/sync/protocol"
)

const tinySpec = `openapi: 3.0.3
info: {title: Pets, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {type: string}}
              example: [rex]
`

func tinyState() *State {
	return &State{Catalog: "dev", Sequence: 3, Snapshot: &protocol.Snapshot{Catalog: "dev", APIs: []protocol.APIState{{
		Name: "pets", Revision: 2, Hash: "h1", State: "published",
		Bundle: &protocol.Bundle{Root: "openapi.yaml", Files: []protocol.File{{Path: "openapi.yaml", Content: tinySpec}}},
	}}}}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadState(dir); !errors.Is(err, ErrNoState) {
		t.Fatalf("empty folder: %v, want ErrNoState", err)
	}
	if err := SaveState(dir, tinyState()); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Catalog != "dev" || st.Sequence != 3 || len(st.Snapshot.APIs) != 1 || st.Snapshot.APIs[0].Bundle.Files[0].Content != tinySpec {
		t.Errorf("loaded %+v", st)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want only %s", len(entries), stateFile)
	}
}

func TestStateDamage(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(string) string
		wantErr string
	}{
		{"content changed", func(s string) string { return strings.Replace(s, "rex", "rax", 1) }, "checksum"},
		{"truncated", func(s string) string { return s[:len(s)/2] }, "decoding"},
		{"other format", func(s string) string { return strings.Replace(s, stateFormat, "x/9", 1) }, "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := SaveState(dir, tinyState()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, stateFile)
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, []byte(tt.damage(string(b))), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadState(dir); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestApplyFrame(t *testing.T) {
	base := tinyState().Snapshot
	bundle := base.APIs[0].Bundle
	tests := []struct {
		name    string
		cur     *protocol.Snapshot
		frame   protocol.Frame
		want    func(*protocol.Snapshot) bool
		wantErr bool
	}{
		{"revision of a known API", base, protocol.Frame{Type: protocol.FrameRevision, Sequence: 4, API: &protocol.APIState{Name: "pets", Revision: 3, State: "published", Bundle: bundle}},
			func(s *protocol.Snapshot) bool { return len(s.APIs) == 1 && s.APIs[0].Revision == 3 }, false},
		{"a new API is sorted in", base, protocol.Frame{Type: protocol.FrameRevision, Sequence: 4, API: &protocol.APIState{Name: "a", Revision: 1, State: "published", Bundle: bundle}},
			func(s *protocol.Snapshot) bool { return len(s.APIs) == 2 && s.APIs[0].Name == "a" }, false},
		{"lifecycle keeps the bundle", base, protocol.Frame{Type: protocol.FrameLifecycle, Sequence: 4, API: &protocol.APIState{Name: "pets", Revision: 2, State: "retired"}},
			func(s *protocol.Snapshot) bool { return s.APIs[0].State == "retired" && s.APIs[0].Bundle != nil }, false},
		{"lifecycle of an unknown API", base, protocol.Frame{Type: protocol.FrameLifecycle, Sequence: 4, API: &protocol.APIState{Name: "x", State: "retired"}}, nil, true},
		{"a delta before any snapshot", nil, protocol.Frame{Type: protocol.FrameConsumers, Sequence: 4}, nil, true},
		{"consumers", base, protocol.Frame{Type: protocol.FrameConsumers, Sequence: 4}, func(s *protocol.Snapshot) bool { return s.Consumers == nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := applyFrame(tt.cur, &tt.frame)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !tt.want(got) {
				t.Errorf("got %+v", got)
			}
			if tt.cur != nil && (tt.cur.APIs[0].Revision != 2 || tt.cur.APIs[0].State != "published") {
				t.Error("the current state was modified")
			}
		})
	}
}

func TestCompileModes(t *testing.T) {
	st := tinyState().Snapshot
	withUpstream := *st
	withUpstream.APIs = []protocol.APIState{st.APIs[0]}
	b := *st.APIs[0].Bundle
	b.Settings.Upstream = []byte(`{"url":"http://127.0.0.1:1"}`)
	withUpstream.APIs[0].Bundle = &b
	broken := *st
	broken.APIs = []protocol.APIState{st.APIs[0]}
	bb := *st.APIs[0].Bundle
	bb.Files = []protocol.File{{Path: "openapi.yaml", Content: "openapi: 3.0.3\npaths: ["}}
	broken.APIs[0].Bundle, broken.APIs[0].Hash = &bb, "h2"
	tests := []struct {
		name     string
		snap     *protocol.Snapshot
		wantMode string
		wantErr  bool
	}{
		{"no upstream: mocked", st, "mock", false},
		{"an upstream: proxied", &withUpstream, "proxy", false},
		{"a broken spec", &broken, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c compiler
			got, err := c.compile("dev", 3, tt.snap)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && (got.APIs[0].Mode != tt.wantMode || got.Revision != 3) {
				t.Errorf("mode %q revision %d", got.APIs[0].Mode, got.Revision)
			}
		})
	}
}

func FuzzDecodeState(f *testing.F) {
	dir := f.TempDir()
	if err := SaveState(dir, tinyState()); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, stateFile))
	f.Add(good)
	f.Add([]byte(`{"format":"gantry-node-state/1"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeState(b)
		if err == nil && (st.Snapshot == nil || st.Catalog == "") {
			t.Fatalf("accepted an incomplete state: %+v", st)
		}
	})
}
