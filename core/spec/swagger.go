package spec

import (
	"strings"

	yaml "github.com/pb33f/go-yaml"

	"github.com/gantry-dev/gantry/core/apidef"
)

// convertSwagger converts a Swagger 2.0 document.
func (c *converter) convertSwagger(ra at) {
	root := ra.n
	c.def.SpecVersion = "2.0"
	c.info(ra)
	c.registerComponents(get(root, "definitions"), "definitions")

	base := strings.TrimRight(str(get(root, "basePath")), "/")
	if base != "" && !strings.HasPrefix(base, "/") {
		base = "/" + base
	}
	c.def.BasePath = base
	if host := str(get(root, "host")); host != "" {
		schemes := strs(get(root, "schemes"))
		if len(schemes) == 0 {
			schemes = []string{"https"}
		}
		for _, s := range schemes {
			c.def.Servers = append(c.def.Servers, s+"://"+host+base)
		}
	} else if base != "" {
		c.def.Servers = []string{base}
	}
	pairs(get(root, "securityDefinitions"), func(k, v *yaml.Node) {
		sa, ok := c.follow(ra.with(v))
		if !ok {
			return
		}
		if c.def.SecuritySchemes == nil {
			c.def.SecuritySchemes = map[string]*apidef.SecurityScheme{}
		}
		s := &apidef.SecurityScheme{Type: str(get(sa.n, "type"))}
		switch s.Type {
		case "basic":
			s.Type, s.Scheme = "http", "basic"
		case "apiKey":
			s.Name, s.In = str(get(sa.n, "name")), str(get(sa.n, "in"))
		}
		c.def.SecuritySchemes[k.Value] = s
	})
	if has(root, "security") {
		c.def.Security = security(get(root, "security"))
	}
	c.paths(ra, get(root, "paths"))
}

// mediaTypes returns an operation's consumes or produces list, falling back to the
// document's and then to application/json.
func (c *converter) mediaTypes(op at, key string) []string {
	if has(op.n, key) {
		if l := strs(get(op.n, key)); len(l) > 0 {
			return l
		}
	}
	if l := strs(get(c.docs[c.fsx.root], key)); len(l) > 0 {
		return l
	}
	return []string{"application/json"}
}

// swaggerBody builds the request body from `body` or `formData` parameters.
func (c *converter) swaggerBody(o *apidef.Operation, op at, label string) {
	var body at
	var form []at
	collect := func(owner at, list *yaml.Node) {
		for _, pn := range items(list) {
			pa, ok := c.follow(owner.with(pn))
			if !ok {
				continue
			}
			switch str(get(pa.n, "in")) {
			case "body":
				body = pa
			case "formData":
				name := str(get(pa.n, "name"))
				replaced := false
				for i, f := range form {
					if str(get(f.n, "name")) == name {
						form[i], replaced = pa, true
					}
				}
				if !replaced {
					form = append(form, pa)
				}
			}
		}
	}
	// Path-item parameters first, then the operation's (which override them).
	if item := c.pathItemOf(op); item.n != nil {
		collect(item, get(item.n, "parameters"))
	}
	collect(op, get(op.n, "parameters"))
	consumes := c.mediaTypes(op, "consumes")
	switch {
	case body.n != nil:
		rb := &apidef.RequestBody{Required: isTrue(get(body.n, "required")), Description: str(get(body.n, "description"))}
		for _, t := range consumes {
			mt := &apidef.MediaType{Type: t, Schema: c.schema(body.with(get(body.n, "schema")), 0)}
			c.schemaExample(body.with(get(body.n, "schema")), mt, label+" request "+t)
			rb.Content = append(rb.Content, mt)
		}
		o.RequestBody = rb
	case len(form) > 0:
		obj := &apidef.Schema{Type: []string{"object"}, Properties: map[string]*apidef.Schema{}}
		rb := &apidef.RequestBody{}
		hasFile := false
		for _, f := range form {
			name := str(get(f.n, "name"))
			if str(get(f.n, "type")) == "file" {
				hasFile = true
			}
			obj.Properties[name] = c.schemaOrAny(f, -1)
			obj.PropertyOrder = append(obj.PropertyOrder, name)
			if isTrue(get(f.n, "required")) {
				obj.Required = append(obj.Required, name)
				rb.Required = true
			}
		}
		var types []string
		for _, t := range consumes {
			if t == "multipart/form-data" || (t == "application/x-www-form-urlencoded" && !hasFile) {
				types = append(types, t)
			}
		}
		if len(types) == 0 {
			if hasFile {
				types = []string{"multipart/form-data"}
			} else {
				types = []string{"application/x-www-form-urlencoded"}
			}
		}
		for _, t := range types {
			rb.Content = append(rb.Content, &apidef.MediaType{Type: t, Schema: obj})
		}
		o.RequestBody = rb
	}
}

// pathItemOf finds the path item an operation node belongs to (its parent mapping).
func (c *converter) pathItemOf(op at) at {
	paths := get(c.docs[c.fsx.root], "paths")
	var found at
	pairs(paths, func(_, v *yaml.Node) {
		if found.n != nil {
			return
		}
		item, ok := at{c.fsx.root, v}, true
		if isRef(v) {
			item, _, ok = c.resolveFor(item)
		}
		if !ok {
			return
		}
		for _, m := range methods {
			if get(item.n, m) == op.n {
				found = item
				return
			}
		}
	})
	return found
}

// resolveFor follows a reference chain without reporting (paths() reports it).
func (c *converter) resolveFor(a at) (at, string, bool) {
	key := ""
	for i := 0; isRef(a.n); i++ {
		if i > 32 {
			return at{}, "", false
		}
		next, k, err := c.resolveOnce(a)
		if err != nil {
			return at{}, "", false
		}
		a, key = next, k
	}
	return a, key, true
}

// swaggerResponseContent turns a response's schema and examples into media types.
func (c *converter) swaggerResponseContent(op, ra at, where string) []*apidef.MediaType {
	schemaNode := get(ra.n, "schema")
	examples := get(ra.n, "examples")
	if schemaNode == nil && examples == nil {
		return nil
	}
	var out []*apidef.MediaType
	byType := map[string]*apidef.MediaType{}
	sch := c.schema(ra.with(schemaNode), 0)
	for _, t := range c.mediaTypes(op, "produces") {
		if _, dup := byType[t]; dup {
			continue
		}
		mt := &apidef.MediaType{Type: t, Schema: sch}
		byType[t] = mt
		out = append(out, mt)
	}
	pairs(examples, func(k, v *yaml.Node) {
		mt := byType[k.Value]
		if mt == nil {
			mt = &apidef.MediaType{Type: k.Value, Schema: sch}
			byType[k.Value] = mt
			out = append(out, mt)
		}
		mt.Example = c.example(ra.with(k), "", "", v, k.Value)
		c.queueExample(mt.Example, mt, where+" "+k.Value)
	})
	for _, mt := range out {
		if mt.Example == nil {
			c.schemaExample(ra.with(schemaNode), mt, where+" "+mt.Type)
		}
	}
	return out
}
