package gateway

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// lifecycle applies the API's lifecycle to a request about to be served: a deprecated API
// gets the Deprecation (RFC 9745) and Sunset (RFC 8594) headers, a retired one 410 Gone.
// It returns false when it answered.
func lifecycle(w http.ResponseWriter, r *http.Request, a *config.API) bool {
	lc := a.Lifecycle
	switch lc.State {
	case config.LifecycleDeprecated:
		if !lc.DeprecatedAt.IsZero() {
			w.Header().Set("Deprecation", "@"+strconv.FormatInt(lc.DeprecatedAt.Unix(), 10))
		}
		if !lc.Sunset.IsZero() {
			w.Header().Set("Sunset", lc.Sunset.UTC().Format(http.TimeFormat))
		}
	case config.LifecycleRetired:
		if !lc.Sunset.IsZero() {
			w.Header().Set("Sunset", lc.Sunset.UTC().Format(http.TimeFormat))
		}
		problem.Error(w, r, http.StatusGone, "retired", fmt.Sprintf("The API %s has been retired and is no longer served.", a.Name))
		return false
	}
	return true
}
