package lint

import (
	"embed"
	"sync"

	yaml "github.com/pb33f/go-yaml"
)

// The built-in rulesets are Spectral-format YAML files loaded by the ordinary loader.
//
//go:embed rulesets/*.yaml
var builtinFS embed.FS

// builtinFiles maps a built-in ruleset's canonical name to its file.
var builtinFiles = map[string]string{
	"spectral:oas": "rulesets/spectral-oas.yaml",
	"owasp":        "rulesets/owasp.yaml",
}

// builtinAliases maps the other accepted names to canonical ones.
var builtinAliases = map[string]string{
	"spectral:oas":                      "spectral:oas",
	"owasp":                             "owasp",
	"spectral:owasp":                    "owasp",
	"@stoplight/spectral-owasp-ruleset": "owasp",
}

// BuiltinNames returns the names of the built-in rulesets.
func BuiltinNames() []string { return []string{"spectral:oas", "owasp"} }

// builtinName returns the canonical name of a built-in ruleset.
func builtinName(name string) (string, bool) {
	c, ok := builtinAliases[name]
	return c, ok
}

// builtinNodes caches the parsed built-in files; the loader never changes them.
var builtinNodes struct {
	once  sync.Once
	nodes map[string]*yaml.Node
	errs  map[string]*SyntaxError
}

func parseBuiltins() {
	builtinNodes.nodes = map[string]*yaml.Node{}
	builtinNodes.errs = map[string]*SyntaxError{}
	for name, file := range builtinFiles {
		data, err := builtinFS.ReadFile(file)
		if err != nil {
			builtinNodes.errs[name] = &SyntaxError{File: name, Msg: err.Error()}
			continue
		}
		n, se := parseYAML(name, data)
		if se != nil {
			builtinNodes.errs[name] = se
			continue
		}
		builtinNodes.nodes[name] = n
	}
}

// loadBuiltin loads a built-in ruleset by canonical name.
func (l *loader) loadBuiltin(name string, _ rnode, mode extendMode, explicit bool) (map[string]*Rule, error) {
	builtinNodes.once.Do(parseBuiltins)
	if se := builtinNodes.errs[name]; se != nil {
		return nil, syntaxRulesetError(name, se)
	}
	l.stack = append(l.stack, name)
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	return l.load(rnode{file: name, n: builtinNodes.nodes[name]}, "", mode, explicit)
}
