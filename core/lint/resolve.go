package lint

import (
	yaml "github.com/pb33f/go-yaml"
)

// maxResolveDepth bounds the nesting the resolver follows; deeper nodes stay as they are.
const maxResolveDepth = 4096

// resolvedRoot returns the resolved view of the root document: every $ref that can be
// followed is replaced by (the resolved view of) its target, the way Spectral's resolver
// hands "resolved" rules a dereferenced document.
//
// The view shares every node that contains no $ref with the source trees, so line, column
// and file of a node stay those of the file it comes from. A node with a $ref somewhere
// below it is shallow-copied; Document.original maps the copy back. A $ref that would
// loop (a circular reference) is kept as it is, so the view is a finite acyclic graph.
// Aliases are replaced by their anchors.
func (d *Document) resolvedRoot() *yaml.Node {
	d.resOnce.Do(func() {
		r := &resolver{
			d:       d,
			memo:    make(map[*yaml.Node]*yaml.Node, len(d.refs)*4),
			onStack: map[*yaml.Node]bool{},
			copies:  map[*yaml.Node]*yaml.Node{},
		}
		d.resolved = r.resolve(0, d.rootNode(), 0)
		d.copies = r.copies
	})
	return d.resolved
}

// resolver builds the resolved view.
type resolver struct {
	d       *Document
	memo    map[*yaml.Node]*yaml.Node // source node → its resolved view
	onStack map[*yaml.Node]bool       // nodes being resolved (for cycle detection)
	copies  map[*yaml.Node]*yaml.Node // copy → source node
}

// refOf returns the $ref value of mapping n, or "".
func refOf(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	c := n.Content
	for i := 0; i+1 < len(c); i += 2 {
		if c[i].Value == "$ref" && c[i].Kind == yaml.ScalarNode {
			if v := c[i+1]; v.Kind == yaml.ScalarNode {
				return v.Value
			}
			return ""
		}
	}
	return ""
}

func (r *resolver) resolve(file int32, n *yaml.Node, depth int) *yaml.Node {
	if n == nil || depth > maxResolveDepth {
		return n
	}
	if n.Kind == yaml.AliasNode {
		t := deref(n)
		if t == nil || r.onStack[t] {
			return n
		}
		return r.resolve(file, t, depth+1)
	}
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return n
	}
	if res, ok := r.memo[n]; ok {
		return res
	}
	if r.onStack[n] {
		return n
	}
	if n.Kind == yaml.MappingNode {
		if ref := refOf(n); ref != "" {
			target, tf, err := r.d.lookupRef(file, ref)
			target = deref(target)
			if err != nil || target == nil {
				r.memo[n] = n
				return n
			}
			if r.onStack[target] {
				return n // circular: keep the $ref
			}
			r.onStack[n] = true
			res := r.resolve(tf, target, depth+1)
			delete(r.onStack, n)
			r.memo[n] = res
			return res
		}
	}
	r.onStack[n] = true
	var content []*yaml.Node
	step, first := 1, 0
	if n.Kind == yaml.MappingNode {
		step, first = 2, 1
	}
	for i := first; i < len(n.Content); i += step {
		v := n.Content[i]
		rv := r.resolve(file, v, depth+1)
		if rv != v && content == nil {
			content = make([]*yaml.Node, len(n.Content))
			copy(content, n.Content)
		}
		if content != nil {
			content[i] = rv
		}
	}
	delete(r.onStack, n)
	res := n
	if content != nil {
		c := *n
		c.Content = content
		res = &c
		r.copies[res] = n
	}
	r.memo[n] = res
	return res
}
