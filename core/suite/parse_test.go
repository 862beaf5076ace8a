package suite

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, got)
	}
}

// comparable renders a request without where it came from, for round-trip comparisons.
func comparable(t *testing.T, r *Request) string {
	t.Helper()
	c := *r
	c.Source = Location{}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGood(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "parse", "*.good.yaml"))
	if len(files) == 0 {
		t.Fatal("no good fixtures")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, err := ParseRequest(path, readFile(t, path))
			if err != nil {
				t.Fatal(err)
			}
			out, err := MarshalRequest(r)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(path, ".good.yaml")+".golden.yaml", out)
			back, err := ParseRequest(path, out)
			if err != nil {
				t.Fatalf("the written file does not parse: %v\n%s", err, out)
			}
			if a, b := comparable(t, r), comparable(t, back); a != b {
				t.Fatalf("round trip changed the request:\n%s\n%s", a, b)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	path := filepath.Join("testdata", "parse", "full.good.yaml")
	r, err := ParseRequest(path, readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"method is upper-cased", r.Method, "POST"},
		{"url", r.URL, "{{baseUrl}}/pets"},
		{"header number is text", r.Headers["X-Request-Id"], "42"},
		{"query list", strings.Join(r.Query["tags"], ","), "cat,small"},
		{"query boolean is text", strings.Join(r.Query["dryRun"], ","), "false"},
		{"body keeps key order", string(r.Body.JSON), `{"id":7,"name":"{{petName}}","tag":null,"owner":{"names":["ann","bob"]}}`},
		{"capture pointer", r.Capture["petId"], "/id"},
		{"capture header", r.Capture["location"], "header:Location"},
		{"status class is lower case", r.Assert[1].Status, "2xx"},
		{"header equals is text", string(r.Assert[3].Equals), `"10"`},
		{"bare header check", r.Assert[4].Kind(), KindHeader},
		{"root pointer", *r.Assert[9].JSONPointer, ""},
		{"kind of schemaValid", r.Assert[10].Kind(), KindSchemaValid},
		{"assertion in words", r.Assert[2].String(), "header Content-Type matches ^application/json"},
		{"default name is the file name", mustParse(t, "requests/pets/02-list.yaml", "url: /pets\n").Name, "02-list"},
		{"default method", mustParse(t, "x.yaml", "url: /pets\n").Method, "GET"},
		{"text body", mustParse(t, "x.yaml", "url: /x\nbody: hello\n").Body.Text, "hello"},
		{"number body is JSON", string(mustParse(t, "x.yaml", "url: /x\nbody: 12\n").Body.JSON), "12"},
		{"empty body is none", boolText(mustParse(t, "x.yaml", "url: /x\nbody:\n").Body == nil), "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if pos := r.Position("headers.Authorization"); pos.Line != 7 || pos.Column != 18 {
		t.Errorf("headers.Authorization at %+v, want 7:18", pos)
	}
	if pos := r.Position("body.owner.names[1]"); pos.Line != 17 {
		t.Errorf("body.owner.names[1] at %+v, want line 17", pos)
	}
}

func mustParse(t *testing.T, name, text string) *Request {
	t.Helper()
	r, err := ParseRequest(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestParseBad checks that every problem of a bad file is reported with file, line,
// column and field (testdata/parse/*.bad.golden).
func TestParseBad(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "parse", "*.bad.yaml"))
	if len(files) == 0 {
		t.Fatal("no bad fixtures")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, err := ParseRequest(filepath.ToSlash(path), readFile(t, path))
			if err == nil {
				t.Fatalf("parsed without problems: %+v", r)
			}
			var ps Problems
			if !errorsAs(err, &ps) {
				t.Fatalf("error %T is not Problems: %v", err, err)
			}
			for _, p := range ps {
				if p.File == "" || p.Message == "" {
					t.Errorf("problem without file or message: %+v", p)
				}
			}
			golden(t, strings.TrimSuffix(path, ".yaml")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

func errorsAs(err error, ps *Problems) bool {
	p, ok := err.(Problems)
	if ok {
		*ps = p
	}
	return ok
}

func TestMarshalIsStable(t *testing.T) {
	r := &Request{
		Name:    "many keys",
		URL:     "/x",
		Headers: map[string]string{"Z": "1", "A": "2", "M": "3"},
		Query:   map[string][]string{"b": {"1"}, "a": {"2", "3"}},
		Capture: map[string]string{"z": "/z", "a": "/a"},
		Body:    &Body{JSON: json.RawMessage(`{"z":1,"a":{"y":[true,null,"{{a}}"]}}`)},
		Assert:  []Assertion{{Status: "200"}, {JSONPointer: ptr("/a/y/0"), Equals: json.RawMessage(`true`)}},
	}
	first, err := MarshalRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, err := MarshalRequest(r)
		if err != nil || !bytes.Equal(first, again) {
			t.Fatalf("output %d differs:\n%s\n%s", i, first, again)
		}
	}
	want := "name: many keys\nmethod: GET\nurl: /x\nheaders:\n  A: \"2\"\n  M: \"3\"\n  Z: \"1\"\nquery:\n  a:\n    - \"2\"\n    - \"3\"\n  b: \"1\"\n"
	if !strings.HasPrefix(string(first), want) {
		t.Fatalf("unexpected layout:\n%s", first)
	}
	back, err := ParseRequest("x.yaml", first)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Body.JSON) != string(r.Body.JSON) {
		t.Fatalf("body changed: %s", back.Body.JSON)
	}
}

func ptr(s string) *string { return &s }

// FuzzParseRequest checks that the parser never panics, and that whatever it accepts is
// written back to a file that parses to the same request (and is written the same again).
func FuzzParseRequest(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "parse", "*.yaml"))
	for _, path := range files {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("url: /x\nbody: |\n  line one\n  line two\n"))
	f.Add([]byte("url: /x\nbody: {a: -0, b: 1e400, c: 0x1F, d: .5}\n"))
	f.Add([]byte("url: /x\nheaders: {X: '  spaced  '}\nassert: [{jsonPointer: /a~1b, equals: {k: [1, '2']}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRequest("fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(Problems); !ok {
				t.Fatalf("error %T is not Problems: %v", err, err)
			}
			return
		}
		out, err := MarshalRequest(r)
		if err != nil {
			t.Fatalf("an accepted request cannot be written: %v", err)
		}
		back, err := ParseRequest("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("the written request does not parse: %v\n%s", err, out)
		}
		if a, b := comparable(t, r), comparable(t, back); a != b {
			t.Fatalf("round trip changed the request:\n%s\n%s\nwritten:\n%s", a, b, out)
		}
		again, err := MarshalRequest(back)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("writing is not stable:\n%s\n%s", out, again)
		}
	})
}
