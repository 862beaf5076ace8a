package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// The direct path serves the common request of an API gateway, a bodiless GET, HEAD,
// OPTIONS or DELETE to plain-HTTP targets, without httputil.ReverseProxy: the outbound
// head is written from the inbound request straight onto a pooled upstream connection,
// and the response is passed on from the connection. It does what the ReverseProxy path
// does for such a request (rewrite, forwarding and trace headers, hop-by-hop headers
// removed both ways, retries and circuit breaking, announced trailers, SSE and
// unknown-length bodies flushed as they arrive, an aborted body aborting the client's
// response), without cloning the request, its header map, its context or the response
// header. Every other request takes the ReverseProxy.

// directEligible reports whether r takes the direct path.
func (p *Proxy) directEligible(r *http.Request) bool {
	return p.direct && plainBodiless(r)
}

// serveDirect forwards r on the direct path; st.target is the first target.
func (p *Proxy) serveDirect(w http.ResponseWriter, r *http.Request, st *reqState) {
	base := *r.URL
	base.RawQuery = cleanQueryParams(base.RawQuery)
	if p.up.StripPrefix != "" {
		stripPrefix(&base, p.up.StripPrefix)
	}
	st.base = base
	fw := p.forwarding(r, st)
	ctx := r.Context()
	resp, err := p.send(ctx, st, p.up.Retries > 0, func() bool { return true }, func(t *target, _ int) (*http.Response, error) {
		u := targetURL(t, &st.base)
		host := u.Host
		if p.up.PreserveHost {
			host = st.inHost
		}
		return p.own.do(ctx, t.hostPort, r, false, func(bw *bufio.Writer) error {
			return writeDirectHead(bw, r, u.RequestURI(), host, &fw)
		})
	})
	if err != nil {
		p.fail(w, r, st, err)
		return
	}
	p.writeDirectResponse(w, r, st, resp)
}

// forwardHeaders are the fields of an outbound request that the proxy writes itself.
type forwardHeaders struct {
	xff, xfHost, xfProto, forwarded, requestID, traceparent string
	dropTracestate, teTrailers                              bool
}

// forwarding returns the forwarding, request-id and trace fields of r's outbound request,
// as rewrite sets them on the ReverseProxy path.
func (p *Proxy) forwarding(r *http.Request, st *reqState) forwardHeaders {
	var f forwardHeaders
	if clientIP, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		f.xff = clientIP
		if prior := r.Header["X-Forwarded-For"]; len(prior) > 0 {
			f.xff = strings.Join(prior, ", ") + ", " + clientIP
		}
	}
	f.xfHost = r.Host
	f.xfProto = "http"
	if r.TLS != nil {
		f.xfProto = "https"
	}
	f.forwarded = ForwardedElement{For: forNode(r.RemoteAddr), Host: r.Host, Proto: f.xfProto}.String()
	if prior := r.Header.Values("Forwarded"); len(prior) > 0 {
		if _, err := ParseForwarded(prior...); err == nil {
			f.forwarded = strings.Join(prior, ", ") + ", " + f.forwarded
		} else {
			p.log.Debug("dropping a malformed Forwarded header", "upstream", p.up.Name, "requestId", st.id, "err", err)
		}
	}
	f.requestID = st.id
	tp, continued := nextHop(r.Header.Values("Traceparent"))
	f.traceparent = tp.String()
	f.dropTracestate = !continued
	f.teTrailers = httpguts.HeaderValuesContainsToken(r.Header["Te"], "trailers")
	return f
}

// skippedOutbound reports whether an inbound header field is left out of the outbound
// head: hop-by-hop fields, those the proxy writes itself, and those a bodiless request
// does not carry.
func skippedOutbound(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id", "Traceparent",
		"Host", "Content-Length":
		return true
	}
	return false
}

// writeDirectHead writes the outbound head of r: request line, Host, r's header fields
// but for those skippedOutbound names and those its Connection field names, then the
// proxy's own fields. An invalid field name or value is refused as net/http's Transport
// refuses it.
func writeDirectHead(w *bufio.Writer, r *http.Request, uri, host string, f *forwardHeaders) error {
	if err := writeRequestLine(w, r.Method, uri, host); err != nil {
		return err
	}
	conn := r.Header["Connection"]
	for k, vs := range r.Header {
		if skippedOutbound(k) || (k == "Tracestate" && f.dropTracestate) || (len(conn) > 0 && namedByConnection(conn, k)) {
			continue
		}
		if err := writeFields(w, k, vs); err != nil {
			return err
		}
	}
	if f.teTrailers {
		writeField(w, "Te", "trailers")
	}
	if f.xff != "" {
		if !httpguts.ValidHeaderFieldValue(f.xff) {
			return fmt.Errorf("proxy: invalid header field value for %q", "X-Forwarded-For")
		}
		writeField(w, "X-Forwarded-For", f.xff)
	}
	if !httpguts.ValidHeaderFieldValue(f.xfHost) {
		return fmt.Errorf("proxy: invalid header field value for %q", "X-Forwarded-Host")
	}
	writeField(w, "X-Forwarded-Host", f.xfHost)
	writeField(w, "X-Forwarded-Proto", f.xfProto)
	writeField(w, "Forwarded", f.forwarded)
	writeField(w, "X-Request-Id", f.requestID)
	writeField(w, "Traceparent", f.traceparent)
	_, err := w.WriteString("\r\n")
	return err
}

func writeField(w *bufio.Writer, k, v string) {
	_, _ = w.WriteString(k)
	_, _ = w.WriteString(": ")
	_, _ = w.WriteString(v)
	_, _ = w.WriteString("\r\n")
}

// namedByConnection reports whether the Connection field values conn name field k.
func namedByConnection(conn []string, k string) bool {
	for _, f := range conn {
		for name := range strings.SplitSeq(f, ",") {
			if name = textproto.TrimString(name); name != "" && textproto.CanonicalMIMEHeaderKey(name) == k {
				return true
			}
		}
	}
	return false
}

// writeDirectResponse passes resp on to w as the ReverseProxy path does: hop-by-hop
// fields removed, X-Request-Id set, trailers announced and copied, SSE and unknown-length
// bodies flushed as they arrive. A body that breaks off aborts the client's response.
func (p *Proxy) writeDirectResponse(w http.ResponseWriter, r *http.Request, st *reqState, resp *http.Response) {
	removeHopByHop(resp.Header)
	h := w.Header()
	for k, vs := range resp.Header {
		if prev, ok := h[k]; ok {
			h[k] = append(prev, vs...)
		} else {
			h[k] = vs
		}
	}
	h["X-Request-Id"] = []string{st.id}
	announced := len(resp.Trailer)
	if announced > 0 {
		keys := make([]string, 0, announced)
		for k := range resp.Trailer {
			keys = append(keys, k)
		}
		h.Add("Trailer", strings.Join(keys, ", "))
	}
	w.WriteHeader(resp.StatusCode)
	if err := p.copyBody(w, resp, streamed(resp)); err != nil {
		resp.Body.Close()
		if r.Context().Value(http.ServerContextKey) != nil {
			panic(http.ErrAbortHandler) // the server drops the connection: the body is cut short
		}
		return
	}
	resp.Body.Close() // fills resp.Trailer
	if len(resp.Trailer) > 0 {
		// Force chunking: net/http would otherwise compute a Content-Length for a short body.
		_ = http.NewResponseController(w).Flush()
	}
	if len(resp.Trailer) == announced {
		for k, vs := range resp.Trailer {
			h[k] = append(h[k], vs...)
		}
		return
	}
	for k, vs := range resp.Trailer {
		for _, v := range vs {
			h.Add(http.TrailerPrefix+k, v)
		}
	}
}

// streamed reports whether resp's body is flushed to the client as it arrives: an event
// stream, or a body of unknown length.
func streamed(resp *http.Response) bool {
	if resp.ContentLength == -1 {
		return true
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return ct == "text/event-stream"
}

// copyBody copies resp's body to w with a pooled buffer, flushing after each write when
// flush is set. It returns the first read error but io.EOF, or the first write error.
func (p *Proxy) copyBody(w http.ResponseWriter, resp *http.Response, flush bool) error {
	if resp.Body == http.NoBody {
		return nil
	}
	buf := p.rp.BufferPool.Get()
	defer p.rp.BufferPool.Put(buf)
	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(w)
	}
	for {
		n, rerr := resp.Body.Read(buf)
		if rerr != nil && rerr != io.EOF && rerr != context.Canceled {
			p.log.Warn("upstream body broke off", "upstream", p.up.Name, "err", rerr)
		}
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if rc != nil {
				_ = rc.Flush()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// removeHopByHop removes the hop-by-hop fields of h: those its Connection field names and
// those RFC 9110 and its predecessors list.
func removeHopByHop(h http.Header) {
	for _, f := range h["Connection"] {
		for name := range strings.SplitSeq(f, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"} {
		delete(h, k)
	}
}

// cleanQueryParams returns a query without the parameters url.ParseQuery rejects (those
// with a semicolon or a bad escape), re-encoded, or s itself when it has none; the
// ReverseProxy does the same to every outbound query.
func cleanQueryParams(s string) string {
	reencode := func(s string) string {
		v, _ := url.ParseQuery(s)
		return v.Encode()
	}
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			return reencode(s)
		case '%':
			if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
				return reencode(s)
			}
			i += 3
		default:
			i++
		}
	}
	return s
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
