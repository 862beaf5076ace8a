package transform

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestParsePointer(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Pointer
		wantErr bool
	}{
		{name: "whole document", in: "", want: Pointer{}},
		{name: "root member with empty name", in: "/", want: Pointer{""}},
		{name: "simple", in: "/a/b", want: Pointer{"a", "b"}},
		{name: "array index", in: "/items/0", want: Pointer{"items", "0"}},
		{name: "escaped slash", in: "/a~1b", want: Pointer{"a/b"}},
		{name: "escaped tilde", in: "/m~0n", want: Pointer{"m~n"}},
		{name: "~01 is ~1 not /", in: "/~01", want: Pointer{"~1"}},
		{name: "empty tokens", in: "//x/", want: Pointer{"", "x", ""}},
		{name: "append marker", in: "/tags/-", want: Pointer{"tags", "-"}},
		{name: "unicode", in: "/é/ü", want: Pointer{"é", "ü"}},
		{name: "no leading slash", in: "a/b", wantErr: true},
		{name: "bare tilde", in: "/a~", wantErr: true},
		{name: "bad escape", in: "/a~2", wantErr: true},
		{name: "fragment form is not accepted", in: "#/a", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePointer(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParsePointer(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ParsePointer(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if s := got.String(); s != tc.in {
				t.Errorf("String() = %q, want %q", s, tc.in)
			}
		})
	}
}

func FuzzParsePointer(f *testing.F) {
	for _, s := range []string{"", "/", "/a/b", "/a~1b/~0", "/~01", "~", "/a~", "/items/-", "//", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePointer(s)
		if err != nil {
			return
		}
		// A pointer that parses prints back to the same text...
		if got := p.String(); got != s {
			t.Fatalf("ParsePointer(%q).String() = %q", s, got)
		}
		// ...and any tokens survive a trip through the text form.
		q, err := ParsePointer(Pointer{s, "~/" + s}.String())
		if err != nil || !slices.Equal(q, Pointer{s, "~/" + s}) {
			t.Fatalf("tokens %q did not round-trip: %q, %v", s, q, err)
		}
		// Using it on a document never panics.
		var doc any = map[string]any{"a": []any{1.0, map[string]any{"b": "c"}}, "": "x"}
		_, _ = p.get(doc)
		if len(p) > 0 {
			doc, _ = removeIn(doc, p)
		}
		_, _ = setIn(doc, p, "v", true)
	})
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPointerOperations(t *testing.T) {
	const doc = `{"a": {"b": 1}, "list": [10, 20, 30], "s": "x"}`
	tests := []struct {
		name   string
		op     string // get, set, insert, remove
		ptr    string
		value  string
		want   string // the document (or the value for get) afterwards
		wantOK bool
	}{
		{name: "get nested", op: "get", ptr: "/a/b", want: `1`, wantOK: true},
		{name: "get array element", op: "get", ptr: "/list/2", want: `30`, wantOK: true},
		{name: "get out of range", op: "get", ptr: "/list/3"},
		{name: "get leading zero index", op: "get", ptr: "/list/01"},
		{name: "get through a string", op: "get", ptr: "/s/0"},
		{name: "set replaces", op: "set", ptr: "/a/b", value: `2`, want: `{"a": {"b": 2}, "list": [10, 20, 30], "s": "x"}`, wantOK: true},
		{name: "set creates objects", op: "set", ptr: "/n/m", value: `true`, want: `{"a": {"b": 1}, "list": [10, 20, 30], "s": "x", "n": {"m": true}}`, wantOK: true},
		{name: "set replaces element", op: "set", ptr: "/list/0", value: `1`, want: `{"a": {"b": 1}, "list": [1, 20, 30], "s": "x"}`, wantOK: true},
		{name: "set appends with -", op: "set", ptr: "/list/-", value: `40`, want: `{"a": {"b": 1}, "list": [10, 20, 30, 40], "s": "x"}`, wantOK: true},
		{name: "set appends at length", op: "set", ptr: "/list/3", value: `40`, want: `{"a": {"b": 1}, "list": [10, 20, 30, 40], "s": "x"}`, wantOK: true},
		{name: "set past the end fails", op: "set", ptr: "/list/5", value: `40`, want: doc},
		{name: "set below a string fails", op: "set", ptr: "/s/t", value: `1`, want: doc},
		{name: "set whole document", op: "set", ptr: "", value: `[1]`, want: `[1]`, wantOK: true},
		{name: "insert shifts", op: "insert", ptr: "/list/1", value: `15`, want: `{"a": {"b": 1}, "list": [10, 15, 20, 30], "s": "x"}`, wantOK: true},
		{name: "remove member", op: "remove", ptr: "/a/b", want: `{"a": {}, "list": [10, 20, 30], "s": "x"}`, wantOK: true},
		{name: "remove element", op: "remove", ptr: "/list/1", want: `{"a": {"b": 1}, "list": [10, 30], "s": "x"}`, wantOK: true},
		{name: "remove missing", op: "remove", ptr: "/zz", want: doc},
		{name: "remove - is not an index", op: "remove", ptr: "/list/-", want: doc},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePointer(tc.ptr)
			if err != nil {
				t.Fatal(err)
			}
			d := decode(t, doc)
			var got any
			var ok bool
			switch tc.op {
			case "get":
				got, ok = p.get(d)
				if !ok {
					got = nil
				}
			case "set", "insert":
				got, ok = setIn(d, p, decode(t, tc.value), tc.op == "insert")
			case "remove":
				got, ok = removeIn(d, p)
			}
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if tc.want != "" && !reflect.DeepEqual(got, decode(t, tc.want)) {
				t.Errorf("got %v, want %s", got, tc.want)
			}
		})
	}
}
