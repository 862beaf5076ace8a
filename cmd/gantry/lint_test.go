package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLintCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	spec := filepath.Join("testdata", "petstore.yaml")

	// A folder with a workspace ruleset beside the spec.
	proj := filepath.Join(dir, "proj")
	if err := os.MkdirAll(filepath.Join(proj, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	petstore, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(proj, "api", "openapi.yaml"), string(petstore))
	write(filepath.Join(proj, ".spectral.yaml"), "extends: [[spectral:oas, off]]\nrules:\n  title-case:\n    given: $.info.title\n    severity: error\n    then: {function: casing, functionOptions: {type: kebab}}\n")
	badRuleset := filepath.Join(dir, "bad.yaml")
	write(badRuleset, "rules:\n  my-rule:\n    given: $\n    then:\n      function: patern\n")
	okRuleset := filepath.Join(dir, "ok.yaml")
	write(okRuleset, "extends: spectral:oas\nrules:\n  info-contact: off\n")

	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
		noOut    []string
	}{
		{"text", []string{"lint", spec}, 0, []string{
			"testdata/petstore.yaml:2:1", "warn", "info-contact", `Info object must have "contact" object.`, "$.info",
			"testdata/petstore.yaml:15:11", "operation-tag-defined", "8 problems (0 errors, 8 warnings, 0 infos, 0 hints)"}, nil, nil},
		{"fail at warn", []string{"lint", spec, "--fail-severity", "warn"}, 1, []string{"8 problems"}, []string{"lint failed: 8 findings at severity warn or above"}, nil},
		{"fail never", []string{"lint", spec, "-F", "none"}, 0, nil, nil, nil},
		{"ruleset flag", []string{"lint", spec, "--ruleset", okRuleset, "-F", "hint"}, 1, []string{"operation-description"}, nil, []string{"info-contact"}},
		{"bad ruleset names file line column and field", []string{"lint", spec, "-r", badRuleset}, 1, nil,
			[]string{"bad.yaml:5:7: rules.my-rule.then.function: unknown function \"patern\""}, nil},
		{"missing ruleset", []string{"lint", spec, "-r", filepath.Join(dir, "none.yaml")}, 1, nil, []string{"none.yaml", "cannot read the ruleset"}, nil},
		{"broken spec names file and line", []string{"lint", filepath.Join("testdata", "broken.bad.yaml")}, 1, nil, []string{"broken.bad.yaml:8:18:", "did not find expected"}, nil},
		{"workspace ruleset beside the spec", []string{"lint", filepath.Join(proj, "api", "openapi.yaml")}, 1, []string{"title-case", "must be kebab case"}, []string{"using ruleset", ".spectral.yaml"}, []string{"info-contact"}},
		{"bad format", []string{"lint", spec, "--format", "xml"}, 1, nil, []string{"--format"}, nil},
		{"bad fail severity", []string{"lint", spec, "--fail-severity", "loud"}, 1, nil, []string{"--fail-severity"}, nil},
		{"unknown without workspace", []string{"lint", "nope"}, 1, nil, []string{"nope is not a spec file", "no workspace"}, nil},
		{"import", []string{"import", spec, "--name", "pets"}, 0, []string{"imported pets"}, nil, nil},
		{"workspace API", []string{"lint", "pets"}, 0, []string{"petstore.yaml:2:1", "info-contact"}, nil, nil},
		{"unknown API", []string{"lint", "nope"}, 1, nil, []string{"not a spec file", "not an API in the workspace"}, nil},
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
			for _, w := range st.noOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestLintCommandFormats(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ws.db")
	spec := filepath.Join("testdata", "petstore.yaml")

	code, out, errOut := gantry(t, db, "lint", spec, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var findings []struct {
		Rule, Severity, Message, File, Path string
		Line, Column, EndLine, EndColumn    int
	}
	if err := json.Unmarshal([]byte(out), &findings); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(findings) != 8 || findings[0].File != "testdata/petstore.yaml" || findings[0].Line != 2 || findings[0].Severity != "warn" {
		t.Errorf("findings: %+v", findings)
	}

	code, out, errOut = gantry(t, db, "lint", spec, "--format", "sarif", "--fail-severity", "warn")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "gantry" || len(log.Runs[0].Tool.Driver.Rules) == 0 {
		t.Fatalf("log: %+v", log)
	}
	res := log.Runs[0].Results
	if len(res) != 8 || res[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "testdata/petstore.yaml" || res[0].Locations[0].PhysicalLocation.Region.StartLine != 2 {
		t.Errorf("results: %+v", res)
	}
}

func TestRulesetCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	if code, _, errOut := gantry(t, db, "import", filepath.Join("testdata", "petstore.yaml")); code != 0 {
		t.Fatal(errOut)
	}
	own := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(own, []byte("extends: [[spectral:oas, off]]\nrules:\n  must-have-terms:\n    given: $.info\n    severity: error\n    then: {field: termsOfService, function: truthy}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  x: {given: $, then: {function: nope}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name             string
		args             []string
		wantCode         int
		wantOut, wantErr string
		notOut           string
	}{
		{"none yet", []string{"ruleset", "show"}, 0, "", "no ruleset of its own", ""},
		{"built-in rules", []string{"lint", "swagger-petstore"}, 0, "info-contact", "", "must-have-terms"},
		{"set", []string{"ruleset", "set", own}, 0, "now linted with", "", ""},
		{"shown", []string{"ruleset", "show"}, 0, "must-have-terms", "", ""},
		{"lint uses it", []string{"lint", "swagger-petstore"}, 1, "must-have-terms", "using the workspace ruleset", "info-contact"},
		{"a broken one is refused where it breaks", []string{"ruleset", "set", bad}, 1, "", bad + ":2:", ""},
		{"the good one stays", []string{"ruleset", "show"}, 0, "must-have-terms", "", ""},
		{"--ruleset wins", []string{"lint", "swagger-petstore", "--ruleset", own, "--fail-severity", "none"}, 0, "must-have-terms", "", ""},
		{"clear", []string{"ruleset", "clear"}, 0, "no ruleset of its own now", "", ""},
		{"built-in rules again", []string{"lint", "swagger-petstore"}, 0, "info-contact", "", "must-have-terms"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, st.args...)
			if code != st.wantCode || !strings.Contains(out, st.wantOut) || !strings.Contains(errOut, st.wantErr) ||
				(st.notOut != "" && strings.Contains(out, st.notOut)) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, st.wantCode, out, errOut)
			}
		})
	}
}
