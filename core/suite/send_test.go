package suite

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSend(t *testing.T) {
	srv := httptest.NewServer(&petServer{})
	defer srv.Close()
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name       string
		req        Request
		vars       map[string]string
		wantErr    string
		status     int
		passed     bool
		op         string
		violations int
	}{
		{
			name: "a JSON body with variables, checked against the spec",
			req: Request{Name: "login", OperationID: "createPet", Method: "POST", URL: "/login", Body: &Body{JSON: json.RawMessage(`{"user":"{{user}}","password":"s3cret"}`)},
				Assert: []Assertion{{Status: "200"}, {JSONPointer: ptr("/access_token"), Equals: json.RawMessage(`"tok-123"`)}}},
			vars: map[string]string{"user": "ann"}, status: 200, passed: true, op: "createPet", violations: 1,
		},
		{
			name:   "a failed assertion",
			req:    Request{Name: "bad login", OperationID: "createPet", Method: "POST", URL: "{{baseUrl}}/login", Body: &Body{Text: `{"user":"bob"}`}, Assert: []Assertion{{Status: "2xx"}}},
			status: 401, passed: false, op: "createPet", violations: 1,
		},
		{
			name:   "found by method and path",
			req:    Request{Name: "list", URL: "/pets", Query: map[string][]string{"tag": {"cat", "dog"}}},
			status: 200, passed: true, op: "listPets",
		},
		{
			name:    "an unknown variable is refused before sending",
			req:     Request{Name: "x", URL: "/pets", Headers: map[string]string{"Authorization": "Bearer {{token}}"}},
			wantErr: "unknown variable {{token}}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rn := &Runner{BaseURL: srv.URL + "/api", Vars: tt.vars, Definition: petDef(), Validator: &fakeValidator{}}
			x, err := rn.Send(context.Background(), &tt.req)
			if tt.wantErr != "" {
				var ps Problems
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ps) {
					t.Fatalf("err = %v, want Problems with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			passed := true
			for _, a := range x.Assertions {
				passed = passed && a.Passed
			}
			if x.Status != tt.status || passed != tt.passed || len(x.Violations) != tt.violations {
				t.Fatalf("status %d passed %v violations %v: %+v", x.Status, passed, x.Violations, x.Assertions)
			}
			if x.Operation == nil || x.Operation.ID != tt.op {
				t.Fatalf("operation %+v, want %s", x.Operation, tt.op)
			}
			if len(x.Body) == 0 || x.Header.Get("Content-Type") != "application/json" || x.Duration <= 0 {
				t.Fatalf("answer %+v", x)
			}
			if tt.req.Body != nil && len(x.RequestBody) == 0 {
				t.Fatal("the request body is not kept")
			}
		})
	}
}
