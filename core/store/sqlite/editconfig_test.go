package sqlite

import (
	"errors"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// TestAddRevisionAndEditConfig checks that the revision and the configuration edit are
// stored together or not at all.
func TestAddRevisionAndEditConfig(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	if _, _, err := s.PutGatewayConfig(ctx, &model.GatewayConfig{Listen: "127.0.0.1:8080"}); err != nil {
		t.Fatal(err)
	}
	rev := func(hash string) *model.SpecRevision {
		return &model.SpecRevision{Hash: hash, Root: "openapi.yaml", Compiled: []byte(`{}`),
			Files: []model.SpecFile{{Path: "openapi.yaml", Content: []byte("openapi: 3.1.0 # " + hash)}}}
	}
	addAPI := func(c *model.GatewayConfig) (bool, error) {
		c.APIs = append(c.APIs, model.GatewayAPI{Name: "pets", API: "pets", BasePath: "/pets"})
		return true, nil
	}
	boom := errors.New("boom")

	tests := []struct {
		name      string
		hash      string
		edit      func(*model.GatewayConfig) (bool, error)
		wantErr   error
		wantRev   string // the API's newest revision afterwards; "" if there is no API
		wantAPIs  int    // gateway APIs in the newest configuration afterwards
		wantCfgID int64
	}{
		{"a failing edit stores nothing", "h1", func(c *model.GatewayConfig) (bool, error) {
			c.Listen = "changed"
			return true, boom
		}, boom, "", 0, 1},
		{"both stored", "h1", addAPI, nil, "h1", 1, 2},
		{"no change keeps the configuration revision", "h2", func(*model.GatewayConfig) (bool, error) { return false, nil }, nil, "h2", 1, 2},
		{"a failing edit keeps the earlier revision", "h3", func(*model.GatewayConfig) (bool, error) { return false, boom }, boom, "h2", 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := s.AddRevisionAndEditConfig(ctx, "pets", rev(tc.hash), tc.edit)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			latest, err := s.LatestRevision(ctx, "pets", false)
			switch {
			case tc.wantRev == "" && !errors.Is(err, store.ErrNotFound):
				t.Fatalf("LatestRevision = %v, %v; want not found", latest, err)
			case tc.wantRev != "" && (err != nil || latest.Hash != tc.wantRev):
				t.Fatalf("LatestRevision = %v, %v; want hash %s", latest, err, tc.wantRev)
			}
			cfg, id, err := s.LatestGatewayConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.wantCfgID || len(cfg.APIs) != tc.wantAPIs || cfg.Listen != "127.0.0.1:8080" {
				t.Fatalf("configuration %d = %+v; want revision %d with %d APIs", id, cfg, tc.wantCfgID, tc.wantAPIs)
			}
		})
	}
}
