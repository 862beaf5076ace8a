package problem

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		problem  *Details
		wantBody bool
		wantKeys []string
	}{
		{"basic", http.MethodGet, New(404, "not-found", "no route for /x"), true, []string{"type", "title", "status", "detail", "instance"}},
		{"violations", http.MethodPost, &Details{Status: 400, Errors: []Violation{{In: "query", Name: "limit", Detail: "required"}}}, true, []string{"type", "errors"}},
		{"extra members", http.MethodGet, &Details{Status: 409, Extra: map[string]any{"currentRevision": 7}}, true, []string{"currentRevision", "status"}},
		{"head has no body", http.MethodHead, New(405, "method-not-allowed", "x"), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, httptest.NewRequest(tt.method, "/pets/1", nil), tt.problem)
			if rec.Code != tt.problem.Status {
				t.Fatalf("status %d, want %d", rec.Code, tt.problem.Status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != ContentType {
				t.Fatalf("content type %q", ct)
			}
			if !tt.wantBody {
				if rec.Body.Len() != 0 {
					t.Fatalf("HEAD got a body: %s", rec.Body)
				}
				return
			}
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			for _, k := range tt.wantKeys {
				if _, ok := m[k]; !ok {
					t.Errorf("missing member %q in %s", k, rec.Body)
				}
			}
			if m["instance"] != "/pets/1" {
				t.Errorf("instance = %v", m["instance"])
			}
			if m["type"] == "" {
				t.Errorf("empty type")
			}
		})
	}
}
