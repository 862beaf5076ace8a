package declarative

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	yaml "github.com/pb33f/go-yaml"

	"github.com/gantry-dev/gantry/core/model"
)

// Marshal writes c as gantry.yaml, in the shape Load reads: field order as documented,
// policies in their configured order, credentials as hashes (apiKeyHashes, passwordHash).
// Loading the result gives back c.
func Marshal(c *model.GatewayConfig) ([]byte, error) {
	root := mapping()
	addStr(root, "listen", c.Listen)
	addStr(root, "admin", c.Admin)
	if t := c.TLS; t != nil {
		n := mapping()
		addStr(n, "cert", t.Cert)
		addStr(n, "key", t.Key)
		addStr(n, "clientCA", t.ClientCA)
		addStr(n, "clientAuth", t.ClientAuth)
		add(root, "tls", n)
	}
	if l := c.Limits; l != nil {
		n := mapping()
		addStr(n, "readHeaderTimeout", l.ReadHeaderTimeout)
		addStr(n, "idleTimeout", l.IdleTimeout)
		if l.MaxHeaderBytes > 0 {
			add(n, "maxHeaderBytes", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(l.MaxHeaderBytes)})
		}
		if l.MaxBodyBytes > 0 {
			add(n, "maxBodyBytes", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(l.MaxBodyBytes)})
		}
		add(root, "limits", n)
	}
	apis := &yaml.Node{Kind: yaml.SequenceNode}
	for _, a := range c.APIs {
		n, err := apiNode(a)
		if err != nil {
			return nil, fmt.Errorf("writing API %q: %w", a.Name, err)
		}
		apis.Content = append(apis.Content, n)
	}
	add(root, "apis", apis)
	if len(c.Consumers) > 0 {
		cs := &yaml.Node{Kind: yaml.SequenceNode}
		for _, cn := range c.Consumers {
			n := mapping()
			addStr(n, "name", cn.Name)
			addList(n, "groups", cn.Groups)
			addList(n, "apiKeyHashes", cn.APIKeyHashes)
			if len(cn.Basic) > 0 {
				bs := &yaml.Node{Kind: yaml.SequenceNode}
				for _, b := range cn.Basic {
					bn := mapping()
					addStr(bn, "username", b.Username)
					addStr(bn, "passwordHash", b.PasswordHash)
					bs.Content = append(bs.Content, bn)
				}
				add(n, "basicAuth", bs)
			}
			cs.Content = append(cs.Content, n)
		}
		add(root, "consumers", cs)
	}
	if len(c.Environments) > 0 {
		es := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range c.Environments {
			n := mapping()
			addStr(n, "name", e.Name)
			if len(e.Variables) > 0 {
				vars := mapping()
				keys := make([]string, 0, len(e.Variables))
				for k := range e.Variables {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					add(vars, k, scalar(e.Variables[k]))
				}
				add(n, "variables", vars)
			}
			es.Content = append(es.Content, n)
		}
		add(root, "environments", es)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func apiNode(a model.GatewayAPI) (*yaml.Node, error) {
	n := mapping()
	addStr(n, "name", a.Name)
	addStr(n, "spec", a.Spec)
	addStr(n, "api", a.API)
	addStr(n, "basePath", a.BasePath)
	addList(n, "hosts", a.Hosts)
	addStr(n, "mode", a.Mode)
	if a.Validate != nil {
		add(n, "validate", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(*a.Validate)})
	}
	if len(a.Upstream) > 0 {
		u, err := jsonNode(a.Upstream)
		if err != nil {
			return nil, fmt.Errorf("upstream: %w", err)
		}
		add(n, "upstream", u)
	}
	if len(a.Upstreams) > 0 {
		us := mapping()
		names := make([]string, 0, len(a.Upstreams))
		for k := range a.Upstreams {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			u, err := jsonNode(a.Upstreams[k])
			if err != nil {
				return nil, fmt.Errorf("upstream %q: %w", k, err)
			}
			add(us, k, u)
		}
		add(n, "upstreams", us)
	}
	if len(a.Policies) > 0 {
		ps, err := policiesNode(a.Policies)
		if err != nil {
			return nil, err
		}
		add(n, "policies", ps)
	}
	if len(a.Operations) > 0 {
		ops := mapping()
		for _, o := range a.Operations {
			on := mapping()
			addStr(on, "mode", o.Mode)
			if len(o.Policies) > 0 {
				ps, err := policiesNode(o.Policies)
				if err != nil {
					return nil, fmt.Errorf("operation %q: %w", o.Match, err)
				}
				add(on, "policies", ps)
			}
			add(ops, o.Match, on)
		}
		add(n, "operations", ops)
	}
	return n, nil
}

func policiesNode(ps []model.PolicyConfig) (*yaml.Node, error) {
	n := mapping()
	for _, p := range ps {
		var v *yaml.Node
		if len(p.Settings) == 0 {
			v = mapping()
			v.Style = yaml.FlowStyle
		} else {
			var err error
			if v, err = jsonNode(p.Settings); err != nil {
				return nil, fmt.Errorf("policy %q: %w", p.Name, err)
			}
		}
		add(n, p.Name, v)
	}
	return n, nil
}

// jsonNode converts a JSON document to a YAML node (object keys sorted).
func jsonNode(raw json.RawMessage) (*yaml.Node, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := n.Encode(numbers(v)); err != nil {
		return nil, err
	}
	return &n, nil
}

// numbers turns json.Number values into int64 or float64 so they are written as numbers.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, c := range x {
			x[k] = numbers(c)
		}
	case []any:
		for i, c := range x {
			x[i] = numbers(c)
		}
	}
	return v
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, scalar(key), v)
}

func addStr(m *yaml.Node, key, v string) {
	if v != "" {
		add(m, key, scalar(v))
	}
}

func addList(m *yaml.Node, key string, vs []string) {
	if len(vs) == 0 {
		return
	}
	l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range vs {
		l.Content = append(l.Content, scalar(v))
	}
	add(m, key, l)
}
