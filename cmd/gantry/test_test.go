package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/suite/junit"
	"github.com/gantry-dev/gantry/core/workspace"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
)

// petstoreMock serves testdata/petstore.yaml from Gantry's mock; opts may switch request
// validation off to make a server that accepts invalid requests.
func petstoreMock(t *testing.T, opts gateway.Options) *httptest.Server {
	t.Helper()
	s, _, err := spec.Load(filepath.Join("testdata", "petstore.yaml"), spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api, err := config.NewAPI("petstore", "test", "", s.Definition, "")
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(opts)
	if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: []*config.API{api}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(func() { srv.Close(); _ = gw.Close() })
	return srv
}

// testProject writes a copy of the petstore spec and the given request files (paths
// relative to the project, such as "requests/smoke/01-list.yaml") into a new folder and
// returns the spec's path.
func testProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(dir, "petstore.yaml")
	if err := os.WriteFile(specPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return specPath
}

// smokeSuite lists pets, captures the first id and fetches that pet.
var smokeSuite = map[string]string{
	"requests/smoke/01-list.yaml": `name: list pets
operationId: listPets
url: /pets
query:
  limit: 2
headers:
  X-Client: "{{client}}"
capture:
  firstId: /0/id
assert:
  - status: 200
  - header: Content-Type
    matches: ^application/json
  - schemaValid: true
`,
	"requests/smoke/02-get.yaml": `name: get the first pet
url: /pets/{{firstId}}
assert:
  - status: 2xx
  - schemaValid: true
  - jsonPointer: /id
    equals: "{{firstId}}"
`,
}

func TestTestCommand(t *testing.T) {
	mock := petstoreMock(t, gateway.Options{})
	lenient := petstoreMock(t, gateway.Options{SkipValidation: true})
	htmlServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<h1>hello</h1>")
	}))
	defer htmlServer.Close()
	project := testProject(t, smokeSuite)
	badFile := testProject(t, map[string]string{"requests/bad/01-bad.yaml": "url: /pets\nassert:\n  - status: 20\n"})
	unknownVar := testProject(t, map[string]string{"requests/vars/01.yaml": "url: /pets\nheaders:\n  Authorization: Bearer {{token}}\n"})
	failing := testProject(t, map[string]string{"requests/f/01.yaml": "url: /pets\nassert:\n  - status: 201\n"})

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{"contract tests pass against the mock", []string{"test", project, "--target", mock.URL}, 0,
			[]string{"Contract tests: Swagger Petstore 1.0.0 against " + mock.URL + "/v1", "ok      listPets", "3 operations: 3 passed, 0 failed, 0 errors"}, nil},
		{"with a suite", []string{"test", project, "--target", mock.URL, "--suite", "smoke", "--var", "client=cli"}, 0,
			[]string{"Suite smoke against " + mock.URL + "/v1", "get the first pet", "2 requests: 2 passed"}, nil},
		{"suites only", []string{"test", project, "--target", mock.URL, "--suite", "smoke", "--var", "client=cli", "--no-contract"}, 0,
			[]string{"2 requests: 2 passed"}, nil},
		{"one operation", []string{"test", project, "--target", mock.URL, "--operation", "showPetById"}, 0,
			[]string{"1 operation: 1 passed"}, nil},
		{"a server that accepts invalid requests", []string{"test", project, "--target", lenient.URL}, 1,
			[]string{"FAIL    createPets", "missing request body", "the invalid request was accepted"},
			[]string{"tests failed: 2 of 3 operations broke their contract"}},
		{"a server that answers HTML", []string{"test", project, "--target", htmlServer.URL, "--no-negatives"}, 1,
			[]string{`media type "text/html" is not declared for the 200 response`}, []string{"tests failed"}},
		{"a failing assertion names file and line", []string{"test", failing, "--target", mock.URL, "--requests", filepath.Join(filepath.Dir(failing), "requests"), "--no-contract"}, 1,
			[]string{"01.yaml:3: assert[0]: status 201: got 200, want 201"}, []string{"suite f: 1 of 1 requests failed"}},
		{"a bad request file names file, line and field", []string{"test", badFile, "--target", mock.URL, "--suite", "bad"}, 1, nil,
			[]string{"01-bad.yaml:3:13: assert[0].status: \"20\" is not a status code"}},
		{"an unknown variable names file, line and field", []string{"test", unknownVar, "--target", mock.URL, "--suite", "vars"}, 1, nil,
			[]string{"01.yaml:3:18: headers.Authorization: unknown variable {{token}}"}},
		{"unknown suite", []string{"test", project, "--target", mock.URL, "--suite", "nope"}, 1, nil, []string{"--suite nope: no such suite", "suites: smoke"}},
		{"no requests folder", []string{"test", badFile, "--target", mock.URL, "--requests", "does-not-exist"}, 1, nil, []string{"no folder of saved requests at does-not-exist"}},
		{"bad header flag", []string{"test", project, "--target", mock.URL, "--header", "nocolon"}, 1, nil, []string{"--header \"nocolon\": write it as 'Name: value'"}},
		{"bad target", []string{"test", project, "--target", "localhost:1"}, 1, nil, []string{"--target: target \"localhost:1\" is not an absolute http(s) URL"}},
		{"target is required", []string{"test", project}, 1, nil, []string{`required flag(s) "target" not set`}},
		{"no operation matches", []string{"test", project, "--target", mock.URL, "--tag", "nope"}, 1, nil, []string{"no operation of"}},
		{"unknown environment", []string{"test", project, "--target", mock.URL, "--env", "staging"}, 1, nil, []string{"--env staging: no such environment"}},
		{"neither a file nor an API", []string{"test", "nope", "--target", mock.URL}, 1, nil, []string{"not a spec file", "not an API in the workspace"}},
	}
	db := filepath.Join(t.TempDir(), "ws.db")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestTestCommandJUnitAndJSON(t *testing.T) {
	mock := petstoreMock(t, gateway.Options{SkipValidation: true})
	project := testProject(t, smokeSuite)
	db := filepath.Join(t.TempDir(), "ws.db")
	report := filepath.Join(t.TempDir(), "junit.xml")
	code, out, errOut := gantry(t, db, "test", project, "--target", mock.URL, "--suite", "smoke", "--var", "client=ci",
		"--junit", report, "--json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the lenient server accepts invalid requests)\n%s\n%s", code, out, errOut)
	}
	var res struct {
		OK       bool `json:"ok"`
		Contract struct {
			Summary struct{ Operations, Passed, Failed int }
		} `json:"contract"`
		Suites []struct {
			Suite   string `json:"suite"`
			Summary struct{ Passed int }
		} `json:"suites"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if res.OK || res.Contract.Summary.Operations != 3 || res.Contract.Summary.Failed != 2 || len(res.Suites) != 1 || res.Suites[0].Summary.Passed != 2 {
		t.Fatalf("JSON result: %+v", res)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var ts junit.TestSuites
	if err := xml.Unmarshal(data, &ts); err != nil {
		t.Fatalf("JUnit report does not parse: %v\n%s", err, data)
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"suites", len(ts.Suites), 2},
		{"tests", ts.Tests, 5},
		{"failures", ts.Failures, 2},
		{"contract cases", len(ts.Suites[0].Cases), 3},
		{"suite cases", len(ts.Suites[1].Cases), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %d, want %d", tt.got, tt.want)
			}
		})
	}
	if f := ts.Suites[1].Cases[0].File; !strings.HasSuffix(f, filepath.Join("smoke", "01-list.yaml")) {
		t.Errorf("suite case file %q", f)
	}
}

// TestTestCommandWorkspace tests an imported API, with an environment from the workspace
// and the requests folder beside the file it was imported from.
func TestTestCommandWorkspace(t *testing.T) {
	mock := petstoreMock(t, gateway.Options{})
	project := testProject(t, smokeSuite)
	db := filepath.Join(t.TempDir(), "ws.db")
	if code, _, errOut := gantry(t, db, "import", project, "--name", "pets"); code != 0 {
		t.Fatal(errOut)
	}
	st, err := sqlite.Open(db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutEnvironment(context.Background(), &model.Environment{Name: "staging", Variables: map[string]string{"client": "from-env"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"environment from the workspace", []string{"test", "pets", "--target", mock.URL, "--suite", "smoke", "--env", "staging"}, 0, "2 requests: 2 passed"},
		{"a variable the environment lacks", []string{"test", "pets", "--target", mock.URL, "--suite", "smoke"}, 1, "unknown variable {{client}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, tt.args...)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s\n%s", code, tt.wantCode, tt.want, out, errOut)
			}
		})
	}
	// Suites the desktop saved for an API that is not linked live with the workspace.
	saved := filepath.Join(filepath.Dir(db), workspace.WorkspaceRequestsDir, "pets", "desk", "01-list.yaml")
	if err := os.MkdirAll(filepath.Dir(saved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(saved, []byte("url: /pets\nassert:\n  - status: 200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := gantry(t, db, "test", "pets", "--target", mock.URL, "--suite", "desk", "--no-contract")
	if code != 0 || !strings.Contains(out, "1 passed") {
		t.Fatalf("the workspace's saved suite: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestParseHeaderFlags(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    string
		wantErr bool
	}{
		{"one", []string{"Authorization: Bearer x"}, "Authorization=Bearer x", false},
		{"value with colons", []string{"X-Time: 12:30"}, "X-Time=12:30", false},
		{"repeated", []string{"X-A: 1", "x-a: 2"}, "X-A=1,2", false},
		{"no colon", []string{"Authorization"}, "", true},
		{"no name", []string{": x"}, "", true},
		{"space in name", []string{"X A: 1"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHeaderFlags(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var got []string
			for k, vs := range h {
				got = append(got, k+"="+strings.Join(vs, ","))
			}
			if strings.Join(got, ";") != tt.want {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
		})
	}
}
