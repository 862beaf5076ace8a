package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/suite/junit"
)

// petServer is a small API the suites in testdata/requests are written for.
type petServer struct {
	mu     sync.Mutex
	bodies map[string]string // last request body per path
}

func (s *petServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	if s.bodies == nil {
		s.bodies = map[string]string{}
	}
	s.bodies[r.Method+" "+r.URL.Path] = string(body)
	s.mu.Unlock()
	authorized := r.Header.Get("Authorization") == "Bearer tok-123"
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "POST" && r.URL.Path == "/api/login":
		var in struct{ User, Password string }
		if json.Unmarshal(body, &in) != nil || in.User != "ann" || in.Password != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"bad credentials"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"tok-123","expires_in":3600}`)
	case r.Method == "POST" && r.URL.Path == "/api/pets" && authorized:
		w.Header().Set("Location", "/pets/7")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":7,"name":"rex"}`)
	case r.Method == "GET" && r.URL.Path == "/api/pets/7" && authorized:
		_, _ = io.WriteString(w, `{"id":7,"name":"rex"}`)
	case r.Method == "GET" && r.URL.Path == "/api/pets":
		w.Header().Set("X-Total", "1")
		_, _ = fmt.Fprintf(w, `[{"id":7,"name":"rex","query":%q}]`, r.URL.RawQuery)
	case r.URL.Path == "/api/slow":
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, `{}`)
	case r.URL.Path == "/api/text":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "plain")
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":"not found"}`)
	}
}

// fakeValidator accepts answers whose body has an "id" (or is a list) and records the
// operations it was asked about.
type fakeValidator struct {
	mu  sync.Mutex
	ops []string
}

func (f *fakeValidator) Response(op *apidef.Operation, method string, status int, header http.Header, body []byte) ([]model.Violation, error) {
	f.mu.Lock()
	f.ops = append(f.ops, op.ID)
	f.mu.Unlock()
	if strings.HasPrefix(string(body), "[") || strings.Contains(string(body), `"id"`) {
		return nil, nil
	}
	return []model.Violation{{In: "body", Name: "/id", Message: "missing property 'id'"}}, nil
}

func petDef() *apidef.Definition {
	return &apidef.Definition{BasePath: "/api", Operations: []*apidef.Operation{
		{ID: "createPet", Method: "POST", Path: "/pets"},
		{ID: "listPets", Method: "GET", Path: "/pets"},
		{ID: "getPet", Method: "GET", Path: "/pets/{id}"},
		{ID: "getMine", Method: "GET", Path: "/pets/mine"},
	}}
}

func TestRunSuite(t *testing.T) {
	api := &petServer{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	src := Folder{Dir: filepath.Join("testdata", "requests")}
	s, err := src.Suite(context.Background(), "pets")
	if err != nil {
		t.Fatal(err)
	}
	val := &fakeValidator{}
	var progress []string
	rn := &Runner{BaseURL: srv.URL + "/api", Vars: map[string]string{"user": "ann", "password": "s3cret"},
		Definition: petDef(), Validator: val, Progress: func(r RequestResult) { progress = append(progress, r.Name) }}
	res, err := rn.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Requests {
		for _, a := range r.Assertions {
			if !a.Passed {
				t.Errorf("%s: %s: %s", r.Name, a.Assertion, a.Message)
			}
		}
		if r.Error != "" {
			t.Errorf("%s: %s", r.Name, r.Error)
		}
	}
	if !res.Summary.OK() || res.Summary.Passed != 4 {
		t.Fatalf("summary %+v", res.Summary)
	}
	tests := []struct {
		name, got, want string
	}{
		{"order", strings.Join(progress, ","), "log in,create a pet,get the pet,list pets"},
		{"captured", strings.Join(res.Requests[1].Captured, ","), "location,petId"},
		{"typed capture goes into the body as a number", api.bodies["POST /api/pets"], `{"name":"rex","ttl":3600}`},
		{"environment in the body", api.bodies["POST /api/login"], `{"user":"ann","password":"s3cret"}`},
		{"query", res.Requests[3].URL, srv.URL + "/api/pets?limit=10&tag=a&tag=b"},
		{"operations checked (by id, then by path)", strings.Join(val.ops, ","), "createPet,listPets"},
		{"file and line", fmt.Sprintf("%s:%d", filepath.Base(res.Requests[0].Source.File), res.Requests[0].Source.Line), "01-login.yaml:1"},
		{"assertion line", fmt.Sprint(res.Requests[1].Assertions[1].Line), "15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// suiteOf parses request files given as text, named 01.yaml, 02.yaml...
func suiteOf(t *testing.T, texts ...string) *Suite {
	t.Helper()
	s := &Suite{Name: "inline"}
	for i, text := range texts {
		r, err := ParseRequest(fmt.Sprintf("%02d.yaml", i+1), []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		s.Requests = append(s.Requests, r)
	}
	return s
}

func TestAssertions(t *testing.T) {
	srv := httptest.NewServer(&petServer{})
	defer srv.Close()
	tests := []struct {
		name    string
		request string
		passed  bool
		message string // in the first failed verdict
	}{
		{"status", "url: /pets\nassert: [{status: 200}]", true, ""},
		{"status mismatch", "url: /pets\nassert: [{status: 201}]", false, "got 200, want 201"},
		{"status class mismatch", "url: /nothing\nassert: [{status: 2xx}]", false, "got 404, want 2xx"},
		{"implicit status check", "url: /nothing", false, "got 404"},
		{"implicit check is replaced by a status assertion", "url: /nothing\nassert: [{status: 404}]", true, ""},
		{"header equals", "url: /pets\nassert: [{header: x-total, equals: '1'}]", true, ""},
		{"header equals mismatch", "url: /pets\nassert: [{header: X-Total, equals: '2'}]", false, `header X-Total is "1", want "2"`},
		{"header matches", "url: /pets\nassert: [{header: Content-Type, matches: json$}]", true, ""},
		{"header does not match", "url: /pets\nassert: [{header: Content-Type, matches: ^text/}]", false, "does not match ^text/"},
		{"header missing", "url: /pets\nassert: [{header: ETag}]", false, "header ETag is missing"},
		{"header absent", "url: /pets\nassert: [{header: ETag, exists: false}]", true, ""},
		{"header present but should be absent", "url: /pets\nassert: [{header: X-Total, exists: false}]", false, "want it absent"},
		{"pointer equals a structure", "url: /pets\nassert: [{jsonPointer: /0, equals: {name: rex, id: 7, query: ''}}]", true, ""},
		{"pointer equals number by value", "url: /pets\nassert: [{jsonPointer: /0/id, equals: 7.0}]", true, ""},
		{"pointer equals mismatch", "url: /pets\nassert: [{jsonPointer: /0/name, equals: tom}]", false, `the body at /0/name is "rex", want "tom"`},
		{"pointer type mismatch", "url: /pets\nassert: [{jsonPointer: /0/id, equals: '7'}]", false, `is 7, want "7"`},
		{"pointer missing", "url: /pets\nassert: [{jsonPointer: /0/owner}]", false, "the body at /0/owner is missing"},
		{"pointer matches a number's text", "url: /pets\nassert: [{jsonPointer: /0/id, matches: '^[0-9]+$'}]", true, ""},
		{"pointer into text body", "url: /text\nassert: [{jsonPointer: /a}]", false, "the body is not JSON"},
		{"whole body", "url: /pets\nassert: [{jsonPointer: '', exists: true}]", true, ""},
		{"duration", "url: /slow\nassert: [{maxDurationMs: 100}]", false, "more than 100 ms"},
		{"schemaValid without a spec", "url: /pets\nassert: [{schemaValid: true}]", false, "no spec to check against"},
		{"capture failure fails the request", "url: /pets\ncapture: {x: /nope}", false, "the body has nothing at /nope"},
		{"capture of a missing header", "url: /pets\ncapture: {x: 'header:ETag'}", false, "no header ETag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rn := &Runner{BaseURL: srv.URL + "/api"}
			res, err := rn.Run(context.Background(), suiteOf(t, tt.request))
			if err != nil {
				t.Fatal(err)
			}
			r := res.Requests[0]
			if (r.Outcome == OutcomePassed) != tt.passed {
				b, _ := json.MarshalIndent(r, "", "  ")
				t.Fatalf("outcome %s, want passed=%v\n%s", r.Outcome, tt.passed, b)
			}
			if tt.message == "" {
				return
			}
			for _, a := range r.Assertions {
				if !a.Passed {
					if !strings.Contains(a.Message, tt.message) {
						t.Fatalf("message %q, want %q", a.Message, tt.message)
					}
					return
				}
			}
			t.Fatal("no failed verdict")
		})
	}
}

func TestSchemaValidFindsTheOperation(t *testing.T) {
	srv := httptest.NewServer(&petServer{})
	defer srv.Close()
	tests := []struct {
		name, request, wantOp, message string
	}{
		{"by path template", "url: /pets/7\nheaders: {Authorization: Bearer tok-123}\nassert: [{schemaValid: true}]", "getPet", ""},
		{"unknown operationId", "url: /pets\noperationId: nope\nassert: [{schemaValid: true}]", "", `the spec has no operation "nope"`},
		{"no operation matches", "url: /elsewhere/x\nassert: [{status: 404}, {schemaValid: true}]", "", "no operation of the spec matches GET /api/elsewhere/x"},
		{"violations are listed", "url: /nothing\noperationId: listPets\nassert: [{status: 404}, {schemaValid: true}]", "listPets", "breaks the contract of listPets: body /id: missing property 'id'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			val := &fakeValidator{}
			rn := &Runner{BaseURL: srv.URL + "/api", Definition: petDef(), Validator: val}
			res, err := rn.Run(context.Background(), suiteOf(t, tt.request))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(val.ops, ","); got != tt.wantOp {
				t.Fatalf("validated %q, want %q", got, tt.wantOp)
			}
			last := res.Requests[0].Assertions[len(res.Requests[0].Assertions)-1]
			if tt.message == "" && !last.Passed || tt.message != "" && !strings.Contains(last.Message, tt.message) {
				t.Fatalf("verdict %+v, want message %q", last, tt.message)
			}
		})
	}
}

func TestUnknownVariable(t *testing.T) {
	tests := []struct {
		name  string
		texts []string
		env   map[string]string
		want  string
	}{
		{"in a header", []string{"url: /x\nheaders:\n  Authorization: Bearer {{token}}\n"}, nil,
			"01.yaml:3:18: headers.Authorization: unknown variable {{token}}"},
		{"in a nested body value", []string{"url: /x\nbody:\n  owner:\n    names: [a, '{{who}}']\n"}, map[string]string{"other": "1"},
			"01.yaml:4:16: body.owner.names[1]: unknown variable {{who}}: neither the environment nor an earlier request's capture sets it (known: baseUrl, other)"},
		{"in an assertion", []string{"url: /x\nassert:\n  - jsonPointer: /a\n    equals: '{{nope}}'\n"}, nil, "01.yaml:4:13: assert[0].equals: unknown variable {{nope}}"},
		{"captured only later", []string{"url: /x?id={{id}}\n", "url: /y\ncapture: {id: /id}\n"}, nil, "01.yaml:1:6: url: unknown variable {{id}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := suiteOf(t, tt.texts...)
			_, err := (&Runner{BaseURL: "http://127.0.0.1:1", Vars: tt.env}).Run(context.Background(), s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T is not Problems", err)
			}
		})
	}
	ok := suiteOf(t, "url: /x\ncapture: {id: /id}\n", "url: '/y/{{id}}?t={{$timestamp}}'\n")
	if err := Check(ok, nil); err != nil {
		t.Fatalf("captured and built-in variables: %v", err)
	}
}

func TestMissingCaptureAndFailFast(t *testing.T) {
	srv := httptest.NewServer(&petServer{})
	defer srv.Close()
	texts := []string{
		"url: /pets\ncapture: {id: /0/missing}\n",
		"url: '/pets/{{id}}'\n",
		"url: /pets\n",
	}
	tests := []struct {
		name     string
		failFast bool
		outcomes string
		message  string
	}{
		{"later requests say why a variable has no value", false, "failed,error,passed", "{{id}} has no value: 01 did not capture it"},
		{"fail fast skips the rest", true, "failed,skipped,skipped", "skipped after an earlier failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := (&Runner{BaseURL: srv.URL + "/api", FailFast: tt.failFast}).Run(context.Background(), suiteOf(t, texts...))
			if err != nil {
				t.Fatal(err)
			}
			var outcomes []string
			for _, r := range res.Requests {
				outcomes = append(outcomes, r.Outcome)
			}
			if got := strings.Join(outcomes, ","); got != tt.outcomes {
				t.Fatalf("outcomes %s, want %s", got, tt.outcomes)
			}
			if !strings.Contains(res.Requests[1].Error, tt.message) {
				t.Fatalf("error %q, want %q", res.Requests[1].Error, tt.message)
			}
			if res.Summary.OK() {
				t.Fatal("summary OK")
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	slow := httptest.NewServer(&petServer{})
	defer slow.Close()
	tests := []struct {
		name, base, request, want string
	}{
		{"connection refused", closed.URL, "url: /x", "connect"},
		{"timeout", slow.URL + "/api", "url: /slow", "no answer within"},
		{"relative URL without baseUrl", "", "url: /x", "has no scheme and {{baseUrl}} is not set"},
		{"not http", "", "url: ftp://example.test/x", "use an http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := (&Runner{BaseURL: tt.base, Timeout: 100 * time.Millisecond}).Run(context.Background(), suiteOf(t, tt.request))
			if err != nil {
				t.Fatal(err)
			}
			r := res.Requests[0]
			if r.Outcome != OutcomeError || !strings.Contains(r.Error, tt.want) {
				t.Fatalf("outcome %s, error %q; want an error with %q", r.Outcome, r.Error, tt.want)
			}
		})
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	srv := httptest.NewServer(&petServer{})
	defer srv.Close()
	res, err := (&Runner{BaseURL: srv.URL + "/api", Vars: map[string]string{"apiKey": "k-very-secret", "page": "2"}}).
		Run(context.Background(), suiteOf(t, "url: '/pets?key={{apiKey}}&page={{page}}'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if u := res.Requests[0].URL; strings.Contains(u, "k-very-secret") || !strings.Contains(u, "page=2") {
		t.Fatalf("URL %q", u)
	}
}

func TestBodies(t *testing.T) {
	api := &petServer{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	tests := []struct {
		name, request, want string
	}{
		{"text body as is", "method: POST\nurl: /echo\nbody: |\n  a,b\n  1,2\n", "a,b\n1,2\n"},
		{"text body with a variable", "method: POST\nurl: /echo\nbody: 'hello {{who}}'\n", "hello world"},
		{"form body", "method: POST\nurl: /echo\nheaders: {Content-Type: application/x-www-form-urlencoded}\nbody: {b: 2, a: 'x y'}\n", "a=x+y&b=2"},
		{"json keeps order", "method: POST\nurl: /echo\nbody: {z: 1, a: [true, null]}\n", `{"z":1,"a":[true,null]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&Runner{BaseURL: srv.URL + "/api", Vars: map[string]string{"who": "world"}}).Run(context.Background(), suiteOf(t, tt.request))
			if err != nil {
				t.Fatal(err)
			}
			api.mu.Lock()
			got := api.bodies["POST /api/echo"]
			api.mu.Unlock()
			if got != tt.want {
				t.Fatalf("sent %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFolder(t *testing.T) {
	ctx := context.Background()
	src := Folder{Dir: filepath.Join("testdata", "requests")}
	names, err := src.Suites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "pets" {
		t.Fatalf("suites %v, want [pets] (folders starting with _ and folders without requests are not suites)", names)
	}
	s, err := src.Suite(ctx, "pets")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, r := range s.Requests {
		files = append(files, filepath.Base(r.Source.File))
	}
	if strings.Join(files, ",") != "01-login.yaml,02-create.yaml,03-get.yaml,04-list.yaml" {
		t.Fatalf("files %v", files)
	}
	tests := []struct {
		name, suite, want string
		notExist          bool
	}{
		{"unknown suite", "nope", `no suite "nope" in testdata/requests (suites: pets)`, true},
		{"folder without requests", "empty", "no request files", true},
		{"a path is not a suite name", "../requests", "is not a suite name", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := src.Suite(ctx, tt.suite)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, fs.ErrNotExist) != tt.notExist {
				t.Fatalf("error %v, want %q (not exist %v)", err, tt.want, tt.notExist)
			}
		})
	}
}

func TestFolderProblemsAndSaving(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := Folder{Dir: dir}
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "s"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "s", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("01.yaml", "name: a\nurl: /a\n")
	write("02.yaml", "name: a\nurl: /b\n")
	write("03.yml", "url: /c\nassert: [{status: 999}]\n")
	_, err := src.Suite(ctx, "s")
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 2 {
		t.Fatalf("got %v, want two problems", err)
	}
	if !strings.Contains(ps[0].Error(), "02.yaml:1:7: name: \"a\" is also the name of") || !strings.Contains(ps[1].Error(), "03.yml:2:19: assert[0].status") {
		t.Fatalf("problems:\n%v", err)
	}
	if err := os.Remove(filepath.Join(dir, "s", "02.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "s", "03.yml")); err != nil {
		t.Fatal(err)
	}

	// Saving: a new request gets a file named after it; saving it again replaces it.
	r := &Request{Name: "Create a Pet", Method: "POST", URL: "/pets", Assert: []Assertion{{Status: "201"}}}
	loc, err := src.SaveRequest(ctx, "s", r)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(loc.File) != "create-a-pet.yaml" {
		t.Fatalf("saved to %s", loc.File)
	}
	r.URL = "/pets?v=2"
	if loc2, err := src.SaveRequest(ctx, "s", r); err != nil || loc2.File != loc.File {
		t.Fatalf("saved again to %v (%v), want %s", loc2, err, loc.File)
	}
	s, err := src.Suite(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Requests) != 2 || s.Requests[1].URL != "/pets?v=2" {
		t.Fatalf("requests after saving: %+v", s.Requests)
	}
	if err := src.DeleteRequest(ctx, "s", "Create a Pet"); err != nil {
		t.Fatal(err)
	}
	if err := src.DeleteRequest(ctx, "s", "Create a Pet"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("deleting again: %v", err)
	}
	if _, err := src.SaveRequest(ctx, "../x", r); err == nil {
		t.Fatal("saved outside the folder")
	}
}

func TestResultJUnit(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	res := &Result{Suite: "pets", BaseURL: "http://127.0.0.1:4010/api", StartedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Duration: ms(40),
		Requests: []RequestResult{
			{Name: "log in", Source: Location{File: "requests/pets/01-login.yaml", Line: 1}, Method: "POST", URL: "http://127.0.0.1:4010/api/login",
				Outcome: OutcomePassed, Status: 200, MediaType: "application/json", Duration: ms(12),
				Assertions: []AssertionResult{{Assertion: "status 200", Passed: true, Field: "assert[0]", Line: 11}}},
			{Name: "create a pet", Source: Location{File: "requests/pets/02-create.yaml", Line: 1}, Method: "POST", URL: "http://127.0.0.1:4010/api/pets",
				Outcome: OutcomeFailed, Status: 500, MediaType: "text/html", Duration: ms(20),
				Assertions: []AssertionResult{
					{Assertion: "status 201", Message: "got 500, want 201", Field: "assert[0]", Line: 14},
					{Assertion: "jsonPointer /name equals \"rex\"", Message: "the body is not JSON: invalid character '<'", Field: "assert[1]", Line: 15},
				}},
			{Name: "get the pet", Source: Location{File: "requests/pets/03-get.yaml", Line: 1}, Method: "GET", URL: "{{baseUrl}}{{location}}",
				Outcome: OutcomeError, Error: "{{location}} has no value: create a pet did not capture it"},
			{Name: "list pets", Source: Location{File: "requests/pets/04-list.yaml", Line: 1}, Method: "GET", URL: "/pets",
				Outcome: OutcomeSkipped, Error: "skipped after an earlier failure (fail fast)"},
		}}
	res.Summary = summarize(res.Requests)
	ts := &junit.TestSuites{Name: "gantry test", Suites: []junit.TestSuite{res.JUnit()}}
	var b strings.Builder
	if err := junit.Write(&b, ts); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "junit-suite.golden.xml"), []byte(b.String()))
	if ts.Tests != 4 || ts.Failures != 1 || ts.Errors != 1 || ts.Skipped != 1 {
		t.Fatalf("counts %+v", ts)
	}
}
