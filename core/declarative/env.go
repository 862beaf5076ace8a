package declarative

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/gantry-dev/gantry/core/model"
)

// placeholder is a variable reference in a configuration value: {{name}}.
var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}`)

// Expand returns the document's configuration with every {{name}} in its values (spec
// paths, base paths, hosts, upstream and policy settings) replaced by the variable of the
// environment called env, as Insomnia and Postman users write them. env "" means no
// environment: a configuration that uses a variable is then a problem. An unknown
// environment or variable is a problem at the value that names it.
func (d *Document) Expand(env string) (*model.GatewayConfig, error) {
	var vars map[string]string
	if env != "" {
		found := false
		for _, e := range d.Config.Environments {
			if e.Name == env {
				vars, found = e.Variables, true
			}
		}
		if !found {
			names := make([]string, 0, len(d.Config.Environments))
			for _, e := range d.Config.Environments {
				names = append(names, e.Name)
			}
			return nil, Problems{d.Problem("environments", "no environment is called %q (the file has: %s)", env, strings.Join(names, ", "))}
		}
	}
	x := &expander{d: d, env: env, vars: vars}
	c := d.Config
	c.APIs = make([]model.GatewayAPI, len(d.Config.APIs))
	for i, a := range d.Config.APIs {
		f := fmt.Sprintf("apis[%d]", i)
		a.Spec = x.str(a.Spec, f+".spec")
		a.API = x.str(a.API, f+".api")
		a.BasePath = x.str(a.BasePath, f+".basePath")
		if a.Hosts != nil {
			hosts := make([]string, len(a.Hosts))
			for j, h := range a.Hosts {
				hosts[j] = x.str(h, fmt.Sprintf("%s.hosts[%d]", f, j))
			}
			a.Hosts = hosts
		}
		a.Upstream = x.json(a.Upstream, f+".upstream")
		if a.Upstreams != nil {
			ups := make(map[string]json.RawMessage, len(a.Upstreams))
			for n, u := range a.Upstreams {
				ups[n] = x.json(u, f+".upstreams."+n)
			}
			a.Upstreams = ups
		}
		a.Policies = x.policies(a.Policies, f+".policies")
		if a.Operations != nil {
			ops := make([]model.OperationConfig, len(a.Operations))
			for j, o := range a.Operations {
				o.Policies = x.policies(o.Policies, f+".operations."+o.Match+".policies")
				ops[j] = o
			}
			a.Operations = ops
		}
		c.APIs[i] = a
	}
	if len(x.problems) > 0 {
		return nil, x.problems
	}
	return &c, nil
}

// expander replaces placeholders, collecting problems.
type expander struct {
	d        *Document
	env      string
	vars     map[string]string
	problems Problems
}

func (x *expander) str(s, field string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := x.vars[name]
		switch {
		case ok:
			return v
		case x.env == "":
			x.problems = append(x.problems, x.d.Problem(field, "uses {{%s}}: choose an environment (--env NAME)", name))
		default:
			x.problems = append(x.problems, x.d.Problem(field, "environment %q has no variable %q", x.env, name))
		}
		return m
	})
}

// json replaces placeholders inside the string values of a JSON document.
func (x *expander) json(raw json.RawMessage, field string) json.RawMessage {
	if len(raw) == 0 || !strings.Contains(string(raw), "{{") {
		return raw
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	out, err := json.Marshal(x.walk(v, field))
	if err != nil {
		return raw
	}
	return out
}

func (x *expander) walk(v any, field string) any {
	switch t := v.(type) {
	case string:
		return x.str(t, field)
	case map[string]any:
		for k, c := range t {
			t[k] = x.walk(c, field+"."+k)
		}
	case []any:
		for i, c := range t {
			t[i] = x.walk(c, fmt.Sprintf("%s[%d]", field, i))
		}
	}
	return v
}

func (x *expander) policies(ps []model.PolicyConfig, field string) []model.PolicyConfig {
	if ps == nil {
		return nil
	}
	out := make([]model.PolicyConfig, len(ps))
	for i, p := range ps {
		p.Settings = x.json(p.Settings, field+"."+p.Name)
		out[i] = p
	}
	return out
}
