package contract

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/embedded-gateway/mock"
)

func TestExample(t *testing.T) {
	def := loadDef(t, filepath.Join("testdata", "secure.yaml"))
	b := New(def, mock.NewGenerator(def, apidef.NewChecker(def)))
	chk := apidef.NewChecker(def)
	byID := map[string]*apidef.Operation{}
	for _, op := range def.Operations {
		byID[op.ID] = op
	}
	tests := []struct {
		op          string
		params      []string // "in name"
		credentials []string // "in name"
		body        bool
	}{
		{op: "listOrders", params: []string{"query limit"}, credentials: []string{"header X-Api-Key"}},
		{op: "createOrder", credentials: []string{"header Authorization"}, body: true},
		{op: "getOrder", params: []string{"path id"}},
		{op: "health"},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			op := byID[tt.op]
			ex, err := b.Example(op, 7)
			if err != nil {
				t.Fatal(err)
			}
			var params, creds []string
			for _, p := range ex.Parameters {
				params = append(params, p.In+" "+p.Name)
				if len(p.Values) == 0 || !p.Required {
					t.Errorf("parameter %+v: want a value and required", p)
				}
			}
			for _, p := range ex.Credentials {
				creds = append(creds, p.In+" "+p.Name)
			}
			if strings.Join(params, ",") != strings.Join(tt.params, ",") || strings.Join(creds, ",") != strings.Join(tt.credentials, ",") {
				t.Fatalf("parameters %v credentials %v, want %v %v", params, creds, tt.params, tt.credentials)
			}
			if (ex.Body != nil) != tt.body {
				t.Fatalf("body %q", ex.Body)
			}
			if tt.body {
				if ex.ContentType != "application/json" {
					t.Errorf("content type %q", ex.ContentType)
				}
				if err := chk.Validate(op.RequestBody.Content[0].Schema, ex.Body); err != nil {
					t.Errorf("the example body is invalid: %v (%s)", err, ex.Body)
				}
			}
			// The values are those of the valid request.
			req, err := b.Valid(op, "http://x", 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ex.Parameters {
				switch p.In {
				case "query":
					if got := req.URL.Query().Get(p.Name); got != p.Values[0] {
						t.Errorf("query %s = %q, the valid request has %q", p.Name, p.Values[0], got)
					}
				case "path":
					if !strings.Contains(req.URL.Path, p.Values[0]) {
						t.Errorf("path %s = %q, not in %s", p.Name, p.Values[0], req.URL.Path)
					}
				}
			}
			if _, err := json.Marshal(ex); err != nil {
				t.Fatal(err)
			}
		})
	}
}
