package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/testservice"
	"github.com/gantry-dev/gantry/sync/server/servertest"
)

func TestHostedWorkflow(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv(serverEnv, "")
	t.Setenv(tokenEnv, "")
	ts := servertest.Start(t, servertest.Options{})

	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	orig, err := os.ReadFile(filepath.Join("testdata", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// v2 drops GET /pets/{petId}: a breaking change.
	i := strings.Index(string(orig), "  /pets/{petId}:")
	j := strings.Index(string(orig), "components:")
	v2 := filepath.Join(dir, "v2.yaml")
	if err := os.WriteFile(v2, append(append([]byte{}, orig[:i]...), orig[j:]...), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{"no server", []string{"catalogs", "list"}, 1, nil, []string{"no management server"}},
		{"create with flags", []string{"catalogs", "create", "dev", "--server", ts.URL, "--token", "root-token"}, 0, []string{"created catalog dev"}, nil},
		{"login with a bad token", []string{"login", ts.URL, "--token", "nope"}, 1, nil, []string{"401", "unknown"}},
		{"login", []string{"login", ts.URL, "--token", "root-token"}, 0, []string{"logged in", "as admin (admin)"}, nil},
		{"create prod", []string{"catalogs", "create", "prod"}, 0, []string{"created catalog prod"}, nil},
		{"list", []string{"catalogs", "list"}, 0, []string{"dev", "prod"}, nil},
		{"import", []string{"import", filepath.Join("testdata", "petstore.yaml")}, 0, []string{"imported swagger-petstore"}, nil},
		{"publish", []string{"publish", "swagger-petstore", "--catalog", "dev"}, 0, []string{"revision 1 of swagger-petstore published to dev"}, nil},
		{"publish again", []string{"publish", "swagger-petstore", "--catalog", "dev"}, 0, []string{"unchanged"}, nil},
		{"import v2", []string{"import", v2, "--name", "swagger-petstore"}, 0, []string{"imported swagger-petstore"}, nil},
		{"breaking publish refused", []string{"publish", "swagger-petstore", "--catalog", "dev"}, 1, nil, []string{"1 breaking change", "GET /pets/{petId}", "422"}},
		{"allow without reason", []string{"publish", "swagger-petstore", "--catalog", "dev", "--allow-breaking"}, 1, nil, []string{"needs a reason"}},
		{"allow with reason", []string{"publish", "swagger-petstore", "--catalog", "dev", "--allow-breaking", "--reason", "v2 cleanup"}, 0, []string{"revision 2", "1 breaking"}, nil},
		{"stale base", []string{"publish", "swagger-petstore", "--catalog", "dev", "--base", "1", "--allow-breaking", "--reason", "x"}, 0, []string{"unchanged"}, nil},
		{"promote", []string{"promote", "swagger-petstore", "--from", "dev", "--to", "prod"}, 0, []string{"dev revision 2 of swagger-petstore is revision 1 in prod"}, nil},
		{"promote again", []string{"promote", "swagger-petstore", "--from", "dev", "--to", "prod"}, 0, []string{"unchanged"}, nil},
		{"deprecate with a bad sunset", []string{"deprecate", "swagger-petstore", "--catalog", "prod", "--sunset", "soon"}, 1, nil, []string{`--sunset "soon"`, "2027-06-30"}},
		{"deprecate", []string{"deprecate", "swagger-petstore", "--catalog", "prod", "--sunset", "2027-06-30", "--reason", "v3 is out"}, 0, []string{"swagger-petstore in prod is deprecated (revision 1); sunset 2027-06-30T00:00:00Z"}, nil},
		{"retire", []string{"retire", "swagger-petstore", "--catalog", "prod"}, 0, []string{"swagger-petstore in prod is retired"}, nil},
		{"reinstate", []string{"reinstate", "swagger-petstore", "--catalog", "prod"}, 0, []string{"swagger-petstore in prod is published"}, nil},
		{"lifecycle of an unknown API", []string{"retire", "nope", "--catalog", "prod"}, 1, nil, []string{"404"}},
		{"lifecycle audited", []string{"audit", "--catalog", "prod"}, 0, []string{"v3 is out"}, nil},
		{"audit", []string{"audit", "--catalog", "dev"}, 0, []string{"api.publish", "v2 cleanup", "1→2", "catalog.create"}, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, st.args...)
			if code != st.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, st.wantCode, out, errOut)
			}
			for _, w := range st.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range st.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	p, err := loginPath()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("login file %s: %v %v", p, fi, err)
	}
	// Content published elsewhere meanwhile: a publish based on revision 1 is refused with 409.
	if err := os.WriteFile(v2, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	gantry(t, db, "import", v2, "--name", "swagger-petstore")
	code, _, errOut := gantry(t, db, "publish", "swagger-petstore", "--catalog", "dev", "--base", "1")
	if code != 1 || !strings.Contains(errOut, "409") || !strings.Contains(errOut, "revision 2, published by admin") || !strings.Contains(errOut, "gantry pull --catalog dev swagger-petstore") {
		t.Errorf("stale publish: exit %d: %s", code, errOut)
	}

	// Pull: into a second workspace, then over local work in the first.
	db2 := filepath.Join(dir, "ws2.db")
	pulls := []struct {
		name     string
		db       string
		args     []string
		wantCode int
		want     string
	}{
		{"pull into a new workspace", db2, []string{"pull", "--catalog", "prod"}, 0, "swagger-petstore: added revision 1 of prod, 2 operations"},
		{"pull again", db2, []string{"pull", "--catalog", "prod"}, 0, "swagger-petstore: up to date with revision 1 of prod"},
		{"pull over local changes", db, []string{"pull", "--catalog", "dev", "swagger-petstore"}, 0, "swagger-petstore: local changes kept (the local copy changed since revision 2 was published or pulled); revision 2 of dev is the base"},
		{"publish on the pulled base", db, []string{"publish", "swagger-petstore", "--catalog", "dev"}, 0, "revision 3 of swagger-petstore published to dev; 1 change, 0 breaking"},
		{"pull an API the catalog lacks", db, []string{"pull", "--catalog", "dev", "nope"}, 1, "pulling nope from dev"},
		{"pull without a catalog", db, []string{"pull"}, 1, `required flag(s) "catalog" not set`},
	}
	for _, p := range pulls {
		t.Run(p.name, func(t *testing.T) {
			code, out, errOut := gantry(t, p.db, p.args...)
			if code != p.wantCode || !strings.Contains(out+errOut, p.want) {
				t.Errorf("exit %d, want %d and %q\nstdout: %s\nstderr: %s", code, p.wantCode, p.want, out, errOut)
			}
		})
	}
	if code, out, _ := gantry(t, db2, "apis", "list"); code != 0 || !strings.Contains(out, "swagger-petstore") {
		t.Errorf("the pulled API is not listed: %s", out)
	}
}

func TestServerCommand(t *testing.T) {
	tests := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(t *testing.T) []string { return []string{"--db", filepath.Join(t.TempDir(), "server.db")} }},
		{"postgres", func(t *testing.T) []string { return []string{"--postgres", testservice.Postgres(t)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(bootstrapTokenEnv, "")
			// Only --postgres chooses PostgreSQL: were this used, the SQLite case would fail.
			t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errb syncBuffer
			done := make(chan int, 1)
			args := append([]string{"server", "--listen", "127.0.0.1:0"}, tt.args(t)...)
			go func() { done <- run(ctx, args, &out, &errb) }()
			re := regexp.MustCompile(`(?s)shown only now\):\s+(\S+).*management server on (http://\S+)/api/v1`)
			var m []string
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if m = re.FindStringSubmatch(errb.String()); m != nil {
					break
				}
			}
			if m == nil {
				t.Fatalf("no token and address in: %s", errb.String())
			}
			req, _ := http.NewRequest("GET", m[2]+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+m[1])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET /me with the printed token: %d", resp.StatusCode)
			}
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("server exited %d: %s", code, errb.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("server did not stop")
			}
		})
	}
}

// TestServerBootstrapTokenEnv: on an empty store the first admin's token is
// GANTRY_BOOTSTRAP_TOKEN, never printed; a restart on the same store does not change it.
func TestServerBootstrapTokenEnv(t *testing.T) {
	const token = "boot-token-0123456789abcdef"
	t.Setenv(bootstrapTokenEnv, token)
	db := filepath.Join(t.TempDir(), "server.db")
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuffer
		done := make(chan int, 1)
		go func() { done <- run(ctx, []string{"server", "--listen", "127.0.0.1:0", "--db", db}, &out, &errb) }()
		re := regexp.MustCompile(`management server on (http://\S+)/api/v1`)
		var m []string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && m == nil; time.Sleep(20 * time.Millisecond) {
			m = re.FindStringSubmatch(errb.String())
		}
		if m == nil {
			cancel()
			t.Fatalf("round %d: no address in: %s", round, errb.String())
		}
		wantNote := round == 0
		if strings.Contains(errb.String(), "first admin created with the token from $"+bootstrapTokenEnv) != wantNote ||
			strings.Contains(errb.String(), token) || strings.Contains(errb.String(), "shown only now") {
			t.Errorf("round %d: stderr: %s", round, errb.String())
		}
		for _, tc := range []struct {
			token string
			want  int
		}{{token, 200}, {"wrong-token", 401}} {
			req, _ := http.NewRequest("GET", m[1]+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("round %d: GET /me with %q: %d, want %d", round, tc.token, resp.StatusCode, tc.want)
			}
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("round %d: server exited %d: %s", round, code, errb.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("server did not stop")
		}
	}
}
