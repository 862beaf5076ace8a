package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/suite"
)

// petUpstream is a small server the console's requests go to.
func petUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v2/pets" && r.Method == http.MethodPost:
			if r.Header.Get("Authorization") != "Bearer tok" {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"code":401,"message":"no token"}`)
				return
			}
			var in map[string]any
			_ = json.Unmarshal(body, &in)
			in["id"] = 7
			out, _ := json.Marshal(in)
			_, _ = w.Write(out)
		case r.URL.Path == "/v2/pets":
			// Breaks the spec: a pet needs a name.
			_, _ = io.WriteString(w, `[{"id":1,"tag":"`+r.URL.Query().Get("tags")+`"}]`)
		default:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"oops":true}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestConsoleOperation(t *testing.T) {
	a, _ := newApp(t, nil)
	if _, err := a.Workspace.Create("pets", "petstore"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		op      string
		params  []string // "in name"
		body    bool
		wantErr bool
	}{
		{name: "query parameters", op: "findPets", params: []string{"query tags", "query limit"}},
		{name: "a body", op: "addPet", body: true},
		{name: "a path parameter, by method and path", op: "DELETE /pets/{id}", params: []string{"path id"}},
		{name: "an unknown operation", op: "nope", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := a.Console.Operation("pets", tt.op)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range f.Parameters {
				got = append(got, p.In+" "+p.Name)
				if len(p.Values) == 0 || string(p.Schema) == "null" {
					t.Errorf("parameter %+v has no value or schema", p)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.params, ",") {
				t.Errorf("parameters %v, want %v", got, tt.params)
			}
			if (f.Body != nil) != tt.body {
				t.Fatalf("body %+v", f.Body)
			}
			if tt.body {
				var v map[string]any
				if err := json.Unmarshal([]byte(f.Body.Example), &v); err != nil || v["name"] == nil {
					t.Errorf("example body %q: %v", f.Body.Example, err)
				}
				if f.Body.ContentType != "application/json" || !strings.Contains(string(f.Body.Schema), `"name"`) {
					t.Errorf("body %+v", f.Body)
				}
			}
			if f.BaseURL != "" {
				t.Errorf("base URL %q without a gateway", f.BaseURL)
			}
		})
	}
}

func TestConsoleEnvironments(t *testing.T) {
	a, _ := newApp(t, nil)
	c := a.Console
	tests := []struct {
		name    string
		env     Environment
		wantErr bool
	}{
		{name: "create", env: Environment{Name: "local", Variables: map[string]string{"baseUrl": "http://127.0.0.1:4010", "token": "t1"}}},
		{name: "replace", env: Environment{Name: "local", Variables: map[string]string{"token": "t2"}}},
		{name: "another", env: Environment{Name: "staging"}},
		{name: "no name", env: Environment{Name: " "}, wantErr: true},
		{name: "bad variable name", env: Environment{Name: "x", Variables: map[string]string{"a b": "1"}}, wantErr: true},
		{name: "variable name no placeholder can name", env: Environment{Name: "x", Variables: map[string]string{"1x": "1"}}, wantErr: true},
		{name: "variable name starting with a dash", env: Environment{Name: "x", Variables: map[string]string{"-x": "1"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.SaveEnvironment(tt.env)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && (got.Name != tt.env.Name || got.Variables == nil || got.UpdatedAt == "") {
				t.Fatalf("saved %+v", got)
			}
		})
	}
	list, err := c.Environments()
	if err != nil || len(list) != 2 || list[0].Name != "local" || list[0].Variables["token"] != "t2" || list[0].Variables["baseUrl"] != "" {
		t.Fatalf("environments %+v %v", list, err)
	}
	if err := c.DeleteEnvironment("staging"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteEnvironment("staging"); err == nil {
		t.Error("deleting a missing environment worked")
	}
	if list, _ := c.Environments(); len(list) != 1 {
		t.Fatalf("after delete: %+v", list)
	}
}

func TestConsoleSend(t *testing.T) {
	a, _ := newApp(t, nil)
	c := a.Console
	if _, err := a.Workspace.Create("pets", "petstore"); err != nil {
		t.Fatal(err)
	}
	up := petUpstream(t)
	if _, err := c.SaveEnvironment(Environment{Name: "dev", Variables: map[string]string{"host": up.URL, "token": "tok"}}); err != nil {
		t.Fatal(err)
	}
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name       string
		req        ConsoleRequest
		target     Target
		wantErr    string
		status     int
		passed     bool
		violations bool
		body       string
	}{
		{
			name: "a body and a token from the environment",
			req: ConsoleRequest{OperationID: "addPet", Method: "POST", URL: "/pets", Body: `{"name":"rex"}`,
				Headers: []Pair{{Name: "Authorization", Value: "Bearer {{token}}"}, {Name: "", Value: "ignored"}},
				Assert:  []suite.Assertion{{Status: "200"}, {JSONPointer: ptr("/name"), Equals: json.RawMessage(`"rex"`)}, {SchemaValid: true}}},
			target: Target{URL: "{{host}}/v2", Environment: "dev"}, status: 200, passed: true, body: "\n  \"name\": \"rex\"",
		},
		{
			name:   "a target URL with spaces inside the braces",
			req:    ConsoleRequest{Method: "GET", URL: "/pets", Query: []Pair{{Name: "tags", Value: "cat"}}},
			target: Target{URL: "{{ host }}/v2", Environment: "dev"}, status: 200, passed: true, violations: true, body: `"tag": "cat"`,
		},
		{
			name:    "a target URL with a variable the environment lacks",
			req:     ConsoleRequest{URL: "/pets"},
			target:  Target{URL: "{{hots}}/v2", Environment: "dev"},
			wantErr: "unknown variable {{hots}} (known: host, token)",
		},
		{
			name:   "an answer that breaks the spec",
			req:    ConsoleRequest{Method: "GET", URL: "/pets", Query: []Pair{{Name: "tags", Value: "cat"}}, Assert: []suite.Assertion{{SchemaValid: true}}},
			target: Target{URL: up.URL + "/v2"}, status: 200, passed: false, violations: true, body: `"tag": "cat"`,
		},
		{
			name:   "a failed assertion",
			req:    ConsoleRequest{OperationID: "addPet", Method: "POST", URL: "/pets", Body: `{"name":"rex"}`},
			target: Target{URL: up.URL + "/v2"}, status: 401, passed: false,
		},
		{
			name:    "an unknown variable",
			req:     ConsoleRequest{URL: "/pets", Headers: []Pair{{Name: "X-Trace", Value: "{{trace}}"}}},
			target:  Target{URL: up.URL + "/v2"},
			wantErr: "unknown variable {{trace}}",
		},
		{
			name:    "the gateway is not running",
			req:     ConsoleRequest{URL: "/pets"},
			wantErr: "the gateway is not running",
		},
		{
			name:    "an unknown environment",
			req:     ConsoleRequest{URL: "/pets"},
			target:  Target{Environment: "prod"},
			wantErr: `no environment called "prod"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Send("pets", tt.req, tt.target)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || res.Passed != tt.passed || (len(res.Violations) > 0) != tt.violations {
				t.Fatalf("result %+v", res)
			}
			if !strings.Contains(res.Body, tt.body) || res.DurationMs <= 0 || len(res.Headers) == 0 {
				t.Fatalf("answer %+v", res)
			}
			if res.Operation == nil {
				t.Errorf("no operation matched %s %s", res.Method, res.URL)
			}
		})
	}
}

func TestConsoleSendThroughGateway(t *testing.T) {
	a, _ := newApp(t, nil)
	if _, err := a.Workspace.Create("orders", "blank"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Gateway.Start("127.0.0.1:0", nil); err != nil {
		t.Fatal(err)
	}
	f, err := a.Console.Operation("orders", "getHealth")
	if err != nil || f.BaseURL == "" {
		t.Fatalf("form %+v %v", f, err)
	}
	res, err := a.Console.Send("orders", ConsoleRequest{OperationID: "getHealth", Method: "GET", URL: "/health?probe=console"}, Target{})
	if err != nil || res.Status != 200 || len(res.Violations) != 0 || !strings.HasPrefix(res.URL, f.BaseURL) {
		t.Fatalf("send: %+v %v", res, err)
	}
	// The exchange is captured for the inspector.
	waitFor(t, func() bool {
		rows, _ := a.Traffic.List(TrafficFilter{Text: "/health"})
		return len(rows) == 1
	})

	// Contract tests against the gateway's mock.
	rep, err := a.Console.RunContract("orders", Target{}, ContractOptions{})
	if err != nil || rep.Summary.Operations != 1 || !rep.Summary.OK() {
		t.Fatalf("contract report %+v %v", rep, err)
	}
}

func TestConsoleContractAgainstURL(t *testing.T) {
	a, _ := newApp(t, nil)
	if _, err := a.Workspace.Create("pets", "petstore"); err != nil {
		t.Fatal(err)
	}
	up := petUpstream(t)
	tests := []struct {
		name   string
		opts   ContractOptions
		failed int
		ops    int
	}{
		{name: "every operation", ops: 4, failed: 4},
		{name: "one operation, valid request only", opts: ContractOptions{Operations: []string{"findPets"}, NoNegatives: true}, ops: 1, failed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := a.Console.RunContract("pets", Target{URL: up.URL + "/v2"}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Summary.Operations != tt.ops || rep.Summary.Failed+rep.Summary.Errors != tt.failed {
				t.Fatalf("summary %+v", rep.Summary)
			}
			for _, op := range rep.Operations {
				if op.Outcome != "passed" && len(op.Checks) == 0 {
					t.Errorf("%s failed without checks", op.ID)
				}
			}
		})
	}
	if _, err := a.Console.RunContract("pets", Target{URL: "not a url"}, ContractOptions{}); err == nil {
		t.Error("a bad target was accepted")
	}
}

func TestConsoleSuites(t *testing.T) {
	up := petUpstream(t)
	specDir := t.TempDir()
	spec := filepath.Join(specDir, "petstore.yaml")
	data, err := os.ReadFile(filepath.Join("..", "core", "workspace", "templates", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		link   bool
		dir    func(a *App) string
		linked bool
	}{
		{name: "kept in the workspace", dir: func(a *App) string {
			info, _ := a.Workspace.Info()
			return filepath.Join(filepath.Dir(info.DBPath), "requests", "pets")
		}},
		{name: "beside the linked spec", link: true, linked: true, dir: func(*App) string { return filepath.Join(specDir, "requests") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newApp(t, nil)
			c := a.Console
			if tt.link {
				if err := a.Workspace.Link("pets", spec); err != nil {
					t.Fatal(err)
				}
			} else if _, err := a.Workspace.Create("pets", "petstore"); err != nil {
				t.Fatal(err)
			}
			list, err := c.Suites("pets")
			if err != nil || len(list.Suites) != 0 || list.Dir != tt.dir(a) || list.Linked != tt.linked {
				t.Fatalf("empty list %+v %v", list, err)
			}
			ptr := func(s string) *string { return &s }
			create := ConsoleRequest{Name: "create a pet", OperationID: "addPet", Method: "POST", URL: "/pets",
				Headers: []Pair{{Name: "Authorization", Value: "Bearer {{token}}"}}, Body: "{\n  \"name\": \"rex\"\n}",
				Capture: map[string]string{"petId": "/id"},
				Assert:  []suite.Assertion{{Status: "200"}, {JSONPointer: ptr("/name"), Equals: json.RawMessage(`"rex"`)}, {SchemaValid: true}}}
			saved, err := c.SaveRequest("pets", "smoke", create)
			if err != nil {
				t.Fatal(err)
			}
			if saved.File != filepath.Join(tt.dir(a), "smoke", "create-a-pet.yaml") {
				t.Fatalf("saved at %q", saved.File)
			}
			// The file is what `gantry test --suite smoke` reads.
			text, _ := os.ReadFile(saved.File)
			if !strings.Contains(string(text), "name: rex") || !strings.Contains(string(text), "schemaValid: true") {
				t.Fatalf("file:\n%s", text)
			}
			// Saving again replaces the file; a second request runs after it.
			saved.Description = "adds rex"
			if _, err := c.SaveRequest("pets", "smoke", saved); err != nil {
				t.Fatal(err)
			}
			if _, err := c.SaveRequest("pets", "smoke", ConsoleRequest{Name: "z list", URL: "/pets", Assert: []suite.Assertion{{Status: "2xx"}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.SaveRequest("pets", "smoke", ConsoleRequest{Name: "bad", URL: "/pets", Assert: []suite.Assertion{{Status: "20"}}}); err == nil {
				t.Error("a bad assertion was saved")
			}
			if _, err := c.SaveRequest("pets", "../x", ConsoleRequest{Name: "x", URL: "/pets"}); err == nil {
				t.Error("a suite name that is a path was accepted")
			}
			list, err = c.Suites("pets")
			if err != nil || len(list.Suites) != 1 || len(list.Suites[0].Requests) != 2 {
				t.Fatalf("list %+v %v", list, err)
			}
			if r := list.Suites[0].Requests[0]; r.Description != "adds rex" || r.Body != create.Body || len(r.Assert) != 3 {
				t.Fatalf("loaded %+v", r)
			}

			if _, err := c.SaveEnvironment(Environment{Name: "dev", Variables: map[string]string{"token": "tok"}}); err != nil {
				t.Fatal(err)
			}
			res, err := c.RunSuite("pets", "smoke", Target{URL: up.URL + "/v2", Environment: "dev"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Summary.Requests != 2 || res.Summary.Passed != 2 || res.Requests[0].Outcome != suite.OutcomePassed {
				t.Fatalf("result %+v", res)
			}
			if _, err := c.RunSuite("pets", "smoke", Target{URL: up.URL + "/v2"}); err == nil || !strings.Contains(err.Error(), "{{token}}") {
				t.Fatalf("without the environment: %v", err)
			}
			if err := c.DeleteRequest("pets", "smoke", "z list"); err != nil {
				t.Fatal(err)
			}
			if list, _ := c.Suites("pets"); len(list.Suites[0].Requests) != 1 {
				t.Fatalf("after delete: %+v", list)
			}
		})
	}
}
