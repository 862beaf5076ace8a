package access

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// requestSizeSettings are the requestSize policy's settings. (A limit on header size is a
// listener setting, http.Server.MaxHeaderBytes, not a policy: headers are read before any
// policy runs.)
type requestSizeSettings struct {
	// MaxBytes is the largest request body accepted, in bytes; required, positive.
	MaxBytes int64 `json:"maxBytes"`
}

func newRequestSize(raw json.RawMessage, _ policy.Env) (policy.Middleware, error) {
	var cfg requestSizeSettings
	if err := policy.Decode(raw, &cfg); err != nil {
		return nil, err
	}
	if cfg.MaxBytes <= 0 {
		return nil, policy.Errorf("maxBytes", "must be a positive number of bytes, not %d", cfg.MaxBytes)
	}
	limit := cfg.MaxBytes
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				WriteTooLarge(w, r, limit)
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				// A body without a Content-Length (chunked) is cut off after limit bytes:
				// the next reader's Read fails with an error IsTooLarge recognizes.
				r.Body = http.MaxBytesReader(w, r.Body, limit)
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// IsTooLarge reports whether err (or an error it wraps) says a request body went over the
// requestSize limit. Handlers that read the body (the proxy's ErrorHandler, validation)
// answer such an error with WriteTooLarge.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// WriteTooLarge sends the 413 problem for a body over limit bytes; limit <= 0 leaves the
// limit out of the detail. Use it for errors IsTooLarge recognizes.
func WriteTooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	detail := "the request content is too large"
	if limit > 0 {
		detail = "the request content is larger than the limit of " + strconv.FormatInt(limit, 10) + " bytes"
	}
	problem.Error(w, r, http.StatusRequestEntityTooLarge, "content-too-large", detail)
}

// TooLargeLimit returns the limit that err (as IsTooLarge recognizes) went over.
func TooLargeLimit(err error) (limit int64, ok bool) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe.Limit, true
	}
	return 0, false
}
