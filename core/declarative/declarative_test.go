package declarative

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestLoadIssueExample(t *testing.T) {
	d, err := Load(filepath.Join("testdata", "issue-example.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := d.Config
	if c.Listen != "127.0.0.1:8080" || c.Admin != "127.0.0.1:8081" || len(c.APIs) != 1 || len(c.Consumers) != 1 {
		t.Fatalf("config = %+v", c)
	}
	a := c.APIs[0]
	if a.Name != "petstore" || a.Spec != "petstore.yaml" || a.BasePath != "/petstore" || a.Mode != model.ModeProxy {
		t.Errorf("api = %+v", a)
	}
	if got := d.SpecPath(a); got != filepath.Join("testdata", "petstore.yaml") {
		t.Errorf("SpecPath = %q", got)
	}
	if string(a.Upstream) != `{"targets":[{"url":"http://127.0.0.1:9001","weight":1}]}` {
		t.Errorf("upstream = %s", a.Upstream)
	}
	wantPolicies := []model.PolicyConfig{
		{Name: "keyAuth", Settings: json.RawMessage(`{"in":"header","name":"apikey"}`)},
		{Name: "rateLimit", Settings: json.RawMessage(`{"by":"consumer","requests":5,"window":"1m"}`)},
	}
	if !reflect.DeepEqual(a.Policies, wantPolicies) {
		t.Errorf("policies = %s", mustJSON(a.Policies))
	}
	alice := c.Consumers[0]
	if alice.Name != "alice" || !reflect.DeepEqual(alice.APIKeyHashes, []string{secret.Hash("alice-key-0123456789")}) {
		t.Errorf("consumer = %+v (keys must be stored hashed)", alice)
	}
	// Positions lead back into the file, also inside settings owned by other packages.
	for _, tc := range []struct {
		field string
		want  Position
	}{
		{"apis[0].policies.rateLimit.window", Position{12, 40}},
		{"apis[0].upstream.targets[0].url", Position{9, 23}},
		{"apis[0].policies.rateLimit.nosuch", Position{12, 18}}, // falls back to the policy
		{"apis[0].mode", Position{7, 11}},
	} {
		if got := d.Position(tc.field); got != tc.want {
			t.Errorf("Position(%q) = %+v, want %+v", tc.field, got, tc.want)
		}
	}
}

func TestLoadFull(t *testing.T) {
	d, err := Load(filepath.Join("testdata", "full.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := d.Config
	if got := []string{c.APIs[0].Policies[0].Name, c.APIs[0].Policies[1].Name}; got[0] != "rateLimit" || got[1] != "keyAuth" {
		t.Errorf("policies lost their configured order: %v", got)
	}
	if c.APIs[0].Validate == nil || *c.APIs[0].Validate {
		t.Errorf("validate = %v, want false", c.APIs[0].Validate)
	}
	if len(c.APIs[0].Operations) != 2 || c.APIs[0].Operations[1].Match != "DELETE /pets/{petId}" {
		t.Errorf("operations = %+v", c.APIs[0].Operations)
	}
	if c.APIs[1].API != "museum-api" || c.APIs[1].Mode != "" {
		t.Errorf("museum = %+v", c.APIs[1])
	}
	bob := c.Consumers[1]
	if len(bob.Basic) != 1 || !secret.IsPasswordHash(bob.Basic[0].PasswordHash) {
		t.Errorf("bob = %+v", bob)
	}
	if c.Environments[0].Variables["token"] != "dev-token" {
		t.Errorf("environments = %+v", c.Environments)
	}
}

// TestMarshalRoundTrip writes each good configuration back as YAML and loads it again:
// the workspace's exported configuration must mean exactly what was imported.
func TestMarshalRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.good.yaml"))
	if len(files) == 0 {
		t.Fatal("no good fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			d, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Marshal(&d.Config)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse("exported.yaml", out)
			if err != nil {
				t.Fatalf("exported configuration does not load: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(normalizeJSON(t, d.Config), normalizeJSON(t, again.Config)) {
				t.Errorf("round trip changed the configuration:\nfirst  %s\nsecond %s\nyaml:\n%s",
					mustJSON(d.Config), mustJSON(again.Config), out)
			}
			if strings.Contains(string(out), "alice-key-0123456789") || strings.Contains(string(out), "correct horse") {
				t.Errorf("exported configuration holds a secret in the clear:\n%s", out)
			}
		})
	}
}

// normalizeJSON decodes and re-encodes c so that JSON settings compare by meaning.
func normalizeJSON(t *testing.T, c model.GatewayConfig) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(mustJSON(c), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestBadConfigs checks the problems reported for each bad fixture against its golden
// file (refresh with -update): every problem names the file, line, column and field.
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.bad.yaml"))
	if len(files) == 0 {
		t.Fatal("no bad fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Load = %v, want problems", err)
			}
			for _, p := range ps {
				if p.File != f || p.Line == 0 {
					t.Errorf("problem without file or line: %+v", p)
				}
			}
			got := ps.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s (run with -update to accept):\n got:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "apis:\n", "[1, 2]\n", "just text\n"} {
		_, err := Parse("gantry.yaml", []byte(in))
		var ps Problems
		if !errors.As(err, &ps) {
			t.Errorf("Parse(%q) = %v, want problems", in, err)
		}
	}
}

// FuzzParse feeds arbitrary documents to the loader: it must report problems, never panic,
// and what it accepts must survive Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.yaml", data)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error is not a list of problems: %v", err)
			}
			return
		}
		out, err := Marshal(&d.Config)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse("again.yaml", out)
		if err != nil {
			t.Fatalf("exported configuration does not load: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(normalizeJSON(t, d.Config), normalizeJSON(t, again.Config)) {
			t.Fatalf("round trip changed the configuration:\n%s\n%s", mustJSON(d.Config), mustJSON(again.Config))
		}
	})
}
