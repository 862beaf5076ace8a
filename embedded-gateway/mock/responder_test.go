package mock

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func ex(name, value, invalid string) *apidef.Example {
	return &apidef.Example{Name: name, Value: json.RawMessage(value), Invalid: invalid, Source: apidef.Location{File: "api.yaml", Line: 42, Column: 7}}
}

// testDef builds a small definition exercising every selection rule.
func testDef() (*apidef.Definition, map[string]*apidef.Operation) {
	pet := obj([]string{"id", "name"}, "id", &apidef.Schema{Type: []string{"integer"}, Format: "int64"}, "name", str())
	errSchema := obj([]string{"code"}, "code", &apidef.Schema{Type: []string{"integer"}}, "message", str())
	jsonMT := func(s *apidef.Schema, e *apidef.Example, exs ...*apidef.Example) *apidef.MediaType {
		return &apidef.MediaType{Type: "application/json", Schema: s, Example: e, Examples: exs}
	}
	ops := map[string]*apidef.Operation{
		"pets": {ID: "listPets", Method: "GET", Path: "/pets", Responses: []*apidef.Response{
			{Status: "default", Content: []*apidef.MediaType{jsonMT(ref("Error"), nil)}},
			{Status: "201", Content: []*apidef.MediaType{jsonMT(ref("Pet"), nil)}},
			{Status: "200", Headers: []*apidef.Header{
				{Name: "X-Rate-Limit", Schema: &apidef.Schema{Type: []string{"integer"}}, Example: json.RawMessage(`100`)},
				{Name: "X-Tags", Schema: &apidef.Schema{Type: []string{"array"}, Items: str()}},
				{Name: "Content-Type", Schema: str()},
			}, Content: []*apidef.MediaType{
				jsonMT(&apidef.Schema{Type: []string{"array"}, Items: ref("Pet")}, nil,
					ex("cats", `[{"id": 1, "name": "Tom"}]`, ""),
					ex("broken", `[{"id": "x"}]`, "/0/id: got string, want integer")),
				{Type: "application/xml", Schema: &apidef.Schema{Type: []string{"array"}, Items: ref("Pet")}},
				{Type: "text/plain", Example: ex("", `"just text"`, "")},
			}},
			{Status: "4XX", Content: []*apidef.MediaType{jsonMT(ref("Error"), ex("", `{"code": 4, "message": "bad"}`, ""))}},
			{Status: "404", Content: []*apidef.MediaType{jsonMT(ref("Error"), nil)}},
		}},
		"invalid": {ID: "getInvalid", Method: "GET", Path: "/invalid", Responses: []*apidef.Response{
			{Status: "200", Content: []*apidef.MediaType{jsonMT(ref("Pet"), ex("", `{"id": "nope"}`, "/id: got string, want integer"))}},
		}},
		"range": {ID: "range", Method: "GET", Path: "/range", Responses: []*apidef.Response{
			{Status: "2XX", Content: []*apidef.MediaType{jsonMT(ref("Pet"), nil)}},
			{Status: "204"},
		}},
		"rangeOnly": {ID: "rangeOnly", Method: "GET", Path: "/range-only", Responses: []*apidef.Response{
			{Status: "400"}, {Status: "2XX"},
		}},
		"defaultOnly": {ID: "defaultOnly", Method: "GET", Path: "/default", Responses: []*apidef.Response{
			{Status: "404"}, {Status: "default", Content: []*apidef.MediaType{jsonMT(ref("Error"), nil)}},
		}},
		"errorsOnly": {ID: "errorsOnly", Method: "GET", Path: "/errors", Responses: []*apidef.Response{
			{Status: "500"}, {Status: "404"},
		}},
		"empty": {ID: "empty", Method: "DELETE", Path: "/pets/{id}", Responses: []*apidef.Response{{Status: "204"}}},
		"media": {ID: "media", Method: "GET", Path: "/media", Responses: []*apidef.Response{
			{Status: "200", Content: []*apidef.MediaType{
				{Type: "image/png", Schema: &apidef.Schema{Type: []string{"string"}, Format: "binary"}},
				{Type: "application/vnd.api+json", Schema: ref("Pet")},
				{Type: "text/csv", Schema: str()},
			}},
		}},
		"wild": {ID: "wild", Method: "GET", Path: "/wild", Responses: []*apidef.Response{
			{Status: "200", Content: []*apidef.MediaType{{Type: "*/*", Schema: str()}}},
		}},
	}
	def := &apidef.Definition{Title: "test", Schemas: map[string]*apidef.Schema{"Pet": pet, "Error": errSchema}}
	for _, k := range []string{"pets", "invalid", "range", "rangeOnly", "defaultOnly", "errorsOnly", "empty", "media", "wild"} {
		def.Operations = append(def.Operations, ops[k])
	}
	return def, ops
}

func do(t *testing.T, r *Responder, op *apidef.Operation, method string, headers map[string]string) (*httptest.ResponseRecorder, Result) {
	t.Helper()
	req := httptest.NewRequest(method, "http://mock"+strings.ReplaceAll(op.Path, "{id}", "1"), nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	res := r.Respond(rec, req, op)
	if res.Status != rec.Code {
		t.Fatalf("Result.Status %d but sent %d", res.Status, rec.Code)
	}
	return rec, res
}

func TestRespondSelection(t *testing.T) {
	def, ops := testDef()
	r := NewResponder(def, apidef.NewChecker(def), Options{})
	tests := []struct {
		name       string
		op         string
		prefer     string
		query      string
		wantStatus int
		wantBody   string // substring
		wantMT     string
	}{
		{name: "lowest 2xx", op: "pets", wantStatus: 200, wantBody: `"Tom"`, wantMT: "application/json"},
		{name: "2nn sorts before 2XX", op: "range", wantStatus: 204},
		{name: "2XX range sent as 200", op: "rangeOnly", wantStatus: 200},
		{name: "code inside a range", op: "range", prefer: "code=202", wantStatus: 202, wantBody: `"id"`},
		{name: "default as 200", op: "defaultOnly", wantStatus: 200, wantBody: `"code"`},
		{name: "first response when no 2xx", op: "errorsOnly", wantStatus: 500},
		{name: "code exact", op: "pets", prefer: "code=201", wantStatus: 201, wantBody: `"name"`},
		{name: "code exact beats range", op: "pets", prefer: "code=404", wantStatus: 404, wantBody: `"code"`},
		{name: "code via range", op: "pets", prefer: "code=418", wantStatus: 418, wantBody: `"message": "bad"`},
		{name: "code via default", op: "pets", prefer: "code=503", wantStatus: 503, wantBody: `"code"`},
		{name: "undeclared code", op: "range", prefer: "code=404", wantStatus: 404, wantBody: `declared: 2XX, 204`, wantMT: "application/problem+json"},
		{name: "bad code", op: "pets", prefer: "code=abc", wantStatus: 400, wantMT: "application/problem+json"},
		{name: "named example", op: "pets", prefer: "example=cats", wantStatus: 200, wantBody: `[{"id": 1, "name": "Tom"}]`},
		{name: "named invalid example verbatim", op: "pets", prefer: "example=broken", wantStatus: 200, wantBody: `[{"id": "x"}]`},
		{name: "unknown example", op: "pets", prefer: "example=nope", wantStatus: 404, wantBody: "available: broken, cats"},
		{name: "combined code and example", op: "pets", prefer: `code=418, example="example"`, wantStatus: 418, wantBody: `"bad"`},
		{name: "combined with semicolons", op: "pets", prefer: `code=201; dynamic=true`, wantStatus: 201},
		{name: "dynamic ignores examples", op: "pets", prefer: "dynamic=true", wantStatus: 200, wantBody: `"id":`},
		{name: "query preferences", op: "pets", query: "?__code=404", wantStatus: 404},
		{name: "no content", op: "empty", wantStatus: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := ops[tt.op]
			req := httptest.NewRequest(op.Method, "http://mock"+strings.ReplaceAll(op.Path, "{id}", "1")+tt.query, nil)
			if tt.prefer != "" {
				req.Header.Set("Prefer", tt.prefer)
			}
			rec := httptest.NewRecorder()
			res := r.Respond(rec, req, op)
			if rec.Code != tt.wantStatus || res.Status != tt.wantStatus {
				t.Fatalf("status %d (result %d), want %d; body %s", rec.Code, res.Status, tt.wantStatus, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("body %s does not contain %s", rec.Body, tt.wantBody)
			}
			if tt.wantMT != "" && res.MediaType != tt.wantMT {
				t.Fatalf("media type %q, want %q", res.MediaType, tt.wantMT)
			}
			if rec.Code == 204 && rec.Body.Len() != 0 {
				t.Fatalf("204 with a body")
			}
		})
	}
}

func TestRespondNegotiation(t *testing.T) {
	def, ops := testDef()
	r := NewResponder(def, apidef.NewChecker(def), Options{})
	tests := []struct {
		name       string
		op         string
		accept     string
		wantStatus int
		wantCT     string
		wantBody   string
	}{
		{name: "no accept prefers json", op: "pets", wantStatus: 200, wantCT: "application/json"},
		{name: "star", op: "pets", accept: "*/*", wantStatus: 200, wantCT: "application/json"},
		{name: "exact xml", op: "pets", accept: "application/xml", wantStatus: 200, wantCT: "application/xml", wantBody: "<?xml"},
		{name: "text wildcard", op: "pets", accept: "text/*", wantStatus: 200, wantCT: "text/plain; charset=utf-8", wantBody: "just text"},
		{name: "q values", op: "pets", accept: "application/json;q=0.5, text/plain;q=0.9", wantStatus: 200, wantCT: "text/plain; charset=utf-8"},
		{name: "q zero excludes", op: "pets", accept: "application/json;q=0, */*;q=0.1", wantStatus: 200, wantCT: "application/xml"},
		{name: "parameters ignored", op: "pets", accept: "application/json; charset=utf-8; version=2", wantStatus: 200, wantCT: "application/json"},
		{name: "not acceptable", op: "pets", accept: "image/webp", wantStatus: 406, wantCT: "application/problem+json", wantBody: "application/json, application/xml, text/plain"},
		{name: "no content ignores accept", op: "empty", accept: "image/webp", wantStatus: 204},
		{name: "png placeholder", op: "media", accept: "image/*", wantStatus: 200, wantCT: "image/png", wantBody: "\x89PNG"},
		{name: "structured suffix", op: "media", accept: "application/json", wantStatus: 200, wantCT: "application/vnd.api+json", wantBody: `"id"`},
		{name: "csv text", op: "media", accept: "text/csv", wantStatus: 200, wantCT: "text/csv; charset=utf-8", wantBody: "string"},
		{name: "declared wildcard takes accept", op: "wild", accept: "text/html", wantStatus: 200, wantCT: "text/html; charset=utf-8"},
		{name: "declared wildcard without accept", op: "wild", wantStatus: 200, wantCT: "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.accept != "" {
				h["Accept"] = tt.accept
			}
			rec, _ := do(t, r, ops[tt.op], ops[tt.op].Method, h)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantCT {
				t.Fatalf("Content-Type %q, want %q", got, tt.wantCT)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("body %q does not contain %q", rec.Body, tt.wantBody)
			}
		})
	}
}

func TestRespondInvalidExampleFallback(t *testing.T) {
	def, ops := testDef()
	checker := apidef.NewChecker(def)
	r := NewResponder(def, checker, Options{})
	for i := 0; i < 2; i++ { // the second answer comes from the cache
		rec, res := do(t, r, ops["invalid"], "GET", nil)
		if rec.Code != 200 || res.Example != "" {
			t.Fatalf("status %d example %q", rec.Code, res.Example)
		}
		if err := checker.Validate(def.Schemas["Pet"], rec.Body.Bytes()); err != nil {
			t.Fatalf("fallback body %s is invalid: %v", rec.Body, err)
		}
		w := rec.Header().Get(WarningHeader)
		if !strings.Contains(w, `"example"`) || !strings.Contains(w, "api.yaml:42:7") || len(res.Warnings) != 1 {
			t.Fatalf("warning header %q, warnings %v", w, res.Warnings)
		}
	}
	// Asked by name, the invalid example is served verbatim.
	rec, res := do(t, r, ops["invalid"], "GET", map[string]string{"Prefer": "example=example"})
	if rec.Body.String() != `{"id": "nope"}` || res.Example != "example" {
		t.Fatalf("named invalid example not served verbatim: %s", rec.Body)
	}
}

func TestRespondHeadersAndHEAD(t *testing.T) {
	def, ops := testDef()
	r := NewResponder(def, apidef.NewChecker(def), Options{})
	get, _ := do(t, r, ops["pets"], "GET", nil)
	if got := get.Header().Get("X-Rate-Limit"); got != "100" {
		t.Fatalf("X-Rate-Limit %q, want the example 100", got)
	}
	if got := get.Header().Get("X-Tags"); got != "string" {
		t.Fatalf("X-Tags %q, want a generated simple-style array", got)
	}
	if got := get.Header().Get("Content-Type"); got != "application/json" {
		t.Fatalf("declared Content-Type header must not override: %q", got)
	}
	if got := get.Header().Get("Content-Length"); got != "26" || get.Body.Len() != 26 {
		t.Fatalf("Content-Length %q for a %d-byte body", got, get.Body.Len())
	}
	head, res := do(t, r, ops["pets"], "HEAD", nil)
	if head.Body.Len() != 0 || head.Header().Get("Content-Length") != "26" || res.Status != 200 {
		t.Fatalf("HEAD: body %q, Content-Length %q", head.Body, head.Header().Get("Content-Length"))
	}
}

func TestRespondDeterminism(t *testing.T) {
	def, ops := testDef()
	r := NewResponder(def, apidef.NewChecker(def), Options{Dynamic: true})
	get := func(url, body string) string {
		req := httptest.NewRequest("GET", url, strings.NewReader(body))
		rec := httptest.NewRecorder()
		r.Respond(rec, req, ops["pets"])
		return rec.Body.String()
	}
	if a, b := get("http://mock/pets?x=1", "b"), get("http://mock/pets?x=1", "b"); a != b {
		t.Fatalf("same request, different bodies:\n%s\n%s", a, b)
	}
	differs := false
	for i := 0; i < 10 && !differs; i++ {
		differs = get("http://mock/pets?x=1", "b") != get("http://mock/pets?x="+strings.Repeat("2", i+1), "b")
	}
	if !differs {
		t.Fatal("dynamic bodies never depend on the request")
	}
	// Static responders answer every request identically.
	s := NewResponder(def, apidef.NewChecker(def), Options{})
	a, _ := do(t, s, ops["defaultOnly"], "GET", nil)
	b, _ := do(t, s, ops["defaultOnly"], "GET", map[string]string{"X-Other": "1"})
	if a.Body.String() != b.Body.String() {
		t.Fatal("static bodies differ")
	}
}

func TestRespondGolden(t *testing.T) {
	defs := loadCorpus(t, &corpus)
	tests := []struct {
		name, spec, opID, prefer, accept string
	}{
		{"petstore-list", "oai/petstore.yaml", "listPets", "", ""},
		{"petstore-list-dynamic", "oai/petstore.yaml", "listPets", "dynamic=true", ""},
		{"petstore-error", "oai/petstore.yaml", "showPetById", "code=500", ""},
		{"museum-hours", "museum/openapi.yaml", "getMuseumHours", "", ""},
		{"museum-hours-dynamic", "museum/openapi.yaml", "getMuseumHours", "dynamic=true", ""},
		{"museum-events-dynamic", "museum/openapi.yaml", "listSpecialEvents", "dynamic=true", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := defs[tt.spec]
			if def == nil {
				t.Skipf("core/spec cannot load %s", tt.spec)
			}
			var op *apidef.Operation
			for _, o := range def.Operations {
				if o.ID == tt.opID {
					op = o
				}
			}
			if op == nil {
				t.Fatalf("no operation %s", tt.opID)
			}
			checker := apidef.NewChecker(def)
			r := NewResponder(def, checker, Options{})
			req := httptest.NewRequest(op.Method, "http://mock"+op.Path, nil)
			if tt.prefer != "" {
				req.Header.Set("Prefer", tt.prefer)
			}
			rec := httptest.NewRecorder()
			res := r.Respond(rec, req, op)
			got := rec.Body.Bytes()
			file := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantBytes, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(got) != string(wantBytes) {
				t.Fatalf("body differs from %s (run with -update if intended):\ngot  %s\nwant %s", file, got, wantBytes)
			}
			if i := findStatus(op.Responses, res.Status); res.Example == "" && i >= 0 && len(op.Responses[i].Content) > 0 {
				if err := checker.Validate(op.Responses[i].Content[0].Schema, got); err != nil {
					t.Fatalf("golden body is invalid: %v", err)
				}
			}
		})
	}
}

func benchResponder(b *testing.B) (*Responder, *apidef.Operation) {
	defs := loadCorpus(b, &corpus)
	def := defs["oai/petstore.yaml"]
	if def == nil {
		b.Skip("petstore does not load")
	}
	for _, op := range def.Operations {
		if op.Method == "GET" && op.Path == "/pets" {
			return NewResponder(def, apidef.NewChecker(def), Options{}), op
		}
	}
	b.Fatal("no GET /pets")
	return nil, nil
}

func BenchmarkRespondPetstore(b *testing.B) {
	r, op := benchResponder(b)
	req := httptest.NewRequest("GET", "http://mock/pets?limit=10", nil)
	req.Header.Set("Accept", "application/json")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			r.Respond(rec, req, op)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}

func BenchmarkGenerateDigitalOcean(b *testing.B) {
	defs := loadCorpus(b, &corpus)
	def := defs["digitalocean/DigitalOcean-public.v2.yaml"]
	if def == nil {
		b.Skip("DigitalOcean does not load")
	}
	// The largest response schema: GET /v2/droplets 200.
	var s *apidef.Schema
	for _, op := range def.Operations {
		if op.Method == "GET" && op.Path == "/v2/droplets" {
			for _, resp := range op.Responses {
				if resp.Status == "200" && len(resp.Content) > 0 {
					s = resp.Content[0].Schema
				}
			}
		}
	}
	if s == nil {
		b.Fatal("no GET /v2/droplets 200 schema")
	}
	g := NewGenerator(def, apidef.NewChecker(def))
	if _, err := g.Generate(s, GenOptions{Dynamic: true}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Generate(s, GenOptions{Seed: uint64(i), Dynamic: true}); err != nil {
			b.Fatal(err)
		}
	}
}
