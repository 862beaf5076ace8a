package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/embedded-gateway"
)

func TestLifecycleHeaders(t *testing.T) {
	deprecated := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sunset := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name            string
		lc              config.Lifecycle
		wantStatus      int
		wantDeprecation string
		wantSunset      string
	}{
		{"published", config.Lifecycle{State: config.LifecyclePublished}, http.StatusOK, "", ""},
		{"zero value", config.Lifecycle{}, http.StatusOK, "", ""},
		{"deprecated with sunset", config.Lifecycle{State: config.LifecycleDeprecated, DeprecatedAt: deprecated, Sunset: sunset},
			http.StatusOK, "@1767323045", "Wed, 01 Jul 2026 00:00:00 GMT"},
		{"deprecated without sunset", config.Lifecycle{State: config.LifecycleDeprecated, DeprecatedAt: deprecated},
			http.StatusOK, "@1767323045", ""},
		{"retired", config.Lifecycle{State: config.LifecycleRetired, DeprecatedAt: deprecated, Sunset: sunset},
			http.StatusGone, "", "Wed, 01 Jul 2026 00:00:00 GMT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAPI(t, "pets", "", load(t, "petstore.yaml"))
			a.Lifecycle = tt.lc
			gw := newGateway(t, gateway.Options{}, a)
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/pets", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Deprecation"); got != tt.wantDeprecation {
				t.Errorf("Deprecation %q, want %q", got, tt.wantDeprecation)
			}
			if got := rec.Header().Get("Sunset"); got != tt.wantSunset {
				t.Errorf("Sunset %q, want %q", got, tt.wantSunset)
			}
			if tt.wantStatus == http.StatusGone {
				var p struct {
					Type   string `json:"type"`
					Status int    `json:"status"`
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q", ct)
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != http.StatusGone {
					t.Errorf("problem %s: %v", rec.Body, err)
				}
			}
		})
	}
}

func TestLifecycleChangeIsApplied(t *testing.T) {
	a := mustAPI(t, "pets", "", load(t, "petstore.yaml"))
	gw := newGateway(t, gateway.Options{}, a)
	b := *a
	b.Lifecycle = config.Lifecycle{State: config.LifecycleRetired}
	old := &config.Snapshot{Revision: 1, APIs: []*config.API{a}}
	next := &config.Snapshot{Revision: 2, APIs: []*config.API{&b}}
	if old.Equal(next) {
		t.Fatal("snapshots that differ in lifecycle compare equal")
	}
	if err := gw.Apply(next); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/pets", nil))
	if rec.Code != http.StatusGone {
		t.Errorf("status %d after retiring, want 410", rec.Code)
	}
}
