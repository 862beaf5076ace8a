// Package har converts captured exchanges to and from HAR 1.2, the HTTP Archive format
// browsers and HTTP tools exchange (http://www.softwareishard.com/blog/har-12-spec/).
//
// Field names follow the spec. Times are milliseconds; -1 means "not applicable or not
// known", as in the spec. Gantry's own data rides in "_gantry" members, which the spec
// allows (custom fields start with an underscore).
package har

import (
	"encoding/json"

	"github.com/gantry-dev/gantry/core/model"
)

// Version is the HAR version Write produces.
const Version = "1.2"

// CreatorName is the log.creator.name of HAR files Gantry writes.
const CreatorName = "Gantry"

// HAR is a whole HAR document: an object with one member, "log".
type HAR struct {
	// Log is the archive.
	Log Log `json:"log"`
}

// Log is the root of the archive.
type Log struct {
	// Version is the format version; "" means 1.1 per the spec.
	Version string `json:"version"`
	// Creator names the application that wrote the file.
	Creator Creator `json:"creator"`
	// Browser names the browser that made the requests; nil means none.
	Browser *Creator `json:"browser,omitempty"`
	// Pages lists the pages the entries belong to; nil means none (Gantry writes none).
	Pages []Page `json:"pages,omitempty"`
	// Entries lists every request, in chronological order.
	Entries []Entry `json:"entries"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Creator names the application (or browser) that wrote the archive.
type Creator struct {
	// Name is the application's name.
	Name string `json:"name"`
	// Version is the application's version.
	Version string `json:"version"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Page is a browser page whose requests are entries.
type Page struct {
	// StartedDateTime is when the page load started (ISO 8601).
	StartedDateTime string `json:"startedDateTime"`
	// ID is the page's identifier, referenced by Entry.PageRef.
	ID string `json:"id"`
	// Title is the page title.
	Title string `json:"title"`
	// PageTimings are the page's load timings.
	PageTimings PageTimings `json:"pageTimings"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// PageTimings are a page's load milestones in ms after its start; nil means not known.
type PageTimings struct {
	// OnContentLoad is when the content finished loading; nil means not known.
	OnContentLoad *float64 `json:"onContentLoad,omitempty"`
	// OnLoad is when the load event fired; nil means not known.
	OnLoad *float64 `json:"onLoad,omitempty"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Entry is one request and its response.
type Entry struct {
	// PageRef is the ID of the page the entry belongs to; "" means none.
	PageRef string `json:"pageref,omitempty"`
	// StartedDateTime is when the request started (ISO 8601 with milliseconds and zone).
	StartedDateTime string `json:"startedDateTime"`
	// Time is the total elapsed time in ms: the sum of the non-negative timings.
	Time float64 `json:"time"`
	// Request is the request.
	Request Request `json:"request"`
	// Response is the response.
	Response Response `json:"response"`
	// Cache describes cache use; the zero value means no information.
	Cache Cache `json:"cache"`
	// Timings break Time down by phase.
	Timings Timings `json:"timings"`
	// ServerIPAddress is the server's IP address; "" means not known.
	ServerIPAddress string `json:"serverIPAddress,omitempty"`
	// Connection identifies the TCP/IP connection; "" means not known.
	Connection string `json:"connection,omitempty"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
	// Gantry carries the Gantry-specific fields of the exchange; nil in foreign files.
	Gantry *Gantry `json:"_gantry,omitempty"`
}

// Gantry holds the fields of a model.Exchange that HAR itself has no place for.
type Gantry struct {
	// ID is the exchange's capture ID; "" means none (an imported entry).
	ID string `json:"id,omitempty"`
	// API is the name of the API that served the request; "" means none matched.
	API string `json:"api,omitempty"`
	// Operation is the matched operation's ID; "" means none matched.
	Operation string `json:"operation,omitempty"`
	// Mode is how the request was answered: "mock", "proxy" or "" for gateway errors.
	Mode string `json:"mode,omitempty"`
	// ClientAddr is the client's address; "" means not known.
	ClientAddr string `json:"clientAddr,omitempty"`
	// Violations lists request validation problems; nil means none.
	Violations []model.Violation `json:"violations,omitempty"`
	// Warnings lists notes from the gateway; nil means none.
	Warnings []string `json:"warnings,omitempty"`
	// RequestTruncated is true when postData.text holds only the first bytes of the body.
	RequestTruncated bool `json:"requestTruncated,omitempty"`
	// ResponseTruncated is true when content.text holds only the first bytes of the body.
	ResponseTruncated bool `json:"responseTruncated,omitempty"`
}

// Request is an HTTP request.
type Request struct {
	// Method is the request method (GET, POST, ...).
	Method string `json:"method"`
	// URL is the absolute URL of the request (fragments are not included).
	URL string `json:"url"`
	// HTTPVersion is the request's protocol, such as "HTTP/1.1".
	HTTPVersion string `json:"httpVersion"`
	// Cookies lists the cookies sent, parsed from the Cookie headers.
	Cookies []Cookie `json:"cookies"`
	// Headers lists the request headers, one entry per value.
	Headers []Header `json:"headers"`
	// QueryString lists the query parameters parsed from URL.
	QueryString []QueryString `json:"queryString"`
	// PostData is the request body; nil means none.
	PostData *PostData `json:"postData,omitempty"`
	// HeadersSize is the size of the request head in bytes; -1 means not known.
	HeadersSize int64 `json:"headersSize"`
	// BodySize is the size of the request body in bytes; -1 means not known.
	BodySize int64 `json:"bodySize"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Response is an HTTP response.
type Response struct {
	// Status is the response status code; 0 means no response was received.
	Status int `json:"status"`
	// StatusText is the reason phrase.
	StatusText string `json:"statusText"`
	// HTTPVersion is the response's protocol, such as "HTTP/1.1".
	HTTPVersion string `json:"httpVersion"`
	// Cookies lists the cookies set, parsed from the Set-Cookie headers.
	Cookies []Cookie `json:"cookies"`
	// Headers lists the response headers, one entry per value.
	Headers []Header `json:"headers"`
	// Content is the response body.
	Content Content `json:"content"`
	// RedirectURL is the Location header's value; "" means none.
	RedirectURL string `json:"redirectURL"`
	// HeadersSize is the size of the response head in bytes; -1 means not known.
	HeadersSize int64 `json:"headersSize"`
	// BodySize is the size of the response body as transferred, in bytes; -1 means not known.
	BodySize int64 `json:"bodySize"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Cookie is one cookie sent or set.
type Cookie struct {
	// Name is the cookie's name.
	Name string `json:"name"`
	// Value is the cookie's value.
	Value string `json:"value"`
	// Path is the cookie's path attribute; "" means none.
	Path string `json:"path,omitempty"`
	// Domain is the cookie's domain attribute; "" means none.
	Domain string `json:"domain,omitempty"`
	// Expires is the expiry time (ISO 8601); "" means a session cookie.
	Expires string `json:"expires,omitempty"`
	// HTTPOnly is true if the cookie is hidden from scripts.
	HTTPOnly bool `json:"httpOnly,omitempty"`
	// Secure is true if the cookie is sent over TLS only.
	Secure bool `json:"secure,omitempty"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Header is one header value.
type Header struct {
	// Name is the header's name as written.
	Name string `json:"name"`
	// Value is one value of the header.
	Value string `json:"value"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// QueryString is one query parameter.
type QueryString struct {
	// Name is the decoded parameter name.
	Name string `json:"name"`
	// Value is the decoded parameter value.
	Value string `json:"value"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// PostData is a request body.
type PostData struct {
	// MimeType is the body's media type (the Content-Type header's value).
	MimeType string `json:"mimeType"`
	// Params lists URL-encoded or multipart parameters; nil means Text holds the body.
	Params []Param `json:"params,omitempty"`
	// Text is the body: as is, or base64 when Encoding is "base64".
	Text string `json:"text"`
	// Encoding is "base64" when Text is base64-encoded (a Gantry extension, as postData
	// has no encoding field in HAR 1.2); "" means Text is the body itself.
	Encoding string `json:"_encoding,omitempty"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Param is one posted parameter.
type Param struct {
	// Name is the parameter's name.
	Name string `json:"name"`
	// Value is the parameter's value, or the file's content; "" means none.
	Value string `json:"value,omitempty"`
	// FileName is the name of a posted file; "" means not a file.
	FileName string `json:"fileName,omitempty"`
	// ContentType is the posted file's media type; "" means not a file.
	ContentType string `json:"contentType,omitempty"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Content is a response body.
type Content struct {
	// Size is the body's length in bytes after decoding (the whole body, even when Text
	// holds only part of it).
	Size int64 `json:"size"`
	// Compression is the bytes saved by compression; 0 means none or not known.
	Compression int64 `json:"compression,omitempty"`
	// MimeType is the Content-Type header's value, charset included.
	MimeType string `json:"mimeType"`
	// Text is the body: as is, or base64 when Encoding is "base64"; "" means not captured.
	Text string `json:"text,omitempty"`
	// Encoding is "base64" when Text is base64-encoded; "" means Text is the body itself.
	Encoding string `json:"encoding,omitempty"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Cache describes the browser cache before and after the request.
type Cache struct {
	// BeforeRequest is the cache entry before the request; nil means not known.
	BeforeRequest *CacheEntry `json:"beforeRequest,omitempty"`
	// AfterRequest is the cache entry after the request; nil means not known.
	AfterRequest *CacheEntry `json:"afterRequest,omitempty"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// CacheEntry is the state of one cache entry.
type CacheEntry struct {
	// Expires is when the entry expires (ISO 8601); "" means not known.
	Expires string `json:"expires,omitempty"`
	// LastAccess is when the entry was last used (ISO 8601).
	LastAccess string `json:"lastAccess"`
	// ETag is the entry's ETag.
	ETag string `json:"eTag"`
	// HitCount is how many times the entry was used.
	HitCount int `json:"hitCount"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// Timings break an entry's time down by phase, in ms; -1 means not applicable or not known.
type Timings struct {
	// Blocked is time spent waiting for a connection; -1 means not applicable.
	Blocked float64 `json:"blocked"`
	// DNS is the DNS lookup time; -1 means not applicable.
	DNS float64 `json:"dns"`
	// Connect is the time to open the connection; -1 means not applicable.
	Connect float64 `json:"connect"`
	// Send is the time to send the request.
	Send float64 `json:"send"`
	// Wait is the time waiting for the first response byte.
	Wait float64 `json:"wait"`
	// Receive is the time to read the response.
	Receive float64 `json:"receive"`
	// SSL is the TLS handshake time (included in Connect); -1 means not applicable.
	SSL float64 `json:"ssl"`
	// Comment is a free-form note; "" means none.
	Comment string `json:"comment,omitempty"`
}

// UnmarshalJSON decodes timings, reading the optional phases a file leaves out as -1.
func (t *Timings) UnmarshalJSON(b []byte) error {
	type plain Timings
	p := plain{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = Timings(p)
	return nil
}
