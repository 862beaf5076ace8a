package lint

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBuiltinRulesets(t *testing.T) {
	oas, err := Builtin("spectral:oas")
	if err != nil {
		t.Fatal(err)
	}
	// Spectral's names, severities and recommended flags.
	want := []struct {
		name        string
		sev         Severity
		recommended bool
	}{
		{"operation-operationId-unique", SeverityError, true},
		{"path-params", SeverityError, true},
		{"info-contact", SeverityWarn, true},
		{"info-license", SeverityWarn, false},
		{"contact-properties", SeverityWarn, false},
		{"openapi-tags-uniqueness", SeverityError, true},
		{"duplicated-entry-in-enum", SeverityWarn, true},
		{"no-$ref-siblings", SeverityError, true},
		{"oas3-valid-media-example", SeverityError, true},
		{"oas3-schema", SeverityError, true},
		{"oas3-unused-component", SeverityWarn, true},
		{"oas3-server-trailing-slash", SeverityWarn, true},
		{"oas2-unused-definition", SeverityWarn, true},
		{"operation-singular-tag", SeverityWarn, false},
		{"tag-description", SeverityWarn, false},
	}
	for _, w := range want {
		r := oas.Rule(w.name)
		if r == nil {
			t.Errorf("spectral:oas lacks %s", w.name)
			continue
		}
		if r.Severity != w.sev || r.Recommended != w.recommended || r.Enabled != w.recommended {
			t.Errorf("%s: severity %v recommended %v enabled %v", w.name, r.Severity, r.Recommended, r.Enabled)
		}
		if r.DocumentationURL == "" {
			t.Errorf("%s has no documentation URL", w.name)
		}
	}
	if n := len(oas.Rules()); n < 55 {
		t.Errorf("spectral:oas has %d rules", n)
	}
	owasp, err := Builtin("@stoplight/spectral-owasp-ruleset")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"owasp:api1:2023-no-numeric-ids", "owasp:api2:2023-no-http-basic", "owasp:api2:2023-no-api-keys-in-url",
		"owasp:api2:2023-no-credentials-in-url", "owasp:api2:2023-auth-insecure-schemes", "owasp:api2:2023-jwt-best-practices",
		"owasp:api2:2023-short-lived-access-tokens", "owasp:api2:2023-write-restricted", "owasp:api2:2023-read-restricted",
		"owasp:api3:2023-no-additionalProperties", "owasp:api3:2023-constrained-additionalProperties",
		"owasp:api4:2023-rate-limit", "owasp:api4:2023-rate-limit-retry-after", "owasp:api4:2023-rate-limit-responses-429",
		"owasp:api4:2023-array-limit", "owasp:api4:2023-string-limit", "owasp:api4:2023-string-restricted",
		"owasp:api4:2023-integer-limit", "owasp:api4:2023-integer-limit-legacy", "owasp:api4:2023-integer-format",
		"owasp:api5:2023-admin-security-unique", "owasp:api7:2023-concerning-url-parameter",
		"owasp:api8:2023-define-cors-origin", "owasp:api8:2023-define-error-validation", "owasp:api8:2023-define-error-responses-401",
		"owasp:api8:2023-define-error-responses-500", "owasp:api8:2023-no-scheme-http", "owasp:api8:2023-no-server-http",
		"owasp:api9:2023-inventory-access", "owasp:api9:2023-inventory-environment",
	} {
		if r := owasp.Rule(name); r == nil || !r.Enabled {
			t.Errorf("owasp lacks enabled rule %s", name)
		}
	}
	if r := owasp.Rule("owasp:api2:2023-read-restricted"); r.Severity != SeverityWarn {
		t.Errorf("read-restricted severity %v", r.Severity)
	}
	if r := owasp.Rule("owasp:api7:2023-concerning-url-parameter"); r.Severity != SeverityInfo {
		t.Errorf("concerning-url-parameter severity %v", r.Severity)
	}
	if _, err := Builtin("spectral:asyncapi"); err == nil {
		t.Error("unknown built-in accepted")
	}
}

func TestLoadRulesetExtends(t *testing.T) {
	rs, err := LoadRuleset(filepath.Join("testdata", "rulesets", "nested", "project.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rule    string
		enabled bool
		sev     Severity
	}{
		{"info-contact", false, SeverityWarn},          // warn in base.yaml, then false
		{"operation-description", true, SeverityError}, // error in base.yaml, message changed here
		{"oas3-schema", false, SeverityError},          // spectral:oas extended with "off"
		{"no-todo", true, SeverityInfo},                // defined in base.yaml
		{"hidden", false, SeverityWarn},                // not recommended
		{"owasp:api9:2023-inventory-access", true, SeverityError},
		{"owasp:api4:2023-string-limit", false, SeverityError},
		{"op-summary", true, SeverityHint},
		{"version-semver", true, SeverityWarn},
	}
	for _, tc := range tests {
		r := rs.Rule(tc.rule)
		if r == nil {
			t.Errorf("no rule %s", tc.rule)
			continue
		}
		if r.Enabled != tc.enabled || r.Severity != tc.sev {
			t.Errorf("%s: enabled %v severity %v, want %v %v", tc.rule, r.Enabled, r.Severity, tc.enabled, tc.sev)
		}
	}
	if r := rs.Rule("operation-description"); r.Message != "Describe it: {{error}}" || r.then == nil {
		t.Errorf("override lost the rule: %+v", r)
	}
	if r := rs.Rule("no-todo"); !strings.HasSuffix(r.Definition, filepath.Join("rulesets", "base.yaml")+":6:3") {
		t.Errorf("definition %q", r.Definition)
	}

	d, err := Parse("doc.yaml", []byte("openapi: 3.0.0\ninfo: {title: T, version: v1, description: TODO later}\npaths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Lint(context.Background(), d, rs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+f.Severity.String()+" "+f.Path+" "+f.Message)
	}
	want := []string{
		`no-todo info $.info.description Descriptions must not contain TODO.`,
		`version-semver warn $.info.version "v1" must match the pattern "^\\d+\\.\\d+\\.\\d+$"`,
		`op-summary hint $.paths['/a'].get Operations need a summary.`,
		`operation-description error $.paths['/a'].get Describe it: "get.description" property must be truthy`,
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadRulesetModes(t *testing.T) {
	rs, err := LoadRuleset(filepath.Join("testdata", "rulesets", "all.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rule    string
		enabled bool
		sev     Severity
	}{
		{"info-license", true, SeverityWarn},       // not recommended but "all", then 1
		{"contact-properties", true, SeverityWarn}, // "all"
		{"oas3-schema", false, SeverityError},      // "off"
		{"openapi-tags", true, SeverityHint},
		{"owasp:api4:2023-string-limit", true, SeverityError},
	} {
		r := rs.Rule(tc.rule)
		if r == nil || r.Enabled != tc.enabled || r.Severity != tc.sev {
			t.Errorf("%s: %+v", tc.rule, r)
		}
	}
	// Circular extends are skipped.
	rs, err = LoadRuleset(filepath.Join("testdata", "rulesets", "cycle-a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if rs.Rule("a-rule") == nil || rs.Rule("b-rule") == nil {
		t.Errorf("rules %v", rs.Rules())
	}
}

// TestLoadRulesetErrors checks that bad rulesets are reported at the right place.
func TestLoadRulesetErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		line, col int
		field     string
		msg       string
	}{
		{"unknown function", "rules:\n  my-rule:\n    given: $\n    then:\n      function: patern\n", 5, 7, "rules.my-rule.then.function", `unknown function "patern" (did you mean "pattern"?)`},
		{"unknown function in a list", "rules:\n  r:\n    given: $\n    then:\n      - function: truthy\n      - {function: nope}\n", 6, 10, "rules.r.then[1].function", `unknown function "nope"`},
		{"missing then", "rules:\n  r:\n    given: $\n", 2, 3, "rules.r", `"given" and "then"`},
		{"bad given", "rules:\n  r:\n    given: paths\n    then: {function: truthy}\n", 3, 12, "rules.r.given", "is not a JSONPath"},
		{"broken JSONPath", "rules:\n  r:\n    given: '$.paths[?(@.x ==='\n    then: {function: truthy}\n", 3, 12, "rules.r.given", "invalid JSONPath"},
		{"unknown alias", "rules:\n  r:\n    given: '#Nope'\n    then: {function: truthy}\n", 3, 12, "rules.r.given", `alias "Nope" does not exist`},
		{"circular alias", "aliases:\n  A: ['#B']\n  B: ['#A']\nrules: {}\n", 2, 3, "aliases.A", "circular"},
		{"bad severity", "rules:\n  r:\n    given: $\n    severity: fatal\n    then: {function: truthy}\n", 4, 15, "rules.r.severity", `unknown severity "fatal"`},
		{"unknown rule field", "rules:\n  r:\n    given: $\n    then: {function: truthy}\n    severty: error\n", 5, 5, "rules.r.severty", `unknown field "severty"`},
		{"unknown top field", "rulez: {}\nrules: {}\n", 1, 1, "rulez", "unknown field"},
		{"override of nothing", "rules:\n  info-contact: error\n", 2, 3, "rules.info-contact", "no extended ruleset defines it"},
		{"bad extends mode", "extends: [[spectral:oas, most]]\n", 1, 26, "extends[0][1]", `"recommended", "all" or "off"`},
		{"unknown extends", "extends: spectral:graphql\n", 1, 10, "extends", `unknown ruleset "spectral:graphql"`},
		{"missing extends file", "extends: ./missing.yaml\n", 1, 10, "extends", "cannot read extended ruleset"},
		{"remote extends", "extends: https://example.com/r.yaml\n", 1, 10, "extends", "remote rulesets are not supported"},
		{"bad format", "formats: [oas4]\nrules: {}\n", 1, 11, "formats[0]", `unknown format "oas4"`},
		{"bad regex", "rules:\n  r:\n    given: $\n    then:\n      function: pattern\n      functionOptions: {match: 'a(?=b)'}\n", 6, 32, "rules.r.then.functionOptions.match", "lookahead is not supported"},
		{"pattern without options", "rules:\n  r:\n    given: $\n    then: {function: pattern}\n", 4, 5, "rules.r.then.functionOptions", "functionOptions are required"},
		{"options on truthy", "rules:\n  r:\n    given: $\n    then: {function: truthy, functionOptions: {x: 1}}\n", 4, 30, "rules.r.then.functionOptions", "does not accept any options"},
		{"bad casing type", "rules:\n  r:\n    given: $\n    then: {function: casing, functionOptions: {type: upper}}\n", 4, 54, "rules.r.then.functionOptions.type", "accept the following values"},
		{"bad schema", "rules:\n  r:\n    given: $\n    then: {function: schema, functionOptions: {schema: {type: 12}}}\n", 4, 48, "rules.r.then.functionOptions.schema", "invalid schema"},
		{"xor with one property", "rules:\n  r:\n    given: $\n    then: {function: xor, functionOptions: {properties: [a]}}\n", 4, 45, "rules.r.then.functionOptions.properties", "at least 2"},
		{"length without bounds", "rules:\n  r:\n    given: $\n    then: {function: length, functionOptions: {}}\n", 4, 30, "rules.r.then.functionOptions", `"length" function has invalid options`},
		{"custom functions", "functions: [myFn]\nrules: {}\n", 1, 1, "functions", "custom JavaScript functions are not supported"},
		{"empty", "{}\n", 1, 1, "", `needs "extends" or "rules"`},
		{"not an object", "- a\n- b\n", 1, 1, "", "must be an object"},
		{"syntax error", "rules:\n  r: [\n", 3, 0, "", "syntax error"},
		{"bad field path", "rules:\n  r:\n    given: $\n    then: {field: 'a[0', function: truthy}\n", 4, 19, "rules.r.then.field", "unterminated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRuleset("ruleset.yaml", []byte(tc.yaml))
			var re *RulesetError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T), want a *RulesetError", err, err)
			}
			if re.File != "ruleset.yaml" || re.Line != tc.line || tc.col != 0 && re.Column != tc.col || re.Field != tc.field || !strings.Contains(re.Msg, tc.msg) {
				t.Errorf("got %s (line %d col %d field %q)\nwant %d:%d %q %q", re, re.Line, re.Column, re.Field, tc.line, tc.col, tc.field, tc.msg)
			}
		})
	}
}

func TestRulesetErrorString(t *testing.T) {
	e := &RulesetError{File: "ruleset.yaml", Line: 12, Column: 7, Field: "rules.my-rule.then.function", Msg: `unknown function "patern"`}
	if got, want := e.Error(), `ruleset.yaml:12:7: rules.my-rule.then.function: unknown function "patern"`; got != want {
		t.Errorf("%s, want %s", got, want)
	}
	if got := (&RulesetError{File: "r.yaml", Msg: "x"}).Error(); got != "r.yaml: x" {
		t.Error(got)
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"error": SeverityError, "0": SeverityError, "warn": SeverityWarn, "warning": SeverityWarn, "1": SeverityWarn, "info": SeverityInfo, "2": SeverityInfo, "hint": SeverityHint, "3": SeverityHint} {
		got, off, err := ParseSeverity(in)
		if err != nil || off || got != want {
			t.Errorf("%s: %v %v %v", in, got, off, err)
		}
	}
	if _, off, err := ParseSeverity("off"); !off || err != nil {
		t.Error("off")
	}
	if _, _, err := ParseSeverity("4"); err == nil {
		t.Error("4 accepted")
	}
	var s Severity
	if err := s.UnmarshalText([]byte("hint")); err != nil || s != SeverityHint {
		t.Error(s, err)
	}
	if b, _ := SeverityInfo.MarshalText(); string(b) != "info" {
		t.Error(string(b))
	}
}

func TestFindRulesetFile(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	mustMkdir(t, deep)
	mustWrite(t, filepath.Join(root, "a", ".spectral.yml"), "extends: spectral:oas\n")
	got, err := FindRulesetFile(deep, root)
	if err != nil || got != filepath.Join(root, "a", ".spectral.yml") {
		t.Fatalf("%q %v", got, err)
	}
	// .spectral.yaml wins over .spectral.json in the same folder.
	mustWrite(t, filepath.Join(deep, ".spectral.json"), `{"extends": "spectral:oas"}`)
	mustWrite(t, filepath.Join(deep, ".spectral.yaml"), "extends: spectral:oas\n")
	if got, _ := FindRulesetFile(deep, root); got != filepath.Join(deep, ".spectral.yaml") {
		t.Errorf("%q", got)
	}
	// The stop folder bounds the search.
	if got, _ := FindRulesetFile(filepath.Join(root, "a", "b"), filepath.Join(root, "a", "b")); got != "" {
		t.Errorf("found %q beyond the stop folder", got)
	}
	// Without a stop folder the search ends at a repository root.
	repo := filepath.Join(root, "repo")
	mustMkdir(t, filepath.Join(repo, ".git"))
	mustMkdir(t, filepath.Join(repo, "api"))
	mustWrite(t, filepath.Join(root, ".spectral.yaml"), "extends: spectral:oas\n")
	if got, _ := FindRulesetFile(filepath.Join(repo, "api"), ""); got != "" {
		t.Errorf("found %q outside the repository", got)
	}
	rs, p, err := RulesetFor(filepath.Join(repo, "api"), "")
	if err != nil || p != "" || rs.Source != "spectral:oas" {
		t.Errorf("default ruleset: %v %q %v", rs, p, err)
	}
	rs, p, err = RulesetFor(deep, root)
	if err != nil || p != filepath.Join(deep, ".spectral.yaml") || rs.Rule("info-contact") == nil {
		t.Errorf("workspace ruleset: %q %v", p, err)
	}
}
