// Package lint checks OpenAPI 2.0 and 3.x descriptions against Spectral-format rulesets.
//
// A Document holds the parsed YAML node trees of a description's files (Load, NewDocument,
// Parse); a Ruleset is a Spectral ruleset file with everything it extends (LoadRuleset,
// ParseRuleset, Builtin, RulesetFor); Lint runs the one on the other and returns Findings
// that name the file, line and column where each offending node really is, also when a
// rule saw it through a followed $ref. Write prints findings as text, JSON or SARIF 2.1.0.
//
// The built-in rulesets spectral:oas and owasp are embedded Spectral YAML loaded by the
// same loader as user rulesets; their custom functions (oasPathParam, oasExample, ...) are
// implemented in Go under Spectral's names, next to Spectral's core functions.
//
// Rule `given`s are JSONPath as Spectral writes them. They run on a native evaluator that
// visits every node of a resolved document once; expressions outside its subset fall back
// to github.com/pb33f/jsonpath in Spectral mode, which is also the reference the native
// evaluator is tested against. See docs/LINT.md for the ruleset format and the CLI.
package lint
