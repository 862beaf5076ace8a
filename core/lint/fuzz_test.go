package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// watchdog crashes the test binary with every goroutine's stack when an input runs longer
// than d, so that the fuzzer keeps the input that hangs; call the returned func when done.
func watchdog(t *testing.T, d time.Duration) func() {
	timer := time.AfterFunc(d, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		panic(fmt.Sprintf("%s: an input ran longer than %v\n%s", t.Name(), d, buf))
	})
	return func() { timer.Stop() }
}

// FuzzLoadRuleset feeds arbitrary bytes to the ruleset loader: it must never panic, and
// every failure must be a *RulesetError. Rulesets that load are run on a small document.
func FuzzLoadRuleset(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/rulesets/*.*")
	seeds = append(seeds, "rulesets/spectral-oas.yaml", "rulesets/owasp.yaml")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("extends: spectral:oas\n"))
	f.Add([]byte("rules:\n  r:\n    given: $..[?(@.type == 'string')]\n    then: {field: '@key', function: casing, functionOptions: {type: camel}}\n"))
	f.Add([]byte(`{"rules": {"r": {"given": ["#A"], "then": {"function": "truthy"}}}, "aliases": {"A": ["$.info"]}}`))
	f.Add([]byte("rules:\n  r: {given: $, then: {function: schema, functionOptions: {schema: {type: object}}}}\n"))
	doc, err := Parse("doc.yaml", []byte("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {get: {responses: {'200': {description: ok}}}}\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog(t, 5*time.Second)()
		rs, err := ParseRuleset("fuzz.yaml", data)
		if err != nil {
			var re *RulesetError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is a %T, not a *RulesetError", err, err)
			}
			return
		}
		if _, err := Lint(context.Background(), doc, rs); err != nil {
			t.Fatalf("a ruleset that loads fails to run: %v", err)
		}
	})
}

// FuzzParseLint feeds arbitrary documents to the parser and the default ruleset.
func FuzzParseLint(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.yaml")
	for _, p := range files[:min(len(files), 3)] {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("openapi: 3.1.0\npaths: {/a: {$ref: '#/paths/~1a'}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	rs := DefaultRuleset()
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("f.yaml", data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T", err, err)
			}
			return
		}
		if _, err := Lint(context.Background(), d, rs); err != nil {
			t.Fatal(err)
		}
	})
}
