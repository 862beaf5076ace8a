package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenRuleset is what the golden files are made with: every spectral:oas rule and the
// recommended OWASP rules.
const goldenRuleset = "extends: [[spectral:oas, all], owasp]\n"

func TestGolden(t *testing.T) {
	rs, err := ParseRuleset("golden.yaml", []byte(goldenRuleset))
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"testdata/lint/multi/openapi.yaml", "testdata/lint/swagger.yaml", "testdata/corpus/museum.yaml"} {
		d, err := Load(spec)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := Lint(context.Background(), d, rs)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(filepath.Dir(spec)), "/")
		if name == "corpus" || name == "lint" {
			name = strings.TrimSuffix(filepath.Base(spec), filepath.Ext(spec))
		}
		for _, format := range []string{FormatText, FormatJSON, FormatSARIF} {
			t.Run(name+"."+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, format, fs, rs, "test"); err != nil {
					t.Fatal(err)
				}
				ext := map[string]string{FormatText: ".txt", FormatJSON: ".json", FormatSARIF: ".sarif"}[format]
				path := filepath.Join("testdata", "golden", name+ext)
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("output differs from %s (run go test -update to accept):\n%s", path, buf.String())
				}
			})
		}
	}
}

// TestSARIFStructure checks the parts of a SARIF 2.1.0 log that consumers rely on.
func TestSARIFStructure(t *testing.T) {
	rs, err := ParseRuleset("golden.yaml", []byte(goldenRuleset))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load("testdata/lint/multi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Lint(context.Background(), d, rs)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, rs, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name    string `json:"name"`
					Version string `json:"version"`
					Rules   []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
						DefaultConfiguration struct {
							Level string `json:"level"`
						} `json:"defaultConfiguration"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine, StartColumn, EndLine, EndColumn int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("header: %q %q %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "gantry" || run.Tool.Driver.Version != "1.2.3" {
		t.Errorf("driver %+v", run.Tool.Driver)
	}
	ids := map[string]int{}
	for i, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.ShortDescription.Text == "" {
			t.Errorf("rule %d: %+v", i, r)
		}
		if _, dup := ids[r.ID]; dup {
			t.Errorf("rule %s listed twice", r.ID)
		}
		ids[r.ID] = i
		switch r.DefaultConfiguration.Level {
		case "error", "warning", "note":
		default:
			t.Errorf("rule %s level %q", r.ID, r.DefaultConfiguration.Level)
		}
	}
	if len(run.Results) != len(fs) || len(run.Results) == 0 {
		t.Fatalf("%d results for %d findings", len(run.Results), len(fs))
	}
	for i, res := range run.Results {
		if idx, ok := ids[res.RuleID]; !ok || idx != res.RuleIndex {
			t.Errorf("result %d: rule %s index %d (rules list it at %d, %v)", i, res.RuleID, res.RuleIndex, idx, ok)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %d has %d locations", i, len(res.Locations))
		}
		pl := res.Locations[0].PhysicalLocation
		r := pl.Region
		if pl.ArtifactLocation.URI == "" || r.StartLine < 1 || r.StartColumn < 1 || r.EndLine < r.StartLine || r.EndLine == r.StartLine && r.EndColumn < r.StartColumn {
			t.Errorf("result %d location %+v", i, pl)
		}
		if res.Message.Text == "" {
			t.Errorf("result %d has no message", i)
		}
	}
}

func TestWriteTextEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "No problems found.\n" {
		t.Errorf("%q", buf.String())
	}
	buf.Reset()
	if err := WriteJSON(&buf, nil); err != nil || buf.String() != "[]\n" {
		t.Errorf("%q %v", buf.String(), err)
	}
	if err := Write(&buf, "xml", nil, nil, ""); err == nil {
		t.Error("unknown format accepted")
	}
}
