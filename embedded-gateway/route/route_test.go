package route

import (
	"reflect"
	"testing"
)

func TestLookup(t *testing.T) {
	var tb Table[string]
	for _, r := range []struct{ m, p string }{
		{"GET", "/pets"},
		{"POST", "/pets"},
		{"GET", "/pets/{id}"},
		{"DELETE", "/pets/{id}"},
		{"GET", "/pets/mine"},
		{"GET", "/lists.{format}"},
		{"GET", "/files/{name}.{ext}"},
		{"GET", "/files/{name}"},
		{"PUT", "/users/{user}/repos/{repo}"},
		{"GET", "/"},
		{"PUT", "/<upload_url>"},
		{"GET", "/pets/{petId}/photos"},
	} {
		if err := tb.Add(r.m, r.p, r.m+" "+r.p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		method  string
		path    string
		res     Result
		value   string
		params  map[string]string
		allowed []string
	}{
		{"literal", "GET", "/pets", Found, "GET /pets", nil, nil},
		{"trailing slash", "GET", "/pets/", Found, "GET /pets", nil, nil},
		{"param", "GET", "/pets/42", Found, "GET /pets/{id}", map[string]string{"id": "42"}, nil},
		{"literal beats param", "GET", "/pets/mine", Found, "GET /pets/mine", nil, nil},
		{"literal path falls back to param for other method", "DELETE", "/pets/mine", Found, "DELETE /pets/{id}", map[string]string{"id": "mine"}, nil},
		{"escaped param", "GET", "/pets/a%2Fb", Found, "GET /pets/{id}", map[string]string{"id": "a/b"}, nil},
		{"in-segment param", "GET", "/lists.json", Found, "GET /lists.{format}", map[string]string{"format": "json"}, nil},
		{"two in-segment params", "GET", "/files/report.tar.gz", Found, "GET /files/{name}.{ext}", map[string]string{"name": "report", "ext": "tar.gz"}, nil},
		{"pattern falls back to whole param", "GET", "/files/README", Found, "GET /files/{name}", map[string]string{"name": "README"}, nil},
		{"nested params", "PUT", "/users/ann/repos/gantry", Found, "PUT /users/{user}/repos/{repo}", map[string]string{"user": "ann", "repo": "gantry"}, nil},
		{"root", "GET", "/", Found, "GET /", nil, nil},
		{"escaped literal", "PUT", "/%3Cupload_url%3E", Found, "PUT /<upload_url>", nil, nil},
		{"head falls back to get", "HEAD", "/pets", Found, "GET /pets", nil, nil},
		{"method not allowed", "PATCH", "/pets/1", MethodNotAllowed, "", nil, []string{"DELETE", "GET", "HEAD"}},
		{"unknown path", "GET", "/owners", NotFound, "", nil, nil},
		{"too deep", "GET", "/pets/1/toys", NotFound, "", nil, nil},
		{"parameter named by its own template", "GET", "/pets/5/photos", Found, "GET /pets/{petId}/photos", map[string]string{"petId": "5"}, nil},
		{"empty segment is no param", "GET", "/pets//", Found, "GET /pets", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, res, allowed := tb.Lookup(tt.method, tt.path)
			if res != tt.res {
				t.Fatalf("result %v, want %v", res, tt.res)
			}
			if m.Value != tt.value {
				t.Errorf("value %q, want %q", m.Value, tt.value)
			}
			if len(tt.params) > 0 || len(m.Params) > 0 {
				if !reflect.DeepEqual(m.Params, tt.params) {
					t.Errorf("params %v, want %v", m.Params, tt.params)
				}
			}
			if !reflect.DeepEqual(allowed, tt.allowed) {
				t.Errorf("allowed %v, want %v", allowed, tt.allowed)
			}
		})
	}
}

func TestAddErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"no slash", "pets"},
		{"unclosed", "/pets/{id"},
		{"empty name", "/pets/{}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tb Table[int]
			if err := tb.Add("GET", tt.path, 1); err == nil {
				t.Fatalf("Add(%q) succeeded", tt.path)
			}
		})
	}
	var tb Table[int]
	if err := tb.Add("GET", "/a/{x}", 1); err != nil {
		t.Fatal(err)
	}
	if err := tb.Add("GET", "/a/{y}", 2); err == nil {
		t.Fatal("duplicate template with a renamed parameter was accepted")
	}
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"/pets/1", "/lists.json", "/files/a.b.c", "//", "/%zz", "/users/x/repos/y"} {
		f.Add("GET", s)
	}
	var tb Table[int]
	for i, p := range []string{"/pets/{id}", "/lists.{format}", "/files/{name}.{ext}", "/users/{u}/repos/{r}", "/{a}/{b}/{c}"} {
		if err := tb.Add("GET", p, i); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		m, res, _ := tb.Lookup(method, path)
		if res == Found && m.Template == "" {
			t.Fatalf("found without template for %q", path)
		}
	})
}

func FuzzAdd(f *testing.F) {
	for _, s := range []string{"/pets/{id}", "/lists.{format}", "/{a}{b}", "/x/{", "/{}"} {
		f.Add(s, "/pets/1")
	}
	f.Fuzz(func(t *testing.T, tmpl, path string) {
		var tb Table[int]
		if err := tb.Add("GET", tmpl, 1); err != nil {
			return
		}
		tb.Lookup("GET", path)
	})
}

func BenchmarkLookup(b *testing.B) {
	var tb Table[int]
	for i, p := range []string{"/pets", "/pets/{id}", "/pets/{id}/toys", "/owners/{o}/pets/{p}", "/lists.{format}"} {
		_ = tb.Add("GET", p, i)
	}
	b.ReportAllocs()
	for b.Loop() {
		tb.Lookup("GET", "/owners/7/pets/9")
	}
}
