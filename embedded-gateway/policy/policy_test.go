package policy

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// tag returns a factory whose middleware appends name to the X-Order header.
func tag(name string) Factory {
	return func(settings json.RawMessage, env Env) (Middleware, error) {
		var s struct {
			Fail   bool     `json:"fail"`
			Window Duration `json:"window"`
		}
		if err := Decode(settings, &s); err != nil {
			return nil, err
		}
		if s.Fail {
			return nil, Errorf("fail", "asked to fail")
		}
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add("X-Order", name)
				next.ServeHTTP(w, r)
			})
		}, nil
	}
}

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	var r Registry
	for _, d := range []Definition{
		{Name: "rateLimit", Phase: PhaseRateLimit, New: tag("rateLimit")},
		{Name: "keyAuth", Phase: PhaseAuthenticate, New: tag("keyAuth")},
		{Name: "cors", Phase: PhaseCORS, New: tag("cors")},
		{Name: "transformA", Phase: PhaseTransform, New: tag("transformA")},
		{Name: "transformB", Phase: PhaseTransform, New: tag("transformB")},
	} {
		if err := r.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	return &r
}

func TestBuildRunsPoliciesInPhaseOrder(t *testing.T) {
	r := testRegistry(t)
	tests := []struct {
		name    string
		configs []Config
		want    string
	}{
		{"configured out of order", []Config{{Name: "rateLimit"}, {Name: "keyAuth"}, {Name: "cors"}}, "cors,keyAuth,rateLimit"},
		{"same phase keeps configured order", []Config{{Name: "transformB"}, {Name: "transformA"}}, "transformB,transformA"},
		{"none", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := r.Build(tc.configs, Env{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if got := strings.Join(rec.Header().Values("X-Order"), ","); got != tc.want {
				t.Errorf("order = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBuildErrorsNameThePolicyAndField(t *testing.T) {
	r := testRegistry(t)
	tests := []struct {
		name      string
		config    Config
		wantField string
		wantIn    string
	}{
		{"unknown policy", Config{Name: "keyauth"}, "", "unknown policy (known: cors, keyAuth"},
		{"unknown setting", Config{Name: "keyAuth", Settings: json.RawMessage(`{"nmae": "x"}`)}, "nmae", "unknown setting"},
		{"wrong type", Config{Name: "keyAuth", Settings: json.RawMessage(`{"fail": "yes"}`)}, "fail", "must be true or false"},
		{"factory refuses", Config{Name: "keyAuth", Settings: json.RawMessage(`{"fail": true}`)}, "fail", "asked to fail"},
		{"bad duration", Config{Name: "keyAuth", Settings: json.RawMessage(`{"window": "soon"}`)}, "window", `"soon" is not a duration like "30s"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Build([]Config{tc.config}, Env{}, http.NotFoundHandler())
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			if fe.Policy != tc.config.Name || fe.Field != tc.wantField || !strings.Contains(fe.Error(), tc.wantIn) {
				t.Errorf("got policy %q field %q error %q; want policy %q field %q containing %q",
					fe.Policy, fe.Field, fe.Error(), tc.config.Name, tc.wantField, tc.wantIn)
			}
		})
	}
}

func TestRegisterRefusesDuplicates(t *testing.T) {
	r := testRegistry(t)
	if err := r.Register(Definition{Name: "cors", New: tag("x")}); err == nil {
		t.Fatal("duplicate registration accepted")
	}
	if err := r.Register(Definition{Name: "noFactory"}); err == nil {
		t.Fatal("registration without a factory accepted")
	}
}

func TestIdentityHolderSeesInnerIdentity(t *testing.T) {
	ctx, get := WithIdentityHolder(t.Context())
	req := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	var inner *Identity
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = SetIdentity(r, &Identity{Subject: "alice", Method: "keyAuth"})
		inner = IdentityFrom(r.Context())
	})
	h.ServeHTTP(httptest.NewRecorder(), req)
	if inner == nil || inner.Subject != "alice" {
		t.Fatalf("inner identity = %+v", inner)
	}
	if got := get(); got != inner {
		t.Fatalf("holder has %+v, want the inner identity", got)
	}
	if IdentityFrom(req.Context()) != nil {
		t.Fatal("outer request context changed")
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`"1m"`, time.Minute, false},
		{`"250ms"`, 250 * time.Millisecond, false},
		{`30`, 30 * time.Second, false},
		{`"soon"`, 0, true},
		{`true`, 0, true},
	}
	for _, tc := range tests {
		var d Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err != nil) != tc.wantErr || (!tc.wantErr && d.Std() != tc.want) {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v, error %v", tc.in, d.Std(), err, tc.want, tc.wantErr)
		}
	}
}
