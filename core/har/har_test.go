package har

import (
	"bytes"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// fixtures is a fixed set of exchanges covering what HAR can carry.
func fixtures() map[string]*model.Exchange {
	return map[string]*model.Exchange{
		"JSON body": {
			ID: "01JPBZ2S5Q0000000000000001", StartedAt: t0, Duration: 12345678 * time.Nanosecond,
			API: "petstore", Operation: "createPet", Mode: "mock", ClientAddr: "127.0.0.1:50123",
			Method: "POST", URL: "/pets", Host: "localhost:8080", Proto: "HTTP/1.1",
			RequestHeaders: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json", "*/*"}},
			RequestBody:    []byte(`{"name":"Rex","tag":"dog"}`), RequestSize: 26,
			Status:          201,
			ResponseHeaders: http.Header{"Content-Type": {"application/json"}, "Location": {"/pets/1"}},
			ResponseBody:    []byte(`{"id":1,"name":"Rex","tag":"dog"}`), ResponseSize: 33,
			Violations: []model.Violation{{In: "body", Name: "/tag", Message: "must be one of cat, dog"}},
			Warnings:   []string{"example invalid; generated one instead"},
		},
		"binary body": {
			ID: "01JPBZ2S5Q0000000000000002", StartedAt: t0.Add(time.Second), Duration: time.Millisecond,
			Method: "GET", URL: "/pets/1/photo", Scheme: "https", Host: "localhost:8080", Proto: "HTTP/1.1", Mode: "proxy",
			Status:          200,
			ResponseHeaders: http.Header{"Content-Type": {"image/png"}},
			ResponseBody:    []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff}, ResponseSize: 10,
		},
		"query string": {
			ID: "01JPBZ2S5Q0000000000000003", StartedAt: t0.Add(2 * time.Second), Duration: 3 * time.Millisecond,
			Method: "GET", URL: "/pets?limit=10&tag=big+dog&tag=caf%C3%A9&empty=", Host: "api.example.test", Proto: "HTTP/2.0",
			Status: 200, ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
			ResponseBody: []byte(`[]`), ResponseSize: 2,
		},
		"cookies": {
			ID: "01JPBZ2S5Q0000000000000004", StartedAt: t0.Add(3 * time.Second), Duration: 4 * time.Millisecond,
			Method: "GET", URL: "/login", Host: "localhost:8080", Proto: "HTTP/1.1",
			RequestHeaders: http.Header{"Cookie": {"session=[REDACTED]; theme=dark"}},
			Status:         302,
			ResponseHeaders: http.Header{
				"Location":   {"/home"},
				"Set-Cookie": {"session=[REDACTED]; Path=/; Domain=example.test; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly; Secure", "theme=light"},
			},
		},
		"truncated body": {
			ID: "01JPBZ2S5Q0000000000000005", StartedAt: t0.Add(4 * time.Second), Duration: 5 * time.Millisecond,
			Method: "PUT", URL: "/upload", Host: "localhost:8080", Proto: "HTTP/1.1",
			RequestHeaders: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			RequestBody:    []byte("héllo wörld"[:2]), RequestSize: 1 << 20, // cut inside "é"
			Status: 413, ResponseHeaders: http.Header{"Content-Type": {"text/plain"}},
			ResponseBody: []byte("too large, too lar"), ResponseSize: 200_000,
		},
		"https": {
			ID: "01JPBZ2S5Q0000000000000006", StartedAt: t0.Add(5 * time.Second), Duration: 6 * time.Millisecond,
			Method: "DELETE", URL: "/pets/1?x=1", Scheme: "https", Host: "secure.example.test", Proto: "HTTP/1.1",
			Status: 204,
		},
	}
}

func TestRoundTrip(t *testing.T) {
	for name, x := range fixtures() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, FromExchanges([]*model.Exchange{x}, "test")); err != nil {
				t.Fatal(err)
			}
			h, err := Parse(&buf)
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			got, err := ToExchanges(h)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d exchanges", len(got))
			}
			want := *x
			if !got[0].StartedAt.Equal(want.StartedAt) {
				t.Errorf("StartedAt %v, want %v", got[0].StartedAt, want.StartedAt)
			}
			got[0].StartedAt = want.StartedAt
			if !reflect.DeepEqual(*got[0], want) {
				t.Errorf("round trip differs\n got %+v\nwant %+v", *got[0], want)
			}
		})
	}
}

func TestFromExchangesDetails(t *testing.T) {
	fx := fixtures()
	xs := []*model.Exchange{fx["truncated body"], nil, fx["cookies"], fx["query string"], fx["binary body"], fx["JSON body"]}
	h := FromExchanges(xs, "1.0.0")
	if len(h.Log.Entries) != 5 {
		t.Fatalf("%d entries", len(h.Log.Entries))
	}
	for i := 1; i < len(h.Log.Entries); i++ {
		if h.Log.Entries[i-1].StartedDateTime > h.Log.Entries[i].StartedDateTime {
			t.Errorf("entries out of order at %d", i)
		}
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"creator", h.Log.Creator, Creator{Name: "Gantry", Version: "1.0.0"}},
		{"started", h.Log.Entries[0].StartedDateTime, "2026-03-14T15:09:26.535Z"},
		{"url", h.Log.Entries[0].Request.URL, "http://localhost:8080/pets"},
		{"postData", *h.Log.Entries[0].Request.PostData, PostData{MimeType: "application/json", Text: `{"name":"Rex","tag":"dog"}`}},
		{"time", h.Log.Entries[0].Time, 12.345678},
		{"timings", h.Log.Entries[0].Timings, Timings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Wait: 12.345678}},
		{"redirect", h.Log.Entries[3].Response.RedirectURL, "/home"},
		{"binary encoding", h.Log.Entries[1].Response.Content.Encoding, "base64"},
		{"query", h.Log.Entries[2].Request.QueryString, []QueryString{{Name: "limit", Value: "10"}, {Name: "tag", Value: "big dog"}, {Name: "tag", Value: "café"}, {Name: "empty", Value: ""}}},
		{"request cookies", h.Log.Entries[3].Request.Cookies, []Cookie{{Name: "session", Value: "[REDACTED]"}, {Name: "theme", Value: "dark"}}},
		{"response cookies", h.Log.Entries[3].Response.Cookies, []Cookie{
			{Name: "session", Value: "[REDACTED]", Path: "/", Domain: "example.test", Expires: "2026-10-21T07:28:00.000Z", HTTPOnly: true, Secure: true},
			{Name: "theme", Value: "light"},
		}},
		{"truncated flags", [2]bool{h.Log.Entries[4].Gantry.RequestTruncated, h.Log.Entries[4].Gantry.ResponseTruncated}, [2]bool{true, true}},
		{"truncated sizes", [2]int64{h.Log.Entries[4].Request.BodySize, h.Log.Entries[4].Response.Content.Size}, [2]int64{1 << 20, 200_000}},
		{"headersSize", h.Log.Entries[0].Request.HeadersSize, int64(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestGolden(t *testing.T) {
	var xs []*model.Exchange
	for _, x := range fixtures() {
		xs = append(xs, x)
	}
	var buf bytes.Buffer
	if err := Write(&buf, FromExchanges(xs, "0.0.0-test")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "export.golden.har")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("export differs from %s (run with -update if the change is intended)\n%s", path, buf.String())
	}
	// The golden file itself parses and converts.
	h, err := Parse(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ToExchanges(h); err != nil || len(got) != len(xs) {
		t.Fatalf("ToExchanges: %d, %v", len(got), err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"not-json.bad.har", "invalid JSON at line 3, column"},
		{"truncated.bad.har", "the document ends too early"},
		{"no-log.bad.har", `missing the top-level "log" object`},
		{"version-2.bad.har", `log.version is "2.0"; only HAR 1.x is supported`},
		{"no-entries.bad.har", "log.entries is missing"},
		{"no-method.bad.har", "log.entries[1]: missing request.method"},
		{"empty-method.bad.har", "log.entries[0]: missing request.method"},
		{"no-response.bad.har", "log.entries[0]: missing response"},
		{"relative-url.bad.har", `log.entries[0].request.url "/pets": not an absolute http or https URL`},
		{"bad-date.bad.har", `log.entries[0].startedDateTime "yesterday" is not an ISO 8601 date-time`},
		{"status-string.bad.har", "log.entries.response.status at line 9, column 37: a JSON string where a number belongs"},
		{"bad-encoding.bad.har", `log.entries[0].response.content: encoding "gzip" is not supported`},
		{"bad-base64.bad.har", "log.entries[0].response.content: text is not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = Parse(f)
			if err == nil {
				t.Fatal("parsed without error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseForeign(t *testing.T) {
	// A browser-style entry: HTTP/2 pseudo-headers, no _gantry, timings without optional phases.
	const doc = `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"entries":[{
	  "startedDateTime":"2026-03-14T16:09:26.535+01:00","time":50.5,
	  "request":{"method":"POST","url":"https://shop.test/cart#frag","httpVersion":"h2",
	    "headers":[{"name":":authority","value":"shop.test"},{"name":"content-type","value":"application/x-www-form-urlencoded"},{"name":"host","value":"shop.test"}],
	    "queryString":[],"cookies":[],"headersSize":-1,"bodySize":-1,
	    "postData":{"mimeType":"application/x-www-form-urlencoded","params":[{"name":"item","value":"a b"},{"name":"qty","value":"2"}]}},
	  "response":{"status":200,"statusText":"OK","httpVersion":"h2","headers":[],"cookies":[],
	    "content":{"size":5,"mimeType":"text/plain","text":"aGVsbG8=","encoding":"base64"},"redirectURL":"","headersSize":-1,"bodySize":-1},
	  "cache":{},"timings":{"send":1,"wait":49,"receive":0.5}}]}}`
	h, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if tm := h.Log.Entries[0].Timings; tm.Blocked != -1 || tm.DNS != -1 || tm.Connect != -1 || tm.SSL != -1 || tm.Wait != 49 {
		t.Errorf("timings %+v", tm)
	}
	xs, err := ToExchanges(h)
	if err != nil {
		t.Fatal(err)
	}
	x := xs[0]
	want := &model.Exchange{
		StartedAt: time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC), Duration: 50500 * time.Microsecond,
		Method: "POST", URL: "/cart", Scheme: "https", Host: "shop.test", Proto: "h2",
		RequestHeaders: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		RequestBody:    []byte("item=a+b&qty=2"), RequestSize: 14,
		Status: 200, ResponseBody: []byte("hello"), ResponseSize: 5,
	}
	if !x.StartedAt.Equal(want.StartedAt) {
		t.Errorf("StartedAt %v", x.StartedAt)
	}
	x.StartedAt = want.StartedAt
	if !reflect.DeepEqual(x, want) {
		t.Errorf("got  %+v\nwant %+v", x, want)
	}
}
