package validate

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
)

func intp(i int) *int { return &i }

func testDef() *apidef.Definition {
	return &apidef.Definition{
		Title: "t", Version: "1",
		Schemas: map[string]*apidef.Schema{
			"NewPet": {Type: []string{"object"}, Required: []string{"name"}, Properties: map[string]*apidef.Schema{
				"name":  {Type: []string{"string"}, MinLength: intp(1)},
				"tag":   {Type: []string{"string", "null"}},
				"owner": {Ref: apidef.SchemaRefPrefix + "Owner"},
			}},
			"Owner": {Type: []string{"object"}, Properties: map[string]*apidef.Schema{
				"pets": {Type: []string{"array"}, Items: &apidef.Schema{Ref: apidef.SchemaRefPrefix + "NewPet"}},
			}},
		},
		Operations: []*apidef.Operation{
			{ID: "findPets", Method: "GET", Path: "/pets", Parameters: []*apidef.Parameter{
				{Name: "limit", In: "query", Required: true, Schema: &apidef.Schema{Type: []string{"integer"}, Format: "int32", Maximum: ptrf(100)}},
				{Name: "X-Trace", In: "header", Schema: &apidef.Schema{Type: []string{"string"}, Format: "uuid"}},
			}},
			{ID: "getPet", Method: "GET", Path: "/pets/{id}", Parameters: []*apidef.Parameter{
				{Name: "id", In: "path", Required: true, Schema: &apidef.Schema{Type: []string{"integer"}}},
			}},
			{ID: "addPet", Method: "POST", Path: "/pets", RequestBody: &apidef.RequestBody{Required: true, Content: []*apidef.MediaType{
				{Type: "application/json", Schema: &apidef.Schema{Ref: apidef.SchemaRefPrefix + "NewPet"}},
			}}},
		},
	}
}

func ptrf(f float64) *float64 { return &f }

func TestRequest(t *testing.T) {
	def := testDef()
	v := New(def)
	tests := []struct {
		name    string
		op      int
		method  string
		target  string
		relPath string
		body    string
		header  map[string]string
		want    []string // "in:name" of each violation
	}{
		{"valid query", 0, "GET", "/api/pets?limit=10", "/pets", "", nil, nil},
		{"missing required query", 0, "GET", "/api/pets", "/pets", "", nil, []string{"query:limit"}},
		{"query over maximum", 0, "GET", "/api/pets?limit=1000", "/pets", "", nil, []string{"query:limit"}},
		{"bad header format", 0, "GET", "/api/pets?limit=1", "/pets", "", map[string]string{"X-Trace": "nope"}, []string{"header:X-Trace"}},
		{"valid path param", 1, "GET", "/api/pets/7", "/pets/7", "", nil, nil},
		{"bad path param", 1, "GET", "/api/pets/abc", "/pets/abc", "", nil, []string{"path:id"}},
		{"escaped slash in a path param is one value", 1, "GET", "/api/pets/1%2F2", "/pets/1%2F2", "", nil, []string{"path:id"}},
		{"valid body", 2, "POST", "/api/pets", "/pets", `{"name":"rex","tag":null,"owner":{"pets":[{"name":"a"}]}}`, map[string]string{"Content-Type": "application/json"}, nil},
		{"body missing required", 2, "POST", "/api/pets", "/pets", `{"tag":"x"}`, map[string]string{"Content-Type": "application/json"}, []string{"body:"}},
		{"nested body error", 2, "POST", "/api/pets", "/pets", `{"name":"rex","owner":{"pets":[{"name":""}]}}`, map[string]string{"Content-Type": "application/json"}, []string{"body:/owner/pets/0/name"}},
		{"missing body", 2, "POST", "/api/pets", "/pets", ``, map[string]string{"Content-Type": "application/json"}, []string{"body:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			for k, val := range tt.header {
				r.Header.Set(k, val)
			}
			got, err := v.Request(r, def.Operations[tt.op], tt.relPath)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, g := range got {
				keys = append(keys, g.In+":"+g.Name)
			}
			if strings.Join(keys, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("violations %v, want %v (%+v)", keys, tt.want, got)
			}
			for _, g := range got {
				if g.Message == "" {
					t.Errorf("violation without message: %+v", g)
				}
			}
		})
	}
}

func TestMemoKeySeparatesInputs(t *testing.T) {
	def := testDef()
	v := New(def)
	op := def.Operations[0]
	send := func(trace string) int {
		r := httptest.NewRequest("GET", "/api/pets?limit=1", nil)
		if trace != "" {
			r.Header.Set("X-Trace", trace)
		}
		got, err := v.Request(r, op, "/pets")
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	// Same path and query; only a declared header differs: results must not be shared.
	for _, tt := range []struct {
		trace string
		want  int
	}{{"", 0}, {"not-a-uuid", 1}, {"", 0}, {"3fa85f64-5717-4562-b3fc-2c963f66afa6", 0}, {"not-a-uuid", 1}} {
		if got := send(tt.trace); got != tt.want {
			t.Fatalf("X-Trace %q: %d violations, want %d", tt.trace, got, tt.want)
		}
	}
}

func TestFormReservedCharacters(t *testing.T) {
	def := &apidef.Definition{Operations: []*apidef.Operation{{ID: "search", Method: "POST", Path: "/search",
		RequestBody: &apidef.RequestBody{Required: true, Content: []*apidef.MediaType{{Type: "application/x-www-form-urlencoded",
			Schema: &apidef.Schema{Type: []string{"object"}, Required: []string{"q"}, Properties: map[string]*apidef.Schema{"q": {Type: []string{"string"}}}}}}}}}}
	v := New(def)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"percent-encoded reserved characters are fine", "q=%2A%3A%2A", 0},
		{"missing required field", "x=1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/search", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			got, err := v.Request(r, def.Operations[0], "/search")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("got %d violations %+v, want %d", len(got), got, tt.want)
			}
		})
	}
}

func TestViolationsDeduplicated(t *testing.T) {
	def := &apidef.Definition{
		Schemas: map[string]*apidef.Schema{
			"One":  {Type: []string{"object"}, Required: []string{"size", "image", "name"}},
			"Many": {Type: []string{"object"}, Required: []string{"size", "image", "names"}},
		},
		Operations: []*apidef.Operation{{ID: "create", Method: "POST", Path: "/d", RequestBody: &apidef.RequestBody{Required: true,
			Content: []*apidef.MediaType{{Type: "application/json", Schema: &apidef.Schema{OneOf: []*apidef.Schema{
				{Ref: apidef.SchemaRefPrefix + "One"}, {Ref: apidef.SchemaRefPrefix + "Many"}}}}}}}},
	}
	r := httptest.NewRequest("POST", "/d", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/json")
	got, err := New(def).Request(r, def.Operations[0], "/d")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, v := range got {
		k := v.In + v.Name + v.Message
		if seen[k] {
			t.Fatalf("duplicate violation %+v in %+v", v, got)
		}
		seen[k] = true
	}
	if len(got) == 0 {
		t.Fatal("no violations")
	}
}
