package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
)

// seed stores xs in the workspace db.
func seed(t *testing.T, db string, xs ...*model.Exchange) {
	t.Helper()
	st, err := sqlite.Open(db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AppendExchanges(context.Background(), xs); err != nil {
		t.Fatal(err)
	}
}

// exchange returns a typical captured exchange with the given ID.
func exchange(id string) *model.Exchange {
	return &model.Exchange{
		ID: id, StartedAt: time.Now(), Duration: 1234 * time.Microsecond,
		API: "pets", Operation: "createPet", Mode: "mock", Consumer: "alice", ClientAddr: "127.0.0.1:5000",
		Scheme: "http", Method: "POST", URL: "/v1/pets?tag=dog", Host: "pets.example", Proto: "HTTP/1.1",
		RequestHeaders: http.Header{
			"Content-Type":  {"application/json"},
			"Authorization": {"Bearer " + capture.Redacted},
			"Connection":    {"keep-alive, X-Hop"},
			"X-Hop":         {"1"},
			"X-Trace":       {"it's \"quoted\""},
		},
		RequestBody: []byte(`{"name":"Rex","note":"it's $HOME"}`), RequestSize: 34,
		Status:          201,
		ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
		ResponseBody:    []byte(`{"id":7,"name":"Rex"}`), ResponseSize: 21,
		Violations: []model.Violation{{In: "body", Name: "/name", Message: "must be at least 4 characters"}},
		Warnings:   []string{"example invalid"},
	}
}

func TestTrafficShow(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ws.db")
	x := exchange("01JAAAAAAAAAAAAAAAAAAAAAAA")
	gz := exchange("01JBBBBBBBBBBBBBBBBBBBBBB1")
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write([]byte(`{"zipped":true}`))
	_ = zw.Close()
	gz.Method, gz.RequestBody, gz.RequestSize, gz.Violations, gz.Warnings = "GET", nil, 0, nil, nil
	gz.ResponseHeaders = http.Header{"Content-Encoding": {"gzip"}, "Content-Type": {"application/json"}}
	gz.ResponseBody, gz.ResponseSize = zb.Bytes(), int64(zb.Len())
	evil := exchange("01JBBBBBBBBBBBBBBBBBBBBBB2")
	evil.URL = "/x\x1b[2J"
	evil.ResponseHeaders = http.Header{"Content-Type": {"text/plain"}}
	evil.ResponseBody, evil.ResponseSize = []byte("line\x1b]0;pwned\x07\r\nnext"), 100
	seed(t, db, x, gz, evil)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		notOut   []string
		wantErr  string
	}{
		{name: "exact ID", args: []string{x.ID}, wantOut: []string{
			"POST /v1/pets?tag=dog HTTP/1.1\nHost: pets.example\n",
			"Authorization: Bearer [REDACTED]\n",
			"{\n  \"name\": \"Rex\",\n  \"note\": \"it's $HOME\"\n}\n",
			"\nHTTP/1.1 201 Created\nContent-Type: application/json\n\n{\n  \"id\": 7,",
			"Duration   1.23ms\n", "API        pets\n", "Operation  createPet\n", "Consumer   alice\n", "Mode       mock\n",
			"Violations (1):\n  body /name: must be at least 4 characters\n",
			"Warnings (1):\n  example invalid\n",
		}},
		{name: "unique prefix, any case", args: []string{"01jaaa"}, wantOut: []string{"ID         " + x.ID}},
		{name: "gzip body decoded", args: []string{gz.ID}, wantOut: []string{"\"zipped\": true", "gzip-encoded", "Violations none"}},
		{name: "control characters escaped", args: []string{evil.ID}, wantOut: []string{
			`POST /x\x1b[2J HTTP/1.1`, "line\\x1b]0;pwned\\x07\nnext\n(body truncated in the capture: 20 B of 100 B shown)",
		}, notOut: []string{"\x1b", "\x07"}},
		{name: "json", args: []string{x.ID, "--json"}, wantOut: []string{`"id": "` + x.ID + `"`, `"consumer": "alice"`}},
		{name: "ambiguous prefix", args: []string{"01JB"}, wantCode: 1, wantErr: `exchange ID prefix "01JB" is ambiguous: it matches ` + evil.ID + ", " + gz.ID},
		{name: "unknown", args: []string{"01JZZ"}, wantCode: 1, wantErr: `no exchange "01JZZ" in the workspace`},
		{name: "no ID", args: nil, wantCode: 1, wantErr: "accepts 1 arg(s), received 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, append([]string{"traffic", "show"}, tc.args...)...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%q", w, out)
				}
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, errOut)
			}
		})
	}
}

func TestTrafficCurl(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ws.db")
	post := exchange("01JAAAAAAAAAAAAAAAAAAAAAA1")
	get := exchange("01JAAAAAAAAAAAAAAAAAAAAAA2")
	get.Method, get.RequestBody, get.RequestSize = "GET", nil, 0
	get.URL = "/v1/pets?api_key=" + capture.Redacted
	get.RequestHeaders = http.Header{"Accept": {"*/*"}, "Content-Length": {"0"}, "Transfer-Encoding": {"chunked"}}
	put := exchange("01JAAAAAAAAAAAAAAAAAAAAAA3")
	put.Method, put.Scheme = "PUT", "https"
	put.RequestHeaders = http.Header{"Content-Type": {"application/octet-stream"}}
	put.RequestBody, put.RequestSize = []byte("a\x00b'c%d\\e\x1bf\xff"), 100
	head := exchange("01JAAAAAAAAAAAAAAAAAAAAAA4")
	head.Method, head.RequestBody, head.RequestSize, head.RequestHeaders = "HEAD", nil, 0, nil
	noHost := exchange("01JAAAAAAAAAAAAAAAAAAAAAA5")
	noHost.Host = ""
	seed(t, db, post, get, put, head, noHost)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
		wantErr  string
		// wantArgs are the arguments curl gets when the script runs, after "curl".
		wantArgs []string
		// wantStdin is what curl reads on standard input.
		wantStdin string
	}{
		{name: "post with JSON body", args: []string{post.ID}, want: []string{
			"# the Authorization header was redacted in the capture and is left out",
			"curl 'http://pets.example/v1/pets?tag=dog' \\\n  -H 'Content-Type: application/json' \\\n",
			`--data-binary '{"name":"Rex","note":"it'\''s $HOME"}'`,
		}, notWant: []string{"X-Hop", "Connection", "-X POST"}, wantArgs: []string{
			"http://pets.example/v1/pets?tag=dog", "-H", "Content-Type: application/json",
			"-H", `X-Trace: it's "quoted"`, "--data-binary", `{"name":"Rex","note":"it's $HOME"}`,
		}},
		{name: "get with redacted query", args: []string{get.ID}, want: []string{
			"# the URL has query parameters that were redacted", "--globoff",
		}, notWant: []string{"Content-Length", "Transfer-Encoding", "-X", "--data-binary"}, wantArgs: []string{
			"--globoff", "http://pets.example/v1/pets?api_key=[REDACTED]", "-H", "Accept: */*",
		}},
		{name: "binary body through printf", args: []string{put.ID}, want: []string{
			"truncated in the capture", `printf 'a\000b\047c%%d\\e\033f\377' | curl -X PUT 'https://pets.example/`,
		}, notWant: []string{"\x00", "\x1b"}, wantArgs: []string{
			"-X", "PUT", "https://pets.example/v1/pets?tag=dog", "-H", "Content-Type: application/octet-stream", "--data-binary", "@-",
		}, wantStdin: "a\x00b'c%d\\e\x1bf\xff"},
		{name: "head", args: []string{head.ID}, wantArgs: []string{"--head", "http://pets.example/v1/pets?tag=dog"}},
		{name: "target", args: []string{head.ID, "--target", "http://127.0.0.1:9/base/"}, wantArgs: []string{
			"--head", "http://127.0.0.1:9/base/v1/pets?tag=dog",
		}},
		{name: "bad target", args: []string{head.ID, "--target", "ftp://x"}, wantCode: 1, wantErr: `--target "ftp://x"`},
		{name: "no host", args: []string{noHost.ID}, wantCode: 1, wantErr: "has no recorded host; give --target"},
	}
	bash, bashErr := exec.LookPath("bash")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, append([]string{"traffic", "curl"}, tc.args...)...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr lacks %q: %s", tc.wantErr, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
			if tc.wantArgs == nil {
				return
			}
			if bashErr != nil {
				t.Skip("no bash to run the command with")
			}
			// Run the script with a curl that records its arguments and standard input.
			dir := t.TempDir()
			script := "curl() { printf '%s\\0' \"$@\" > args; cat > stdin; }\n" + out
			cmd := exec.Command(bash, "-c", script)
			cmd.Dir = dir
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("running the command: %v\n%s\n%s", err, b, out)
			}
			rawArgs, _ := os.ReadFile(filepath.Join(dir, "args"))
			args := strings.Split(strings.TrimSuffix(string(rawArgs), "\x00"), "\x00")
			if fmt.Sprintf("%q", args) != fmt.Sprintf("%q", tc.wantArgs) {
				t.Errorf("curl got\n%q\nwant\n%q", args, tc.wantArgs)
			}
			if stdin, _ := os.ReadFile(filepath.Join(dir, "stdin")); string(stdin) != tc.wantStdin {
				t.Errorf("curl read %q on stdin, want %q", stdin, tc.wantStdin)
			}
		})
	}
}

func TestTrafficReplay(t *testing.T) {
	type received struct {
		method, uri, host string
		header            http.Header
		body              string
	}
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Method, r.RequestURI, r.Host, r.Header.Clone(), string(body)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Replayed", "yes")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	db := filepath.Join(t.TempDir(), "ws.db")
	x := exchange("01JAAAAAAAAAAAAAAAAAAAAAA1")
	original := exchange("01JAAAAAAAAAAAAAAAAAAAAAA2") // captured with the test server as its host
	original.Method, original.RequestBody, original.RequestSize = "DELETE", nil, 0
	original.Host = strings.TrimPrefix(srv.URL, "http://")
	seed(t, db, x, original)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     received
		wantOut  []string
		wantErr  []string
	}{
		{name: "to target", args: []string{x.ID, "--target", srv.URL + "/prefix"}, want: received{
			method: "POST", uri: "/prefix/v1/pets?tag=dog", host: original.Host, body: string(x.RequestBody),
			header: http.Header{"Content-Type": {"application/json"}, "X-Trace": {`it's "quoted"`}, "Content-Length": {"34"}},
		}, wantOut: []string{"HTTP/1.1 202 Accepted\n", "X-Replayed: yes\n", "{\n  \"ok\": true\n}\n"},
			wantErr: []string{"not sending the Authorization header: it was redacted", "replayed POST " + srv.URL + "/prefix/v1/pets?tag=dog: 202 in", "(captured: 201 in 1.23ms)"}},
		{name: "to the original host", args: []string{original.ID}, want: received{
			method: "DELETE", uri: "/v1/pets?tag=dog", host: original.Host,
			header: http.Header{"Content-Type": {"application/json"}, "X-Trace": {`it's "quoted"`}},
		}, wantOut: []string{"HTTP/1.1 202 Accepted\n"}},
		{name: "transport error", args: []string{x.ID, "--target", closed.URL}, wantCode: 1,
			wantErr: []string{"replaying exchange " + x.ID + " (POST " + closed.URL + "/v1/pets?tag=dog)", "refused"}},
		{name: "unknown exchange", args: []string{"nope"}, wantCode: 1, wantErr: []string{`no exchange "nope"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			code, out, errOut := gantry(t, db, append([]string{"traffic", "replay"}, tc.args...)...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.want.method == "" {
				if len(got) != 0 {
					t.Errorf("the server got %d requests, want none", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("the server got %d requests, want 1", len(got))
			}
			r := got[0]
			if r.method != tc.want.method || r.uri != tc.want.uri || r.host != tc.want.host || r.body != tc.want.body {
				t.Errorf("server got %s %s (Host %s) body %q, want %s %s (Host %s) body %q",
					r.method, r.uri, r.host, r.body, tc.want.method, tc.want.uri, tc.want.host, tc.want.body)
			}
			// Exactly the captured end-to-end headers: nothing redacted, hop-by-hop or added.
			r.header.Del("Accept-Encoding")
			if fmt.Sprint(r.header) != fmt.Sprint(tc.want.header) {
				t.Errorf("server got headers %v, want %v", r.header, tc.want.header)
			}
		})
	}
}

// tailRun runs `gantry traffic tail` with args until the returned stop is called, which
// waits for the command and returns its exit code and output.
func tailRun(t *testing.T, args ...string) (out, errOut *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"traffic", "tail"}, args...), out, errOut) }()
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(10 * time.Second):
				t.Error("tail did not stop")
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return out, errOut, stop
}

// eventually waits up to 5 seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTrafficTailStore(t *testing.T) {
	newX := func(id, method string, status int, started time.Time) *model.Exchange {
		return &model.Exchange{ID: id, StartedAt: started, Method: method, URL: "/v1/" + strings.ToLower(id[13:17]),
			Status: status, API: "pets", Consumer: "bob", Duration: 2500 * time.Microsecond}
	}
	now := time.Now()
	id := func(ms int64, suffix string) string {
		// A ULID-like ID whose time part sorts by ms, like capture.NewID's.
		return fmt.Sprintf("%010d%s", now.UnixMilli()+ms, suffix)
	}
	old := newX(id(-60000, "OLD0000000000000"), "GET", 200, now.Add(-time.Minute))
	recent := newX(id(-1000, "RCNT000000000000"), "GET", 200, now.Add(-time.Second))

	tests := []struct {
		name    string
		args    []string
		later   []*model.Exchange // appended while tail runs, one batch each
		want    []string          // lines, in order
		notWant []string
	}{
		{
			name: "new exchanges only, in order",
			later: []*model.Exchange{
				newX(id(10, "NEW1000000000000"), "GET", 200, now),
				newX(id(20, "NEW2000000000000"), "POST", 404, now),
			},
			want:    []string{"GET     200     2.5ms  pets         /v1/new1  bob", "POST    404"},
			notWant: []string{"/v1/rcnt"},
		},
		{
			name: "filters",
			args: []string{"--status", "4xx", "--method", "post"},
			later: []*model.Exchange{
				newX(id(10, "NEW1000000000000"), "GET", 404, now),
				newX(id(20, "NEW2000000000000"), "POST", 200, now),
				newX(id(30, "NEW3000000000000"), "POST", 418, now),
			},
			want: []string{"POST    418"}, notWant: []string{"GET", " 200 "},
		},
		{
			name: "a slow exchange stored after a newer one",
			later: []*model.Exchange{
				newX(id(50, "FAST000000000000"), "GET", 200, now),
				newX(id(5, "SLOW000000000000"), "PUT", 503, now),
			},
			want: []string{"GET     200", "PUT     503"},
		},
		{
			name: "limit prints the newest stored first",
			args: []string{"--limit", "1"},
			later: []*model.Exchange{
				newX(id(10, "NEW1000000000000"), "DELETE", 204, now),
			},
			want: []string{"GET     200", "DELETE  204"}, notWant: []string{"/v1/old0"},
		},
		{
			name:  "json lines",
			args:  []string{"--json"},
			later: []*model.Exchange{newX(id(10, "NEW1000000000000"), "GET", 200, now)},
			want:  []string{`"id":"` + id(10, "NEW1000000000000") + `"`, `"durationMs":2.5`, `"consumer":"bob"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "ws.db")
			seed(t, db, old, recent)
			out, errOut, stop := tailRun(t, append(tc.args, "--db", db)...)
			eventually(t, "tail to start", func() bool { return strings.Contains(errOut.String(), "following traffic in") })
			for _, x := range tc.later {
				seed(t, db, x)
				time.Sleep(2 * tailPollInterval) // let a poll see each batch apart
			}
			eventually(t, "the last line", func() bool {
				if strings.Contains(errOut.String(), "gantry: ") {
					t.Fatalf("tail failed: %s", errOut.String())
				}
				return strings.Contains(out.String(), tc.want[len(tc.want)-1])
			})
			if code := stop(); code != 0 {
				t.Fatalf("tail exited %d: %s", code, errOut.String())
			}
			text := out.String()
			pos := 0
			for _, w := range tc.want {
				i := strings.Index(text[pos:], w)
				if i < 0 {
					t.Fatalf("output lacks %q after position %d:\n%s", w, pos, text)
				}
				pos += i + len(w)
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("output has %q:\n%s", w, text)
				}
			}
			if lines := strings.Count(text, "\n"); lines != len(tc.want) && tc.name != "json lines" {
				t.Errorf("%d lines, want %d:\n%s", lines, len(tc.want), text)
			}
		})
	}
}

func TestTrafficTailAdmin(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	var gotQuery string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/admin/traffic/stream" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"status":404,"detail":"no admin endpoint there"}`))
			return
		}
		mu.Lock()
		gotQuery = r.URL.RawQuery
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		s := func(v any) string { b, _ := json.Marshal(v); return string(b) }
		fmt.Fprint(w, ": connected\n\n")
		fmt.Fprintf(w, "event: exchange\nid: A1\ndata: %s\n\n", s(map[string]any{
			"id": "A1", "startedAt": started, "method": "GET", "url": "/v1/pets", "status": 200, "durationMs": 1.5,
			"api": "pets", "consumer": "carol", "violations": 0}))
		fmt.Fprint(w, ": ping\n\nevent: missed\ndata: {\"missed\":3}\n\n")
		fmt.Fprintf(w, "event: exchange\nid: A2\ndata: %s\n\n", s(map[string]any{
			"id": "A2", "startedAt": started, "method": "POST", "url": "/v1/pets", "status": 400, "durationMs": 0.25,
			"violations": 2}))
		fl.Flush()
		if r.URL.Query().Get("api") == "ending" {
			fmt.Fprint(w, "event: end\ndata: {\"reason\":\"the recorder closed\"}\n\n")
			return
		}
		<-r.Context().Done()
	}))
	defer srv.Close()

	t.Run("stream until Ctrl-C", func(t *testing.T) {
		out, errOut, stop := tailRun(t, "--admin", srv.URL+"/admin/", "--api", "pets", "--status", "4xx", "--consumer", "carol")
		eventually(t, "two lines", func() bool { return strings.Count(out.String(), "\n") == 2 })
		if code := stop(); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		want := regexp.MustCompile(`^\d\d:\d\d:\d\d\.000  GET     200     1.5ms  pets         /v1/pets  carol\n` +
			`\d\d:\d\d:\d\d\.000  POST    400     250µs  -            /v1/pets  \[2 violations\]\n$`)
		if !want.MatchString(out.String()) {
			t.Errorf("output:\n%s", out.String())
		}
		if !strings.Contains(errOut.String(), "missed 3 exchanges") {
			t.Errorf("stderr lacks the missed report: %s", errOut.String())
		}
		mu.Lock()
		defer mu.Unlock()
		if gotQuery != "api=pets&consumer=carol&status=4xx" {
			t.Errorf("query %q", gotQuery)
		}
	})

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "gateway ends the stream", args: []string{"--admin", srv.URL + "/admin", "--api", "ending"}, wantErr: "ended the traffic stream: the recorder closed"},
		{name: "wrong admin path", args: []string{"--admin", srv.URL}, wantErr: "answered 404 Not Found: no admin endpoint there"},
		{name: "bad admin URL", args: []string{"--admin", "ftp://x"}, wantErr: `--admin "ftp://x"`},
		{name: "limit with admin", args: []string{"--admin", srv.URL, "--limit", "3"}, wantErr: "--limit"},
		{name: "bad status", args: []string{"--admin", srv.URL, "--status", "abc"}, wantErr: "--status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"traffic", "tail", "--db", filepath.Join(t.TempDir(), "ws.db")}, tc.args...), &out, &errOut)
			if code == 0 || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("exit %d, stderr %q, want non-zero and %q", code, errOut.String(), tc.wantErr)
			}
		})
	}
}

// TestTailFollowsMock runs `gantry mock` and `gantry traffic tail` side by side on one
// workspace, as two terminals would.
func TestTailFollowsMock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ws.db")
	if code, _, errOut := gantry(t, db, "import", filepath.Join("testdata", "petstore.yaml"), "--name", "pets"); code != 0 {
		t.Fatal(errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mockOut, mockErr syncBuffer
	mockDone := make(chan int, 1)
	go func() {
		mockDone <- run(ctx, []string{"mock", "pets", "--listen", "127.0.0.1:0", "--db", db, "--log-level", "error"}, &mockOut, &mockErr)
	}()
	var base string
	eventually(t, "mock to start", func() bool {
		if m := urlRe.FindStringSubmatch(mockOut.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	out, errOut, stop := tailRun(t, "--db", db, "--api", "pets")
	eventually(t, "tail to start", func() bool { return strings.Contains(errOut.String(), "following traffic") })
	for _, p := range []string{"/pets", "/pets/7"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	eventually(t, "tail to print both requests", func() bool { return strings.Count(out.String(), "\n") == 2 })
	if code := stop(); code != 0 {
		t.Fatalf("tail exited %d: %s", code, errOut.String())
	}
	if text := out.String(); !strings.Contains(text, " GET     200 ") || !strings.Contains(text, "/v1/pets/7") {
		t.Errorf("tail printed:\n%s", text)
	}
	cancel()
	if code := <-mockDone; code != 0 {
		t.Errorf("mock exited %d: %s", code, mockErr.String())
	}
}

// TestTailStoreOrder follows a store in-process: what it prints is what was stored after
// it started, in the order stored, whatever the exchanges' start times.
func TestTailStoreOrder(t *testing.T) {
	now := time.Now()
	x := func(id string, started time.Time) *model.Exchange {
		return &model.Exchange{ID: id, StartedAt: started, Method: "GET", URL: "/" + id, Status: 200}
	}
	many := func(prefix string, n int) []*model.Exchange {
		var xs []*model.Exchange
		for i := range n {
			xs = append(xs, x(fmt.Sprintf("%s%04d", prefix, i), now))
		}
		return xs
	}
	tests := []struct {
		name   string
		before []*model.Exchange   // stored before tail starts: never printed
		steps  [][]*model.Exchange // stored while tail runs, a batch each; nil clears the store
		want   []string            // URLs printed, in order
	}{
		{name: "stored order", before: []*model.Exchange{x("B", now)},
			steps: [][]*model.Exchange{{x("D", now), x("C", now)}, {x("E", now)}}, want: []string{"/D", "/C", "/E"}},
		{name: "an exchange that ran for minutes, stored after newer ones",
			before: []*model.Exchange{x("M", now.Add(-time.Minute))},
			steps:  [][]*model.Exchange{{x("N", now)}, {x("A", now.Add(-3*time.Minute))}}, want: []string{"/N", "/A"}},
		{name: "more than a page at once", steps: [][]*model.Exchange{many("P", tailPage+5)},
			want: func() []string {
				var urls []string
				for _, x := range many("P", tailPage+5) {
					urls = append(urls, x.URL)
				}
				return urls
			}()},
		{name: "the store cleared while tailing", before: []*model.Exchange{x("B", now), x("C", now)},
			steps: [][]*model.Exchange{{x("D", now)}, nil, {x("E", now)}}, want: []string{"/D", "/E"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "ws.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if len(tc.before) > 0 {
				if err := st.AppendExchanges(ctx, tc.before); err != nil {
					t.Fatal(err)
				}
			}
			var out syncBuffer
			ready := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- tailStore(ctx, st, store.TrafficFilter{}, tailPrinter{w: &out, asJSON: true}, func() { close(ready) })
			}()
			<-ready
			printed := func() []string {
				var urls []string
				for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
					var s struct{ URL string }
					if line != "" && json.Unmarshal([]byte(line), &s) == nil {
						urls = append(urls, s.URL)
					}
				}
				return urls
			}
			seen := 0
			for _, batch := range tc.steps {
				if batch == nil {
					if _, err := st.DeleteExchanges(ctx, store.TrafficFilter{}); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := st.AppendExchanges(ctx, batch); err != nil {
					t.Fatal(err)
				}
				seen += len(batch)
				eventually(t, "tail to print the batch", func() bool { return len(printed()) >= seen })
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := printed(); !slices.Equal(got, tc.want) {
				t.Fatalf("printed %v, want %v", got, tc.want)
			}
		})
	}
}
