// Package transform holds the header and JSON body transform policies: requestHeaders,
// responseHeaders, requestBody and responseBody. All run in policy.PhaseTransform.
//
// # Header transforms
//
// requestHeaders changes the request before it goes on to the upstream (or mock);
// responseHeaders changes the response header just before it is sent. Settings:
//
//	{
//	  "remove": ["X-Internal"],
//	  "rename": {"X-Old": "X-New"},
//	  "set":    {"X-Consumer": "$(consumer)"},
//	  "add":    {"Via-Gateway": "gantry"}
//	}
//
// The operations apply in this order: remove, rename, set, add. All renames happen at
// once (renaming A to B and B to C moves A's values to B and B's to C); set replaces every
// value of a header; add appends one. Names are case-insensitive. Hop-by-hop and framing
// headers (Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate,
// Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, Content-Length and Host)
// may be removed but never set, added or renamed: that is a configuration error.
//
// Values of set and add may contain variables, which always read the request (also in
// responseHeaders) as it was before this policy changed it:
//
//	$(consumer)      the authenticated consumer's name (policy.Identity's Subject)
//	$(requestId)     the request's X-Request-Id header, else the ID of the captured exchange
//	$(header.NAME)   the first value of request header NAME
//	$(query.NAME)    the first value of query parameter NAME, decoded
//
// "$$" writes a literal "$". Any other $(...) is a configuration error. A value that
// expands to nothing (no consumer, a missing header) leaves the header alone instead of
// sending it empty; control characters in an expanded value become spaces.
//
// # Body transforms
//
// requestBody and responseBody edit JSON bodies by JSON Pointer (RFC 6901):
//
//	{
//	  "remove":   ["/internal", "/items/0"],
//	  "rename":   {"/user_name": "/userName"},
//	  "set":      {"/version": 2, "/meta/source": "gateway", "/tags/-": "new"},
//	  "maxBytes": 1048576
//	}
//
// The operations apply in this order: remove (in the listed order), rename, then set
// (both in the sorted order of their pointers). A pointer that finds nothing is skipped:
// removing or renaming a missing member does nothing. set creates missing objects on the
// way ("/meta/source" on a body without "meta" adds {"meta": {"source": ...}}), replaces
// an existing array element, and appends for "-" or an index equal to the array's
// length. rename is JSON Patch's "move": the value is removed, then inserted at the new
// place; if it cannot be inserted there, it stays where it was. Renaming to a place inside
// the source, and removing or renaming the whole document, are configuration errors.
//
// Only bodies whose Content-Type is application/json or a +json type are touched, and
// only when they carry no Content-Encoding. A body that is not a single valid JSON value
// passes through unchanged; so does a body larger than maxBytes (default DefaultMaxBytes),
// with a warning in the log. The rewritten document has the same content but not the same
// bytes: object members come out sorted by name and insignificant whitespace is removed.
// Content-Length is updated and digest headers (Content-Digest, Repr-Digest, Digest,
// Content-MD5) are dropped; a response's strong ETag is made weak.
//
// responseBody holds back only the responses it may transform: a JSON, non-HEAD,
// non-204/304 response without trailers whose Content-Length (if any) is within maxBytes.
// It sends the response when the handler returns. Everything else streams straight
// through, and so does a buffered response as soon as it grows past maxBytes or the
// handler flushes it. Server-sent events are never JSON and always stream; note that
// httputil.ReverseProxy flushes every response of unknown length, so an upstream's chunked
// JSON responses stream through untransformed.
package transform

import (
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// The names the policies are registered under.
const (
	// RequestHeaders names the request header transform.
	RequestHeaders = "requestHeaders"
	// ResponseHeaders names the response header transform.
	ResponseHeaders = "responseHeaders"
	// RequestBody names the request JSON body transform.
	RequestBody = "requestBody"
	// ResponseBody names the response JSON body transform.
	ResponseBody = "responseBody"
)

// Definitions returns the definitions of the four transform policies, for registration.
func Definitions() []policy.Definition {
	return []policy.Definition{
		{Name: RequestHeaders, Phase: policy.PhaseTransform, New: newRequestHeaders},
		{Name: ResponseHeaders, Phase: policy.PhaseTransform, New: newResponseHeaders},
		{Name: RequestBody, Phase: policy.PhaseTransform, New: newRequestBody},
		{Name: ResponseBody, Phase: policy.PhaseTransform, New: newResponseBody},
	}
}
