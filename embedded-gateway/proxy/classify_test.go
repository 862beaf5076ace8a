package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
)

// timeoutErr is a net.Error that timed out, like net/http's response-header timeout.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "net/http: timeout awaiting response headers" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// handshakeTimeoutErr is shaped like net/http's TLS handshake timeout.
type handshakeTimeoutErr struct{ timeoutErr }

func (handshakeTimeoutErr) Error() string { return "net/http: TLS handshake timeout" }

func TestClassify(t *testing.T) {
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	tests := []struct {
		name      string
		err       error
		want      failure
		wantRetry bool
	}{
		{name: "refused", err: dial(syscall.ECONNREFUSED), want: failUnreachable, wantRetry: true},
		{name: "no such host", err: dial(&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}), want: failUnreachable, wantRetry: true},
		{name: "connect timeout", err: dial(timeoutErr{}), want: failConnectTimeout, wantRetry: true},
		{name: "tls handshake timeout", err: handshakeTimeoutErr{}, want: failConnectTimeout, wantRetry: true},
		{name: "response header timeout", err: timeoutErr{}, want: failReadTimeout},
		{name: "deadline", err: fmt.Errorf("waiting: %w", context.DeadlineExceeded), want: failReadTimeout},
		{name: "unknown authority", err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, want: failTLS, wantRetry: true},
		{name: "not tls", err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, want: failTLS, wantRetry: true},
		{name: "alert", err: &net.OpError{Op: "remote error", Err: tls.AlertError(40)}, want: failTLS, wantRetry: true},
		{name: "eof", err: io.ErrUnexpectedEOF, want: failBadResponse, wantRetry: true},
		{name: "reset", err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}, want: failBadResponse, wantRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify = %d, want %d", got, tt.want)
			}
			if got := retryable(tt.err); got != tt.wantRetry {
				t.Errorf("retryable = %v, want %v", got, tt.wantRetry)
			}
		})
	}
}
