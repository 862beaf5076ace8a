package sqlite

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestAppendHeaderJSONMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
	}{
		{"nil", nil},
		{"empty", http.Header{}},
		{"nil values", http.Header{"X-Nil": nil, "X-Empty": {}}},
		{"sorted keys", http.Header{"Zeta": {"1"}, "Alpha": {"2", "3"}, "Mid": {""}}},
		{"escapes", http.Header{"X": {"quote\" backslash\\ nl\n cr\r tab\t bs\b ff\f nul\x00 us\x1f del\x7f"}}},
		{"html", http.Header{"<k&>": {"<script>&amp;</script>"}}},
		{"unicode", http.Header{"X": {"héllo wörld ✓ 日本 \u2028 \u2029 emoji 🚀"}}},
		{"invalid utf8", http.Header{"X\xff": {"a\xc3(b", "\xed\xa0\x80", "trail\xe2\x82"}}},
		{"many keys", func() http.Header {
			h := http.Header{}
			for _, k := range []string{"Accept", "Content-Type", "User-Agent", "Authorization", "X-Request-Id", "Accept-Encoding",
				"Date", "Cache-Control", "Etag", "Vary", "Via", "Server", "Connection", "Host", "Origin", "Referer", "Cookie", "Traceparent"} {
				h[k] = []string{k + "-value"}
			}
			return h
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendHeaderJSON(nil, tc.h); string(got) != string(want) {
				t.Errorf("appendHeaderJSON = %s\nencoding/json   = %s", got, want)
			}
		})
	}
}

// FuzzHeaderJSON checks that captured headers (outside input: any bytes a client sends)
// encode exactly as encoding/json would, so they always decode back.
func FuzzHeaderJSON(f *testing.F) {
	f.Add("Content-Type", "application/json", "X", "a\"b\\c<d>&\u2028\xff")
	f.Add("", "", "\x00", "\x7f\x80")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		h := http.Header{k1: {v1, v2}, k2: {v2}}
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		got := appendHeaderJSON(nil, h)
		if string(got) != string(want) {
			t.Fatalf("appendHeaderJSON = %q\nencoding/json   = %q", got, want)
		}
		var back http.Header
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("does not decode: %v", err)
		}
	})
}
