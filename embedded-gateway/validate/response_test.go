package validate

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
)

func ref(name string) *apidef.Schema { return &apidef.Schema{Ref: apidef.SchemaRefPrefix + name} }

func responseDef() *apidef.Definition {
	str := func() *apidef.Schema { return &apidef.Schema{Type: []string{"string"}} }
	json := func(s *apidef.Schema) []*apidef.MediaType {
		return []*apidef.MediaType{{Type: "application/json", Schema: s}}
	}
	return &apidef.Definition{
		Title: "responses", Version: "1",
		Schemas: map[string]*apidef.Schema{
			"Pet": {Type: []string{"object"}, Required: []string{"id", "name"}, Properties: map[string]*apidef.Schema{
				"id":   {Type: []string{"integer"}, Format: "int64"},
				"name": {Type: []string{"string"}, MinLength: intp(1)},
				"born": {Type: []string{"string"}, Format: "date"},
			}},
			"Pets":  {Type: []string{"array"}, Items: ref("Pet")},
			"Error": {Type: []string{"object"}, Required: []string{"code", "message"}, Properties: map[string]*apidef.Schema{"code": {Type: []string{"integer"}}, "message": str()}},
			"Cat":   {Type: []string{"object"}, Required: []string{"kind", "meows"}, Properties: map[string]*apidef.Schema{"kind": str(), "meows": {Type: []string{"boolean"}}}},
			"Dog":   {Type: []string{"object"}, Required: []string{"kind", "barks"}, Properties: map[string]*apidef.Schema{"kind": str(), "barks": {Type: []string{"integer"}}}},
		},
		Operations: []*apidef.Operation{
			{ID: "listPets", Method: "GET", Path: "/pets", Responses: []*apidef.Response{
				{Status: "200", Content: json(ref("Pets")), Headers: []*apidef.Header{
					{Name: "X-Rate-Limit", Required: true, Schema: &apidef.Schema{Type: []string{"integer"}, Minimum: ptrf(0)}},
					{Name: "X-Next", Schema: str()},
				}},
				{Status: "4XX", Content: []*apidef.MediaType{{Type: "application/problem+json", Schema: ref("Error")}}},
				{Status: "default", Content: json(ref("Error"))},
			}},
			{ID: "getPet", Method: "GET", Path: "/pets/{id}", Responses: []*apidef.Response{
				{Status: "200", Content: json(ref("Pet"))},
				{Status: "404"},
			}},
			{ID: "deletePet", Method: "DELETE", Path: "/pets/{id}", Responses: []*apidef.Response{{Status: "204"}}},
			{ID: "getAnimal", Method: "GET", Path: "/animals/{id}", Responses: []*apidef.Response{
				{Status: "2xx", Content: []*apidef.MediaType{
					{Type: "application/*", Schema: &apidef.Schema{OneOf: []*apidef.Schema{ref("Cat"), ref("Dog")},
						Discriminator: &apidef.Discriminator{PropertyName: "kind", Mapping: map[string]string{"cat": apidef.SchemaRefPrefix + "Cat", "dog": apidef.SchemaRefPrefix + "Dog"}}}},
					{Type: "text/plain", Schema: str()},
				}},
			}},
			{ID: "onlyDefault", Method: "GET", Path: "/only-default", Responses: []*apidef.Response{
				{Status: "default", Content: json(ref("Error"))},
			}},
		},
	}
}

func TestResponse(t *testing.T) {
	def := responseDef()
	v := New(def)
	jsonH := func(kv ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name   string
		op     int
		method string
		status int
		header http.Header
		body   string
		want   []string // "in:name" of each violation, in order
	}{
		{"valid list", 0, "", 200, jsonH("X-Rate-Limit", "10"), `[{"id":1,"name":"rex","born":"2020-01-02"}]`, nil},
		{"charset parameter is fine", 0, "", 200, http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Rate-Limit": {"1"}}, `[]`, nil},
		{"nested body error names a pointer", 0, "", 200, jsonH("X-Rate-Limit", "1"), `[{"id":1,"name":"rex"},{"id":"two","name":"x"}]`, []string{"body:/1/id"}},
		{"format is asserted", 0, "", 200, jsonH("X-Rate-Limit", "1"), `[{"id":1,"name":"rex","born":"yesterday"}]`, []string{"body:/0/born"}},
		{"missing required property", 0, "", 200, jsonH("X-Rate-Limit", "1"), `[{"id":1}]`, []string{"body:/0"}},
		{"missing required header", 0, "", 200, jsonH(), `[]`, []string{"header:X-Rate-Limit"}},
		{"invalid header value", 0, "", 200, jsonH("X-Rate-Limit", "-3"), `[]`, []string{"header:X-Rate-Limit"}},
		{"range response", 0, "", 418, http.Header{"Content-Type": {"application/problem+json"}}, `{"code":418,"message":"teapot"}`, nil},
		{"range response, wrong media type", 0, "", 418, jsonH(), `{"code":418,"message":"teapot"}`, []string{"header:Content-Type"}},
		{"default response", 0, "", 503, jsonH(), `{"code":503,"message":"down"}`, nil},
		{"default response, invalid body", 0, "", 503, jsonH(), `{"code":"x"}`, []string{"body:", "body:/code"}},
		{"undeclared status", 1, "", 500, jsonH(), `{}`, []string{"status:500"}},
		{"wrong media type", 1, "", 200, http.Header{"Content-Type": {"text/html"}}, `<p>hi</p>`, []string{"header:Content-Type"}},
		{"no content type", 1, "", 200, http.Header{}, `{"id":1,"name":"a"}`, []string{"header:Content-Type"}},
		{"empty body where content is declared", 1, "", 200, jsonH(), ``, []string{"body:"}},
		{"malformed JSON", 1, "", 200, jsonH(), `{"id":`, []string{"body:"}},
		{"HEAD needs no body", 1, "HEAD", 200, jsonH(), ``, nil},
		{"declared response without content", 1, "", 404, http.Header{}, ``, nil},
		{"body where none is declared", 2, "", 204, http.Header{}, ``, nil},
		{"undeclared body", 1, "", 404, http.Header{"Content-Type": {"text/plain"}}, `gone`, []string{"body:"}},
		{"lower-case range and media range", 3, "", 201, http.Header{"Content-Type": {"application/vnd.pets+json"}}, `{"kind":"cat","meows":true}`, nil},
		{"discriminator names the branch", 3, "", 200, jsonH(), `{"kind":"dog","barks":"loud"}`, []string{"body:/barks"}},
		{"text body", 3, "", 200, http.Header{"Content-Type": {"text/plain"}}, `hello`, nil},
		{"only a default response: valid", 4, "", 200, jsonH(), `{"code":1,"message":"ok"}`, nil},
		{"only a default response: invalid", 4, "", 200, jsonH(), `{"code":1}`, []string{"body:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Response(def.Operations[tt.op], tt.method, tt.status, tt.header, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, g := range got {
				keys = append(keys, g.In+":"+g.Name)
				if g.Message == "" {
					t.Errorf("violation without message: %+v", g)
				}
			}
			if strings.Join(keys, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("violations %v, want %v (%+v)", keys, tt.want, got)
			}
		})
	}
}

func TestResponseMessages(t *testing.T) {
	def := responseDef()
	v := New(def)
	tests := []struct {
		name   string
		op     int
		status int
		header http.Header
		body   string
		want   string
	}{
		{"undeclared status lists the declared ones", 1, 500, nil, ``, "status 500 is not declared for operation getPet (declared: 200, 404)"},
		{"wrong media type lists the declared ones", 1, 200, http.Header{"Content-Type": {"text/html; charset=utf-8"}}, `x`, `media type "text/html" is not declared for the 200 response (declared: application/json)`},
		{"missing header is named", 0, 200, http.Header{"Content-Type": {"application/json"}}, `[]`, "X-Rate-Limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Response(def.Operations[tt.op], "", tt.status, tt.header, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || !strings.Contains(got[0].Message, tt.want) {
				t.Fatalf("got %+v, want a message containing %q", got, tt.want)
			}
		})
	}
}

func TestFindResponse(t *testing.T) {
	op := responseDef().Operations[0]
	tests := []struct {
		name   string
		status int
		want   string
	}{
		{"exact", 200, "200"},
		{"range", 404, "4XX"},
		{"default", 500, "default"},
		{"default for other successes", 201, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FindResponse(op, tt.status); got == nil || got.Status != tt.want {
				t.Fatalf("FindResponse(%d) = %+v, want %s", tt.status, got, tt.want)
			}
		})
	}
	if got := FindResponse(responseDef().Operations[1], 500); got != nil {
		t.Fatalf("FindResponse(500) on getPet = %+v, want nil", got)
	}
}

func TestResponseConcurrent(t *testing.T) {
	def := responseDef()
	v := New(def)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				got, err := v.Response(def.Operations[1], "", 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"id":1}`))
				if err != nil || len(got) != 1 {
					t.Errorf("got %+v, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkResponse(b *testing.B) {
	def := responseDef()
	v := New(def)
	h := http.Header{"Content-Type": {"application/json"}, "X-Rate-Limit": {"5"}}
	body := []byte(`[{"id":1,"name":"rex"},{"id":2,"name":"tom","born":"2020-01-02"}]`)
	for b.Loop() {
		if vs, err := v.Response(def.Operations[0], "", 200, h, body); err != nil || len(vs) > 0 {
			b.Fatal(vs, err)
		}
	}
}
