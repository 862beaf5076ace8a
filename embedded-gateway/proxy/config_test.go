package proxy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

func TestValidate(t *testing.T) {
	good := func() Upstream {
		return Upstream{Name: "orders", Targets: []Target{{URL: "http://127.0.0.1:8080"}}}
	}
	tests := []struct {
		name    string
		mutate  func(u *Upstream)
		wantErr string // "" means valid
	}{
		{name: "minimal", mutate: func(u *Upstream) {}},
		{name: "everything", mutate: func(u *Upstream) {
			u.Targets = append(u.Targets, Target{URL: "https://example.com/base?x=1", Weight: 3})
			u.HealthCheck = &HealthCheck{Path: "/healthz", Interval: policy.Duration(time.Second), ExpectStatus: [2]int{200, 204}}
			u.CircuitBreaker = &CircuitBreaker{FailureThreshold: 2}
			u.StripPrefix = "/api/"
			u.Retries = -1
		}},
		{name: "no name", mutate: func(u *Upstream) { u.Name = " " }, wantErr: "name: is required"},
		{name: "no targets", mutate: func(u *Upstream) { u.Targets = nil }, wantErr: "targets: at least one"},
		{name: "relative url", mutate: func(u *Upstream) { u.Targets[0].URL = "/x" }, wantErr: "targets[0].url"},
		{name: "ftp url", mutate: func(u *Upstream) { u.Targets[0].URL = "ftp://h/x" }, wantErr: "targets[0].url: \"ftp://h/x\" must be an absolute http or https URL"},
		{name: "credentials redacted", mutate: func(u *Upstream) { u.Targets[0].URL = "http://bob:hunter2@h/" }, wantErr: "carries credentials"},
		{name: "fragment", mutate: func(u *Upstream) { u.Targets[0].URL = "http://h/#x" }, wantErr: "fragment"},
		{name: "negative weight", mutate: func(u *Upstream) { u.Targets[0].Weight = -1 }, wantErr: "targets[0].weight"},
		{name: "negative read timeout", mutate: func(u *Upstream) { u.ReadTimeout = -1 }, wantErr: "readTimeout"},
		{name: "too many retries", mutate: func(u *Upstream) { u.Retries = 11 }, wantErr: "retries"},
		{name: "relative strip prefix", mutate: func(u *Upstream) { u.StripPrefix = "api" }, wantErr: "stripPrefix"},
		{name: "health path", mutate: func(u *Upstream) { u.HealthCheck = &HealthCheck{Path: "healthz"} }, wantErr: "healthCheck.path"},
		{name: "health timeout over interval", mutate: func(u *Upstream) {
			u.HealthCheck = &HealthCheck{Path: "/h", Interval: policy.Duration(time.Second), Timeout: policy.Duration(2 * time.Second)}
		}, wantErr: "healthCheck.timeout"},
		{name: "health status range", mutate: func(u *Upstream) {
			u.HealthCheck = &HealthCheck{Path: "/h", ExpectStatus: [2]int{300, 200}}
		}, wantErr: "healthCheck.expectStatus"},
		{name: "breaker threshold", mutate: func(u *Upstream) { u.CircuitBreaker = &CircuitBreaker{FailureThreshold: -2} }, wantErr: "circuitBreaker.failureThreshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := good()
			tt.mutate(&u)
			err := u.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), `upstream "`) {
				t.Errorf("error does not name the upstream: %v", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks a password: %v", err)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	const doc = `{
		"name": "orders",
		"targets": [{"url": "http://127.0.0.1:9001", "weight": 3}, {"url": "http://127.0.0.1:9002"}],
		"connectTimeout": "2s", "readTimeout": "1m", "retries": 2,
		"healthCheck": {"path": "/healthz", "interval": "5s", "timeout": "1s", "healthyThreshold": 1, "unhealthyThreshold": 2, "expectStatus": [200, 299]},
		"circuitBreaker": {"failureThreshold": 4, "openFor": "15s", "halfOpenRequests": 2},
		"stripPrefix": "/orders", "preserveHost": true
	}`
	var u Upstream
	if err := json.Unmarshal([]byte(doc), &u); err != nil {
		t.Fatal(err)
	}
	if err := u.Validate(); err != nil {
		t.Fatal(err)
	}
	if u.ConnectTimeout.Std() != 2*time.Second || u.ReadTimeout.Std() != time.Minute || u.HealthCheck.Interval.Std() != 5*time.Second ||
		u.CircuitBreaker.OpenFor.Std() != 15*time.Second || u.HealthCheck.ExpectStatus != [2]int{200, 299} || !u.PreserveHost || u.Targets[0].Weight != 3 {
		t.Fatalf("decoded %+v", u)
	}
	d := u.withDefaults()
	if d.Targets[1].Weight != 1 || d.Retries != 2 {
		t.Fatalf("defaults %+v", d)
	}
	if z := (Upstream{Name: "z", Targets: []Target{{URL: "http://h"}}, CircuitBreaker: &CircuitBreaker{}, HealthCheck: &HealthCheck{Path: "/"}}).withDefaults(); z.ConnectTimeout.Std() != DefaultConnectTimeout ||
		z.ReadTimeout.Std() != DefaultReadTimeout || z.Retries != DefaultRetries || z.CircuitBreaker.FailureThreshold != DefaultFailureThreshold ||
		z.HealthCheck.ExpectStatus != [2]int{200, 399} || z.HealthCheck.Timeout.Std() != DefaultHealthTimeout {
		t.Fatalf("zero-value defaults %+v", z)
	}
	if n := (Upstream{Retries: -1}).withDefaults().Retries; n != 0 {
		t.Fatalf("negative retries became %d, want 0", n)
	}
}
