package intercept

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// Problem type slugs (after problem.TypeBase) of the errors the proxy answers with.
const (
	// SlugUpstreamTLS: the TLS handshake with the upstream failed (untrusted or invalid
	// certificate, protocol mismatch). Status 502.
	SlugUpstreamTLS = "upstream-tls"
	// SlugUpstreamUnreachable: the upstream refused the connection or its name did not
	// resolve. Status 502.
	SlugUpstreamUnreachable = "upstream-unreachable"
	// SlugUpstreamTimeout: the upstream did not answer in time. Status 504.
	SlugUpstreamTimeout = "upstream-timeout"
	// SlugBadGateway: any other failure to get a response from the upstream. Status 502.
	SlugBadGateway = "bad-gateway"
)

// upstreamProblem describes err, met while forwarding to host, as a problem document that
// names the host and says what went wrong.
func upstreamProblem(host string, err error) *problem.Details {
	var d *problem.Details
	switch {
	case isTimeout(err):
		d = problem.New(http.StatusGatewayTimeout, SlugUpstreamTimeout,
			fmt.Sprintf("%s did not answer in time: %v", host, err))
	case isTLSError(err):
		d = problem.New(http.StatusBadGateway, SlugUpstreamTLS,
			fmt.Sprintf("The TLS handshake with %s failed: %v. The proxy verifies upstream certificates; "+
				"a host with a certificate no trusted authority issued cannot be intercepted (exclude it to tunnel it instead).", host, err))
	case errors.Is(err, syscall.ECONNREFUSED):
		d = problem.New(http.StatusBadGateway, SlugUpstreamUnreachable,
			fmt.Sprintf("%s refused the connection: %v", host, err))
	case isDNSError(err):
		d = problem.New(http.StatusBadGateway, SlugUpstreamUnreachable,
			fmt.Sprintf("%s could not be resolved: %v", host, err))
	default:
		d = problem.New(http.StatusBadGateway, SlugBadGateway,
			fmt.Sprintf("Forwarding to %s failed: %v", host, err))
	}
	d.Extra = map[string]any{"host": host}
	return d
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isDNSError(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de)
}

func isTLSError(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		unknown   x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		echReject *tls.ECHRejectionError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record) || errors.As(err, &alert) ||
		errors.As(err, &echReject) || strings.Contains(err.Error(), "tls: ")
}

// problemResponse turns d into a complete response that closes the connection, for
// writing on a raw connection.
func problemResponse(d *problem.Details) *http.Response {
	body, err := json.Marshal(d)
	if err != nil {
		body = []byte(`{"type":"about:blank","title":"Bad Gateway","status":502}`)
	}
	body = append(body, '\n')
	return &http.Response{
		Status:     strconv.Itoa(d.Status) + " " + http.StatusText(d.Status),
		StatusCode: d.Status,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":           {problem.ContentType},
			"X-Content-Type-Options": {"nosniff"},
		},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Close:         true,
	}
}
