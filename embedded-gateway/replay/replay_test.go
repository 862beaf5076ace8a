package replay

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
)

func TestShellQuote(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "bare", in: "http://x/a,b=c", want: "http://x/a,b=c"},
		{name: "glob characters", in: "http://x/a?b=c*", want: "'http://x/a?b=c*'"},
		{name: "empty", in: "", want: "''"},
		{name: "space", in: "a b", want: "'a b'"},
		{name: "single quote", in: "it's", want: `'it'\''s'`},
		{name: "unicode", in: "héllo wörld", want: "'héllo wörld'"},
		{name: "control", in: "a\x1bb'c", want: `$'a\x1bb\'c'`},
		{name: "invalid utf-8", in: "a\xffb", want: `$'a\xffb'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ShellQuote(tc.in); got != tc.want {
				t.Errorf("ShellQuote(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestRequest(t *testing.T) {
	x := &model.Exchange{
		ID: "01X", Method: "POST", URL: "/v1/pets?key=" + capture.Redacted, Host: "api.example", Scheme: "https",
		RequestHeaders: http.Header{
			"Authorization": {capture.Redacted}, "Content-Type": {"application/json"},
			"Connection": {"X-Hop"}, "X-Hop": {"1"}, "Te": {"trailers"},
		},
		RequestBody: []byte(`{"n`), RequestSize: 10,
	}
	for _, tc := range []struct {
		name, target, wantURL string
		wantErr               error
	}{
		{name: "original host", wantURL: "https://api.example/v1/pets?key=" + capture.Redacted},
		{name: "target with prefix", target: "http://127.0.0.1:4010/base/", wantURL: "http://127.0.0.1:4010/base/v1/pets?key=" + capture.Redacted},
		{name: "bad target", target: "ftp://x", wantErr: ErrBadTarget},
		{name: "target with query", target: "http://h/?a=1", wantErr: ErrBadTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, notes, err := Request(context.Background(), x, tc.target)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.String() != tc.wantURL {
				t.Errorf("URL %s, want %s", req.URL, tc.wantURL)
			}
			if req.Header.Get("Authorization") != "" || req.Header.Get("X-Hop") != "" || req.Header.Get("Te") != "" {
				t.Errorf("sent headers it should not: %v", req.Header)
			}
			if req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type lost: %v", req.Header)
			}
			if !notes.RedactedQuery || !notes.Truncated || notes.BodyBytes != 3 || notes.BodySize != 10 ||
				len(notes.Redacted) != 1 || notes.Redacted[0] != "Authorization" {
				t.Errorf("notes %+v", notes)
			}
		})
	}
	noHost := *x
	noHost.Host = ""
	if _, _, err := Request(context.Background(), &noHost, ""); !errors.Is(err, ErrNoHost) {
		t.Errorf("no host: err = %v", err)
	}
}
