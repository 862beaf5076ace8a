package h1server

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// rawCase is a request, or several pipelined in one write, as raw bytes.
type rawCase struct {
	name string
	raw  string
}

// testMaxHeaderBytes is the header limit both servers get in the differential test.
const testMaxHeaderBytes = 16 << 10

// requestCorpus feeds the differential test and seeds the parser's fuzz target.
var requestCorpus = []rawCase{
	// Valid requests.
	{"get", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"get-query", "GET /a/b%20c?x=1&y=%20z&x=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nAccept: */*\r\n\r\n"},
	{"get-fragment-chars", "GET /p;params?q=a/b?c HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"get-with-body", "GET /g HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"},
	{"post-content-length", "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"},
	{"post-content-length-zero", "POST /z HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"},
	{"post-content-length-leading-zeros", "POST /z HTTP/1.1\r\nHost: h\r\nContent-Length: 003\r\n\r\nabc"},
	{"post-content-length-ows", "POST /z HTTP/1.1\r\nHost: h\r\nContent-Length: \t3 \r\n\r\nabc"},
	{"post-content-length-duplicate-equal", "POST /d HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"},
	{"post-no-length", "POST /n HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"post-chunked", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
	{"post-chunked-mixed-case", "POST /c HTTP/1.1\r\nHost: h\r\ntransfer-encoding: ChUnKeD\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"},
	{"post-chunked-extensions", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value\r\nabc\r\n0;last\r\n\r\n"},
	{"post-chunked-trailers", "POST /t HTTP/1.1\r\nHost: h\r\nTrailer: X-Checksum, X-Count\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"4\r\nwiki\r\n0\r\nX-Checksum: abc123\r\nX-Count: 1\r\nX-Count: 2\r\n\r\n"},
	{"post-chunked-undeclared-trailer", "POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Late: yes\r\n\r\n"},
	{"post-chunked-declared-missing-trailer", "POST /t HTTP/1.1\r\nHost: h\r\nTrailer: X-Never\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"},
	{"post-chunked-large", "POST /big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2710\r\n" + strings.Repeat("z", 10000) + "\r\n0\r\n\r\n"},
	{"post-chunked-bad-size", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
	{"post-chunked-bad-crlf", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n"},
	{"expect-continue-no-body", "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"},
	{"expect-continue-http10", "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"},
	{"expect-continue-mixed-case", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx"},
	{"expect-continue-and-other", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, x-other\r\nContent-Length: 1\r\n\r\nx"},
	{"post-chunked-bare-lf-end", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\n"},
	{"post-chunked-ctl-in-trailer", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: a\x01b\r\n\r\n"},
	{"post-chunked-bad-trailer-name", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX(T): v\r\n\r\n"},
	{"post-expect-continue", "POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"},
	{"pipelined", "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: h\r\n\r\n" +
		"POST /4 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nGET /5 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"pipelined-unread-body", "POST /skip HTTP/1.1\r\nHost: h\r\nX-Skip-Body: 1\r\nContent-Length: 5\r\n\r\nhelloGET /after HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"pipelined-then-invalid", "GET /ok HTTP/1.1\r\nHost: h\r\n\r\nGET /bad HTTP/1.1\r\n\r\n"},
	{"http10", "GET /old HTTP/1.0\r\n\r\nGET /never HTTP/1.0\r\n\r\n"},
	{"http10-host", "GET /old HTTP/1.0\r\nHost: h\r\nUser-Agent: old\r\n\r\n"},
	{"http10-keep-alive", "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /3 HTTP/1.0\r\n\r\nGET /never HTTP/1.0\r\n\r\n"},
	{"http10-post", "POST /p HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi"},
	{"http11-connection-close", "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"http11-connection-tokens", "GET /c HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n"},
	{"http11-connection-close-mixed-case", "GET /c HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\nGET /never HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"http12", "GET /future HTTP/1.2\r\nHost: h\r\n\r\n"},
	{"absolute-form", "GET http://other.example:8080/p?q=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n"},
	{"absolute-form-https", "GET https://secure.example/x HTTP/1.1\r\nHost: secure.example\r\n\r\n"},
	{"options-star", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"options-path", "OPTIONS /things HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: PUT\r\n\r\n"},
	{"connect-authority", "CONNECT upstream.example:443 HTTP/1.1\r\nHost: upstream.example:443\r\n\r\n"},
	{"custom-method", "PURGE /cache HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"lowercase-method", "get /lower HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"duplicate-headers", "GET /d HTTP/1.1\r\nHost: h\r\nAccept: a/b\r\nX-Dup: 1\r\nAccept: c/d\r\nx-dup: 2\r\nX-DUP: 3\r\n\r\n"},
	{"mixed-case-names", "GET /m HTTP/1.1\r\nhOsT: h\r\ncOnTeNt-TyPe: text/x\r\nx-custom-HEADER: y\r\nX_Under_Score: z\r\nwww-authenticate: w\r\n\r\n"},
	{"empty-values", "GET /e HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Spaces:    \r\nX-Tab:\t\r\n\r\n"},
	{"empty-host", "GET /e HTTP/1.1\r\nHost:\r\n\r\n"},
	{"tabs-in-values", "GET /t HTTP/1.1\r\nHost: h\r\nX-Tab: a\tb\r\nX-Lead:\t\tv\t \r\nX-Inner:  two  spaces  \r\n\r\n"},
	{"obs-text-value", "GET /u HTTP/1.1\r\nHost: h\r\nX-Utf8: caf\xc3\xa9\r\nX-Latin1: \xe9t\xe9\r\n\r\n"},
	{"token-chars-in-name", "GET /n HTTP/1.1\r\nHost: h\r\nX-!#$%&'*+.^_`|~: v\r\n\r\n"},
	{"ipv6-host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"},
	{"pragma-no-cache", "GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n"},
	{"pragma-with-cache-control", "GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nCache-Control: max-age=5\r\n\r\n"},
	{"bare-lf", "GET /lf HTTP/1.1\nHost: h\nX-A: 1\n\nGET /lf2 HTTP/1.1\r\nHost: h\n\r\n"},
	{"long-header-value", "GET /long HTTP/1.1\r\nHost: h\r\nX-Long: " + strings.Repeat("v", 6000) + "\r\nX-After: 1\r\n\r\n"},
	{"long-target", "GET /" + strings.Repeat("p", 5000) + " HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"many-headers", "GET /many HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-Many: v\r\n", 200) + "\r\n"},
	{"forbidden-trailer-name-declared", "POST /t HTTP/1.1\r\nHost: h\r\nTrailer: Authorization\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nAuthorization: x\r\n\r\n"},

	// Invalid requests.
	{"missing-host-http11", "GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n"},
	{"two-host-fields", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"},
	{"two-host-fields-same", "GET / HTTP/1.1\r\nHost: a.example\r\nhost: a.example\r\n\r\n"},
	{"malformed-host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"},
	{"bad-method-char", "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"bad-method-utf8", "G\xc3\x89T / HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"bad-version-letters", "GET / HTTP/1.x\r\nHost: h\r\n\r\n"},
	{"bad-version-lowercase", "GET / http/1.1\r\nHost: h\r\n\r\n"},
	{"bad-version-no-dot", "GET / HTTP/11\r\nHost: h\r\n\r\n"},
	{"bad-version-two-digits", "GET / HTTP/1.10\r\nHost: h\r\n\r\n"},
	{"http2-request-line", "GET / HTTP/2.0\r\nHost: h\r\n\r\n"},
	{"http09-version", "GET / HTTP/0.9\r\nHost: h\r\n\r\n"},
	{"http09-no-version", "GET /\r\n\r\n"},
	{"http2-preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
	{"double-space-request-line", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"trailing-space-request-line", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n"},
	{"space-in-target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"relative-target", "GET foo HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"ctl-in-target", "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"space-before-colon", "GET / HTTP/1.1\r\nHost: h\r\nX-Bad : v\r\n\r\n"},
	{"space-before-colon-host", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"},
	{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n"},
	{"leading-whitespace-first-field", "GET / HTTP/1.1\r\n Host: h\r\n\r\n"},
	{"no-colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColonHere\r\n\r\n"},
	{"empty-name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"},
	{"bad-name-char", "GET / HTTP/1.1\r\nHost: h\r\nX(Y): v\r\n\r\n"},
	{"ctl-in-value", "GET / HTTP/1.1\r\nHost: h\r\nX-Ctl: a\x01b\r\n\r\n"},
	{"nul-in-value", "GET / HTTP/1.1\r\nHost: h\r\nX-Nul: a\x00b\r\n\r\n"},
	{"del-in-value", "GET / HTTP/1.1\r\nHost: h\r\nX-Del: a\x7fb\r\n\r\n"},
	{"bare-cr-in-value", "GET / HTTP/1.1\r\nHost: h\r\nX-Cr: a\rb\r\n\r\n"},
	{"bare-cr-line-endings", "GET / HTTP/1.1\rHost: h\r\r"},
	{"te-and-cl", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"},
	{"te-unknown", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"},
	{"te-identity", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\nContent-Length: 1\r\n\r\nx"},
	{"te-list", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
	{"te-two-fields", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{"te-nbsp", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\xc2\xa0\r\n\r\n0\r\n\r\n"},
	{"te-http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{"cl-conflicting", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"},
	{"cl-list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc"},
	{"cl-negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"},
	{"cl-plus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc"},
	{"cl-non-numeric", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n"},
	{"cl-hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x3\r\n\r\nabc"},
	{"cl-empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"},
	{"cl-overflow", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"},
	{"cl-nbsp", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\xc2\xa0\r\n\r\nabc"},
	{"cl-nel", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \xc2\x853\r\n\r\nabc"},
	{"trailer-declares-content-length", "POST /t HTTP/1.1\r\nHost: h\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{"over-long-header-section", "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-Filler: "+strings.Repeat("f", 90)+"\r\n", 600) + "\r\n"},
	{"over-long-field", "GET / HTTP/1.1\r\nHost: h\r\nX-Huge: " + strings.Repeat("h", 60<<10) + "\r\n\r\n"},
	{"over-long-request-line", "GET /" + strings.Repeat("u", 60<<10) + " HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"expect-unknown", "POST / HTTP/1.1\r\nHost: h\r\nExpect: something\r\nContent-Length: 1\r\n\r\nx"},
	{"truncated-header", "GET / HTTP/1.1\r\nHost: h\r\nX-Cut: "},
	{"truncated-body", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"},

	// Cases where the two servers differ on purpose: see intendedDifferences.
	{"leading-crlf", "\r\nGET /lead HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"absolute-form-bad-host", "GET http://a\"b/ HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"connect-bad-authority", "CONNECT a\"b:443 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{"connect-no-host", "CONNECT upstream.example:443 HTTP/1.1\r\n\r\n"},
}

// outcome is how a server treated a request: accepted (the handler ran) or refused.
type outcome string

const (
	accepted outcome = "accept"
	refused  outcome = "refuse"
)

// intendedDifferences lists the requests this server treats differently from net/http on
// purpose, with what each server does and why. Differences that do not change whether a
// request is accepted:
//
//   - Refusals are RFC 9457 application/problem+json documents with a detail, always with
//     Connection: close; net/http sends text/plain. The status can differ where only one
//     server refuses (see below).
//   - MaxHeaderBytes is exact (request line and fields with their line ends); net/http
//     allows 4 KiB more. Its default is 64 KiB, net/http's 1 MiB.
//   - A response to an HTTP/1.0 request has an HTTP/1.0 status line; net/http always
//     writes HTTP/1.1.
//   - A handler that returns within 4 KiB of body gets Content-Length, more is chunked;
//     net/http's threshold is 2 KiB.
//   - Trailer sections of request bodies may hold 64 KiB; net/http takes what fits its
//     4 KiB read buffer.
//   - A handler that leaves a chunked request body unread gets the response sent before the
//     body is skipped, so a body found too large to skip closes the connection without a
//     Connection: close field; net/http skips first and then answers.
var intendedDifferences = map[string]struct {
	ours, std outcome
	why       string
}{
	"obs-fold": {refused, accepted,
		"RFC 9112 §5.2 lets a server reject obsolete line folding with 400; net/http unfolds it. A front proxy that does not unfold may see other field values."},
	"te-and-cl": {refused, accepted,
		"RFC 9112 §6.1: a request with both is a smuggling attempt and ought to be handled as an error; net/http drops Content-Length and reads chunks."},
	"te-http10": {refused, accepted,
		"RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing; net/http ignores the field and reads no body, leaving the chunks to be parsed as the next request."},
	"expect-continue-and-other": {refused, accepted,
		"RFC 9110 §10.1.1 lets a server answer 417 to an expectation it does not know; net/http looks for the 100-continue token and ignores the rest."},
	"http2-preface": {refused, accepted,
		"This listener does not speak h2c: the preface gets 505; net/http hands it to the handler as a PRI request."},
	"leading-crlf": {accepted, refused,
		"RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line; net/http does so only after a POST."},
	"absolute-form-bad-host": {refused, accepted,
		"The host of an absolute-form target must be one a Host field could carry, as the handler sees it as the request's host; net/http takes what the URL parser takes."},
	"connect-bad-authority": {refused, accepted,
		"As absolute-form-bad-host, for CONNECT's authority form."},
	"connect-no-host": {refused, accepted,
		"RFC 9112 §3.2: every HTTP/1.1 request needs Host (400 otherwise); net/http exempts CONNECT, which a gateway does not serve."},
}

// view is what the echo handler saw of a request.
type view struct {
	Method, URL, RequestURI, Proto string
	ProtoMajor, ProtoMinor         int
	Host                           string
	Header                         []string
	ContentLength                  int64
	TransferEncoding               []string
	Close                          bool
	Body                           string
	BodyErr                        bool
	Trailer                        []string
}

func sortedFields(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, " | ")+" ("+itoa(len(vs))+")")
	}
	slices.Sort(out)
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// echoHandler answers with its view of the request as JSON. A request with X-Skip-Body
// leaves its body unread.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	v := view{
		Method: r.Method, URL: r.URL.String(), RequestURI: r.RequestURI, Proto: r.Proto,
		ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor, Host: r.Host,
		Header: sortedFields(r.Header), ContentLength: r.ContentLength,
		TransferEncoding: r.TransferEncoding, Close: r.Close,
	}
	if r.Header.Get("X-Skip-Body") == "" {
		b, err := io.ReadAll(r.Body)
		v.Body, v.BodyErr = string(b), err != nil
	}
	v.Trailer = sortedFields(r.Trailer)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// classify tells whether a server accepted the requests of a case, by status class, and
// returns what the handler saw of each. A success that is not the echo handler's (the
// server answered by itself) is a view with only Body set.
func classify(rs []rawResponse) (outcome, []view) {
	var views []view
	for _, r := range rs {
		if r.status >= 300 {
			return refused, views
		}
		var v view
		if r.header.Get("Content-Type") != "application/json" || json.Unmarshal(r.body, &v) != nil {
			v = view{Body: "server answered " + itoa(r.status) + ": " + string(r.body)}
		}
		views = append(views, v)
	}
	if len(views) == 0 {
		return refused, nil
	}
	return accepted, views
}

func TestDifferentialAgainstNetHTTP(t *testing.T) {
	ours := startServer(t, &Server{Handler: http.HandlerFunc(echoHandler), MaxHeaderBytes: testMaxHeaderBytes})
	std := startStd(t, &http.Server{Handler: http.HandlerFunc(echoHandler), MaxHeaderBytes: testMaxHeaderBytes})
	seen := map[string]bool{}
	for _, tc := range requestCorpus {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ourResps := parseResponses(t, exchange(t, ours.addr, tc.raw))
			stdResps := parseResponses(t, exchange(t, std, tc.raw))
			ourOutcome, ourViews := classify(ourResps)
			stdOutcome, stdViews := classify(stdResps)

			// Every refusal of ours is a problem document on a closing connection, and the
			// last response on the wire.
			for i, r := range ourResps {
				if r.status == http.StatusOK {
					continue
				}
				checkProblem(t, r)
				if i != len(ourResps)-1 {
					t.Errorf("responses after the refusal: %d more", len(ourResps)-1-i)
				}
			}

			want, isDiff := intendedDifferences[tc.name]
			if isDiff {
				if ourOutcome != want.ours || stdOutcome != want.std {
					t.Fatalf("intended difference changed: ours %s (want %s), net/http %s (want %s)",
						ourOutcome, want.ours, stdOutcome, want.std)
				}
				return
			}
			if ourOutcome != stdOutcome {
				t.Fatalf("ours %s (%s), net/http %s (%s)", ourOutcome, statuses(ourResps), stdOutcome, statuses(stdResps))
			}
			if len(ourResps) != len(stdResps) {
				t.Errorf("ours sent %d responses (%s), net/http %d (%s)", len(ourResps), statuses(ourResps),
					len(stdResps), statuses(stdResps))
			}
			if len(ourViews) != len(stdViews) {
				t.Fatalf("handler ran %d times with ours, %d with net/http", len(ourViews), len(stdViews))
			}
			for i := range ourViews {
				a, _ := json.MarshalIndent(ourViews[i], "", "  ")
				b, _ := json.MarshalIndent(stdViews[i], "", "  ")
				if string(a) != string(b) {
					t.Errorf("request %d: the handler's view differs\nours:    %s\nnet/http: %s", i+1, a, b)
				}
			}
			for i := range min(len(ourResps), len(stdResps)) {
				if !slices.Equal(ourResps[i].interim, stdResps[i].interim) {
					t.Errorf("response %d: informational %v, net/http %v", i+1, ourResps[i].interim, stdResps[i].interim)
				}
			}
		})
	}
}

func statuses(rs []rawResponse) string {
	var s []string
	for _, r := range rs {
		s = append(s, itoa(r.status))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

// checkProblem checks a refusal: an RFC 9457 document with a detail, and Connection: close.
func checkProblem(t testing.TB, r rawResponse) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("refusal %d has Content-Type %q", r.status, ct)
	}
	if !r.close {
		t.Errorf("refusal %d lacks Connection: close", r.status)
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Errorf("refusal %d body %q: %v", r.status, r.body, err)
		return
	}
	if p.Status != r.status || p.Detail == "" || p.Title == "" || p.Type == "" {
		t.Errorf("refusal %d has problem %+v", r.status, p)
	}
}

// TestRefusalStatuses pins the status of each kind of refusal.
func TestRefusalStatuses(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(echoHandler), MaxHeaderBytes: testMaxHeaderBytes})
	want := map[string]int{
		"missing-host-http11":             400,
		"two-host-fields":                 400,
		"bad-method-char":                 400,
		"bad-version-letters":             400,
		"http2-request-line":              505,
		"http09-version":                  505,
		"http2-preface":                   505,
		"space-before-colon":              400,
		"obs-fold":                        400,
		"ctl-in-value":                    400,
		"te-and-cl":                       400,
		"te-unknown":                      501,
		"te-two-fields":                   501,
		"te-nbsp":                         501,
		"te-http10":                       400,
		"cl-conflicting":                  400,
		"cl-negative":                     400,
		"cl-nbsp":                         400,
		"trailer-declares-content-length": 400,
		"over-long-header-section":        431,
		"over-long-field":                 431,
		"over-long-request-line":          431,
		"expect-unknown":                  417,
		"truncated-header":                400,
		"bare-cr-line-endings":            400,
	}
	byName := map[string]string{}
	for _, c := range requestCorpus {
		byName[c.name] = c.raw
	}
	for name, status := range want {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, ok := byName[name]
			if !ok {
				t.Fatalf("no corpus case %q", name)
			}
			rs := parseResponses(t, exchange(t, ts.addr, raw))
			if len(rs) != 1 {
				t.Fatalf("got %d responses (%s), want one refusal", len(rs), statuses(rs))
			}
			if rs[0].status != status {
				t.Errorf("status %d, want %d (%s)", rs[0].status, status, rs[0].body)
			}
			checkProblem(t, rs[0])
		})
	}
}
