package workspace

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
)

func TestConfiguredAPI(t *testing.T) {
	c := &model.GatewayConfig{APIs: []model.GatewayAPI{
		{Name: "files", Spec: "orders.yaml"},
		{Name: "bare"},
		{Name: "public-orders", API: "orders"},
	}}
	tests := []struct {
		name string
		cfg  *model.GatewayConfig
		want string // the entry's Name; "" for none
	}{
		{name: "orders", cfg: c, want: "public-orders"},
		{name: "bare", cfg: c, want: "bare"},
		{name: "files", cfg: c, want: ""},
		{name: "missing", cfg: c, want: ""},
		{name: "orders", cfg: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ConfiguredAPI(tt.cfg, tt.name)
			if (got == nil) != (tt.want == "") || (got != nil && got.Name != tt.want) {
				t.Fatalf("ConfiguredAPI(%q) = %+v, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestSourceAppliesGatewayConfig(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStore(t)
	for _, n := range []string{"orders", "pets"} {
		if _, err := Create(ctx, st, n, "blank"); err != nil {
			t.Fatal(err)
		}
	}
	off := false
	cfg := &model.GatewayConfig{
		APIs: []model.GatewayAPI{{
			Name: "orders", API: "orders", BasePath: "/o", Validate: &off,
			Policies:   []model.PolicyConfig{{Name: "keyAuth", Settings: json.RawMessage(`{"name":"x-key"}`)}},
			Operations: []model.OperationConfig{{Match: "getHealth", Policies: []model.PolicyConfig{{Name: "rateLimit"}}}},
		}},
		Consumers: []model.Consumer{{Name: "app"}},
	}
	if _, _, err := st.PutGatewayConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	src := NewSource(st)
	if src.Config == nil {
		t.Fatal("NewSource over the SQLite store should read its gateway configuration")
	}
	src.Poll = time.Hour
	out := make(chan *config.Snapshot)
	go func() { _ = src.Run(ctx, out) }()
	next := func() *config.Snapshot {
		t.Helper()
		select {
		case s := <-out:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("no snapshot")
		}
		return nil
	}
	first := next()
	byName := map[string]*config.API{}
	for _, a := range first.APIs {
		byName[a.Name] = a
	}
	o, p := byName["orders"], byName["pets"]
	if o == nil || p == nil {
		t.Fatalf("snapshot APIs: %+v", first.APIs)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"orders has its policies", len(o.Policies) == 1 && o.Policies[0].Name == "keyAuth"},
		{"orders has its operations", len(o.Operations) == 1 && o.Operations[0].Match == "getHealth"},
		{"orders has its base path", o.BasePath == "/o"},
		{"orders validation is off", o.NoValidation},
		{"pets is left alone", len(p.Policies) == 0 && p.BasePath == "/api" && !p.NoValidation},
		{"consumers are passed on", len(first.Consumers) == 1 && first.Consumers[0].Name == "app"},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("%s: orders %+v, pets %+v", tt.name, o, p)
		}
	}

	// A new revision of the configuration is a new snapshot.
	cfg.APIs[0].Policies = nil
	if _, _, err := st.PutGatewayConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	src.Poke()
	second := next()
	for _, a := range second.APIs {
		if a.Name == "orders" && len(a.Policies) != 0 {
			t.Fatalf("policies after the change: %+v", a.Policies)
		}
	}
}

func TestRequestsFolder(t *testing.T) {
	tests := []struct {
		name    string
		api     model.API
		db      string
		want    string
		wantErr bool
	}{
		{name: "linked", api: model.API{Name: "pets", LinkedPath: "/specs/pets/openapi.yaml"}, db: "/ws/gantry.db", want: "/specs/pets/requests"},
		{name: "workspace", api: model.API{Name: "pets"}, db: "/ws/gantry.db", want: "/ws/requests/pets"},
		{name: "no database path", api: model.API{Name: "pets"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := RequestsFolder(&tt.api, tt.db)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantErr && filepath.ToSlash(f.Dir) != tt.want {
				t.Fatalf("Dir = %q, want %q", f.Dir, tt.want)
			}
		})
	}
}
