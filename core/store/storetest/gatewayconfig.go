package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

func testGatewayConfigs(t *testing.T, open opener) {
	s := open(t)
	if _, _, err := s.LatestGatewayConfig(t.Context()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LatestGatewayConfig on an empty store = %v, want ErrNotFound", err)
	}
	on := false
	c1 := &model.GatewayConfig{
		Listen: "127.0.0.1:8080", Admin: "127.0.0.1:8081",
		APIs: []model.GatewayAPI{{
			Name: "petstore", Spec: "petstore.yaml", BasePath: "/petstore", Mode: model.ModeProxy, Validate: &on,
			Upstream:   json.RawMessage(`{"targets":[{"url":"http://127.0.0.1:9001","weight":1}]}`),
			Policies:   []model.PolicyConfig{{Name: "rateLimit", Settings: json.RawMessage(`{"requests":5,"window":"1m"}`)}, {Name: "keyAuth"}},
			Operations: []model.OperationConfig{{Match: "listPets", Mode: model.ModeMock}},
		}},
		Consumers: []model.Consumer{{Name: "alice", APIKeyHashes: []string{"sha256:00"}, Basic: []model.BasicCredential{{Username: "alice", PasswordHash: "sha256:11"}}}},
	}
	rev1, added, err := s.PutGatewayConfig(t.Context(), c1)
	if err != nil || !added || rev1 <= 0 {
		t.Fatalf("PutGatewayConfig = %d, %v, %v", rev1, added, err)
	}
	got, rev, err := s.LatestGatewayConfig(t.Context())
	if err != nil || rev != rev1 {
		t.Fatalf("LatestGatewayConfig = rev %d, %v; want %d", rev, err, rev1)
	}
	if !reflect.DeepEqual(got, c1) {
		t.Errorf("stored configuration differs:\n got  %+v\n want %+v", got, c1)
	}
	// The same configuration again adds nothing.
	again, added, err := s.PutGatewayConfig(t.Context(), c1)
	if err != nil || added || again != rev1 {
		t.Fatalf("storing the same configuration again = %d, %v, %v; want %d, false", again, added, err, rev1)
	}
	c2 := *c1
	c2.Listen = "127.0.0.1:9090"
	rev2, added, err := s.PutGatewayConfig(t.Context(), &c2)
	if err != nil || !added || rev2 <= rev1 {
		t.Fatalf("PutGatewayConfig(changed) = %d, %v, %v", rev2, added, err)
	}
	if got, rev, err := s.LatestGatewayConfig(t.Context()); err != nil || rev != rev2 || got.Listen != "127.0.0.1:9090" {
		t.Fatalf("newest = %+v rev %d, %v", got, rev, err)
	}
	if _, _, err := s.PutGatewayConfig(t.Context(), nil); err == nil {
		t.Fatal("nil configuration accepted")
	}
}
