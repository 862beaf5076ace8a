package sqlite

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

func TestDetailRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		x    model.Exchange
	}{
		{"empty", model.Exchange{}},
		{"full", model.Exchange{
			Duration: 1234567 * time.Nanosecond, Operation: "listPets", Mode: "proxy", ClientAddr: "[::1]:5000",
			Host: "localhost:8080", Proto: "HTTP/2.0", Scheme: "https",
			RequestHeaders: http.Header{"Accept": {"*/*"}, "X-Multi": {"a", "", "c"}, "X-Empty": {}},
			RequestBody:    []byte("binary\x00\xff body"), RequestSize: 1 << 40,
			ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
			ResponseBody:    []byte(`{"ok":true}`), ResponseSize: 11,
			Violations: []model.Violation{{In: "query", Name: "limit", Message: "must be <= 100"}},
			Warnings:   []string{"example \"bad\" did not match"},
		}},
		{"empty but present bodies", model.Exchange{RequestBody: []byte{}, ResponseBody: []byte{}}},
		{"negative duration and sizes", model.Exchange{Duration: -5, RequestSize: -1, ResponseSize: -1}},
		{"unicode", model.Exchange{Operation: "opé ✓", RequestHeaders: http.Header{"X-Ü": {"日本"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := appendDetail(nil, &tc.x)
			if err != nil {
				t.Fatal(err)
			}
			var got model.Exchange
			if err := decodeDetail(b, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.x) {
				t.Errorf("round trip:\n got  %#v\n want %#v", got, tc.x)
			}
		})
	}
}

func TestDetailRejectsCorruptBlobs(t *testing.T) {
	good, err := appendDetail(nil, &model.Exchange{Operation: "op", RequestHeaders: http.Header{"A": {"b"}}, RequestBody: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-3]},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
		{"huge header count", []byte{detailVersion, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"huge string", []byte{detailVersion, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var x model.Exchange
			if err := decodeDetail(tc.b, &x); !errors.Is(err, errCorrupt) {
				t.Fatalf("decodeDetail = %v, want errCorrupt", err)
			}
		})
	}
}

// FuzzDecodeDetail feeds arbitrary blobs (a damaged database file) to the decoder: it must
// fail cleanly, never panic or allocate without bound, and what it accepts must re-encode
// to the same bytes.
func FuzzDecodeDetail(f *testing.F) {
	for _, x := range []model.Exchange{
		{},
		{Operation: "op", RequestHeaders: http.Header{"A": {"b", "c"}}, RequestBody: []byte("x"), Warnings: []string{"w"}},
	} {
		b, err := appendDetail(nil, &x)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var x model.Exchange
		if err := decodeDetail(b, &x); err != nil {
			return
		}
		again, err := appendDetail(nil, &x)
		if err != nil {
			t.Fatal(err)
		}
		var y model.Exchange
		if err := decodeDetail(again, &y); err != nil || !reflect.DeepEqual(x, y) {
			t.Fatalf("re-encoded detail does not decode to the same exchange: %v", err)
		}
	})
}

// TestMigrationConvertsSchema1Exchanges opens a workspace written with schema 1 (20
// exchange columns) and checks that every captured exchange survives the conversion.
func TestMigrationConvertsSchema1Exchanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workspace.db")
	all := migrations
	migrations = all[:1]
	s, err := Open(path, Options{})
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	const n = 2500 // more than one conversion page
	want := make([]*model.Exchange, n)
	for i := range want {
		x := &model.Exchange{
			ID: fmt.Sprintf("01JXV1%08d", i), StartedAt: base.Add(time.Duration(i) * time.Millisecond),
			Duration: time.Duration(i) * time.Microsecond, API: "petstore", Operation: "listPets", Mode: "mock",
			ClientAddr: "127.0.0.1:1", Method: "GET", URL: fmt.Sprintf("/pets?page=%d", i), Host: "h", Proto: "HTTP/1.1",
			Status: 200 + i%3, RequestSize: int64(i), ResponseSize: int64(2 * i),
		}
		if i%2 == 0 {
			x.RequestHeaders = http.Header{"Accept": {"application/json"}}
			x.ResponseHeaders = http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}}
			x.ResponseBody = []byte(fmt.Sprintf(`[{"id":%d}]`, i))
		}
		if i%7 == 0 {
			x.Violations = []model.Violation{{In: "query", Name: "limit", Message: "too big"}}
			x.Warnings = []string{"bad example"}
		}
		want[i] = x
		jsonOrNull := func(present bool, v any) any {
			if !present {
				return nil
			}
			b, _ := json.Marshal(v)
			return string(b)
		}
		if _, err := s.w.Exec(`INSERT INTO exchanges (id, started_at, duration, api, operation, mode, client_addr, method,
			url, host, proto, request_headers, request_body, request_size, status, response_headers, response_body,
			response_size, violations, warnings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			x.ID, toMicros(x.StartedAt), int64(x.Duration), x.API, x.Operation, x.Mode, x.ClientAddr, x.Method,
			x.URL, x.Host, x.Proto, jsonOrNull(len(x.RequestHeaders) > 0, x.RequestHeaders), x.RequestBody, x.RequestSize,
			x.Status, jsonOrNull(len(x.ResponseHeaders) > 0, x.ResponseHeaders), x.ResponseBody, x.ResponseSize,
			jsonOrNull(len(x.Violations) > 0, x.Violations), jsonOrNull(len(x.Warnings) > 0, x.Warnings)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ListExchanges(t.Context(), store.TrafficFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d exchanges after the migration, want %d", len(got), n)
	}
	for i, g := range got {
		w := want[n-1-i] // newest first
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("exchange %s changed in the migration:\n got  %#v\n want %#v", w.ID, g, w)
		}
	}
	var left int
	if err := s.r.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'exchanges_v1'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("old table still there (%d, %v)", left, err)
	}
}
