package spec

import (
	"net/url"
	"strings"

	yaml "github.com/pb33f/go-yaml"

	"github.com/gantry-dev/gantry/core/apidef"
)

// methods lists the operation keys of a path item in Definition order.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// convertOpenAPI converts an OpenAPI 3.x document.
func (c *converter) convertOpenAPI(ra at) {
	root := ra.n
	c.def.SpecVersion = c.version
	c.info(ra)
	c.registerComponents(get(get(root, "components"), "schemas"), "components", "schemas")

	for _, srv := range items(get(root, "servers")) {
		c.def.Servers = append(c.def.Servers, serverURL(srv))
	}
	if len(c.def.Servers) > 0 {
		c.def.BasePath = basePathOf(c.def.Servers[0])
	}
	pairs(get(get(root, "components"), "securitySchemes"), func(k, v *yaml.Node) {
		sa, ok := c.follow(ra.with(v))
		if !ok {
			return
		}
		if c.def.SecuritySchemes == nil {
			c.def.SecuritySchemes = map[string]*apidef.SecurityScheme{}
		}
		c.def.SecuritySchemes[k.Value] = &apidef.SecurityScheme{
			Type:   str(get(sa.n, "type")),
			Name:   str(get(sa.n, "name")),
			In:     str(get(sa.n, "in")),
			Scheme: strings.ToLower(str(get(sa.n, "scheme"))),
		}
	})
	if has(root, "security") {
		c.def.Security = security(get(root, "security"))
	}
	c.paths(ra, get(root, "paths"))
}

// info copies info.title, info.version and info.description.
func (c *converter) info(ra at) {
	info := get(ra.n, "info")
	c.def.Title = str(get(info, "title"))
	c.def.Version = str(get(info, "version"))
	c.def.Description = str(get(info, "description"))
	if info == nil {
		c.warn(SeverityWarning, ra, "/info", "no `info` object")
	} else if c.def.Title == "" {
		c.warn(SeverityWarning, ra.with(info), "/info/title", "info.title is missing")
	}
}

// serverURL returns a server's URL with its variables replaced by their defaults.
func serverURL(srv *yaml.Node) string {
	u := str(get(srv, "url"))
	pairs(get(srv, "variables"), func(k, v *yaml.Node) {
		u = strings.ReplaceAll(u, "{"+k.Value+"}", str(get(v, "default")))
	})
	return u
}

// basePathOf returns the path of a server URL without a trailing slash ("" for the root).
func basePathOf(u string) string {
	p := u
	if strings.Contains(u, "://") || strings.HasPrefix(u, "//") {
		pu, err := url.Parse(u)
		if err != nil {
			return ""
		}
		p = pu.Path
	} else if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimRight(p, "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// security converts a list of security requirements; an empty list stays empty, not nil.
func security(n *yaml.Node) []apidef.SecurityRequirement {
	out := []apidef.SecurityRequirement{}
	for _, req := range items(n) {
		r := apidef.SecurityRequirement{}
		pairs(req, func(k, v *yaml.Node) {
			scopes := strs(v)
			if scopes == nil {
				scopes = []string{}
			}
			r[k.Value] = scopes
		})
		out = append(out, r)
	}
	return out
}

// paths converts the operations of every path item.
func (c *converter) paths(ra at, paths *yaml.Node) {
	total := 0
	if c.opts.Progress != nil {
		pairs(paths, func(_, v *yaml.Node) { total++ })
	}
	done := 0
	pairs(paths, func(k, v *yaml.Node) {
		done++
		if c.opts.Progress != nil {
			c.opts.Progress("compile", done, total)
		}
		if strings.HasPrefix(k.Value, "x-") {
			return
		}
		item, ok := c.follow(ra.with(v))
		if !ok {
			return
		}
		shared := c.parameters(item, get(item.n, "parameters"))
		for _, m := range methods {
			opNode := get(item.n, m)
			if opNode == nil {
				continue
			}
			op, ok := c.follow(item.with(opNode))
			if !ok {
				continue
			}
			c.def.Operations = append(c.def.Operations, c.operation(op, strings.ToUpper(m), k.Value, shared))
		}
	})
}

// operation converts one operation object.
func (c *converter) operation(op at, method, p string, shared []*apidef.Parameter) *apidef.Operation {
	o := &apidef.Operation{
		ID:          str(get(op.n, "operationId")),
		Method:      method,
		Path:        p,
		Summary:     str(get(op.n, "summary")),
		Description: str(get(op.n, "description")),
		Deprecated:  isTrue(get(op.n, "deprecated")),
		Tags:        strs(get(op.n, "tags")),
		Source:      op.loc(),
	}
	if o.ID == "" {
		o.ID = method + " " + p
	}
	label := method + " " + p
	own := c.parameters(op, get(op.n, "parameters"))
	o.Parameters = mergeParameters(shared, own)
	if c.swagger {
		c.swaggerBody(o, op, label)
	} else if rb := get(op.n, "requestBody"); rb != nil {
		if rba, ok := c.follow(op.with(rb)); ok {
			o.RequestBody = &apidef.RequestBody{Required: isTrue(get(rba.n, "required")), Description: str(get(rba.n, "description"))}
			o.RequestBody.Content = c.content(rba, get(rba.n, "content"), label+" request")
		}
	}
	responses := get(op.n, "responses")
	if responses == nil || len(responses.Content) == 0 {
		c.warn(SeverityWarning, op, "", "operation %s declares no responses", label)
	}
	o.Responses = []*apidef.Response{}
	pairs(responses, func(k, v *yaml.Node) {
		if strings.HasPrefix(k.Value, "x-") {
			return
		}
		ra, ok := c.follow(op.with(v))
		if !ok {
			return
		}
		r := &apidef.Response{Status: k.Value, Description: str(get(ra.n, "description"))}
		pairs(get(ra.n, "headers"), func(hk, hv *yaml.Node) {
			if h := c.header(ra.with(hv), hk.Value); h != nil {
				r.Headers = append(r.Headers, h)
			}
		})
		where := label + " " + k.Value
		if c.swagger {
			r.Content = c.swaggerResponseContent(op, ra, where)
		} else {
			r.Content = c.content(ra, get(ra.n, "content"), where)
		}
		o.Responses = append(o.Responses, r)
	})
	if has(op.n, "security") {
		o.SecurityDeclared = true
		o.Security = security(get(op.n, "security"))
	}
	return o
}

func isTrue(n *yaml.Node) bool {
	b, _ := boolean(n)
	return b
}

// parameters converts a parameter list (skipping Swagger body and formData parameters,
// which become the request body).
func (c *converter) parameters(owner at, list *yaml.Node) []*apidef.Parameter {
	var out []*apidef.Parameter
	for _, pn := range items(list) {
		pa, ok := c.follow(owner.with(pn))
		if !ok {
			continue
		}
		in := str(get(pa.n, "in"))
		if c.swagger && (in == "body" || in == "formData") {
			continue
		}
		p := &apidef.Parameter{
			Name:        str(get(pa.n, "name")),
			In:          in,
			Required:    isTrue(get(pa.n, "required")) || in == "path",
			Description: str(get(pa.n, "description")),
			Deprecated:  isTrue(get(pa.n, "deprecated")),
			Style:       str(get(pa.n, "style")),
		}
		if e, ok := boolean(get(pa.n, "explode")); ok {
			p.Explode = &e
		}
		if c.swagger {
			p.Schema = c.schema(pa, 0)
			if cf := str(get(pa.n, "collectionFormat")); cf != "" {
				p.Style, p.Explode = swaggerStyle(cf, in)
			}
		} else {
			p.Schema = c.schema(pa.with(get(pa.n, "schema")), 0)
			if sch := get(pa.n, "content"); sch != nil && p.Schema == nil {
				pairs(sch, func(_, mv *yaml.Node) {
					if p.Schema == nil {
						p.Schema = c.schema(pa.with(get(mv, "schema")), 0)
					}
				})
			}
		}
		if ex := get(pa.n, "example"); ex != nil {
			p.Example = c.json(pa, ex)
		} else if ex := get(pa.n, "x-example"); ex != nil {
			p.Example = c.json(pa, ex)
		} else {
			pairs(get(pa.n, "examples"), func(_, ev *yaml.Node) {
				if p.Example != nil {
					return
				}
				if ea, ok := c.follow(pa.with(ev)); ok && has(ea.n, "value") {
					p.Example = c.json(ea, get(ea.n, "value"))
				}
			})
		}
		out = append(out, p)
	}
	return out
}

// swaggerStyle maps a Swagger collectionFormat to an OpenAPI style and explode flag.
func swaggerStyle(cf, in string) (string, *bool) {
	f, t := false, true
	switch cf {
	case "csv":
		if in == "query" || in == "cookie" {
			return "form", &f
		}
		return "simple", nil
	case "ssv":
		return "spaceDelimited", &f
	case "pipes":
		return "pipeDelimited", &f
	case "multi":
		return "form", &t
	}
	return "", nil
}

// mergeParameters applies operation parameters over path-item ones (matched by name and in).
func mergeParameters(shared, own []*apidef.Parameter) []*apidef.Parameter {
	if len(shared) == 0 {
		return own
	}
	out := make([]*apidef.Parameter, 0, len(shared)+len(own))
	used := make([]bool, len(own))
	for _, sp := range shared {
		repl := sp
		for i, op := range own {
			if op.Name == sp.Name && op.In == sp.In {
				repl, used[i] = op, true
				break
			}
		}
		out = append(out, repl)
	}
	for i, op := range own {
		if !used[i] {
			out = append(out, op)
		}
	}
	return out
}

// header converts one response header.
func (c *converter) header(ha at, name string) *apidef.Header {
	ha, ok := c.follow(ha)
	if !ok {
		return nil
	}
	h := &apidef.Header{Name: name, Required: isTrue(get(ha.n, "required"))}
	if c.swagger {
		h.Schema = c.schema(ha, 0)
	} else {
		h.Schema = c.schema(ha.with(get(ha.n, "schema")), 0)
	}
	if ex := get(ha.n, "example"); ex != nil {
		h.Example = c.json(ha, ex)
	}
	return h
}

// content converts a 3.x content map.
func (c *converter) content(owner at, content *yaml.Node, where string) []*apidef.MediaType {
	var out []*apidef.MediaType
	pairs(content, func(k, v *yaml.Node) {
		ma := owner.with(v)
		mt := &apidef.MediaType{Type: k.Value}
		mt.Schema = c.schema(ma.with(get(v, "schema")), 0)
		w := where + " " + k.Value
		if ex := getKey(v, "example"); ex != nil {
			mt.Example = c.example(ma.with(ex), "", "", get(v, "example"), k.Value)
			c.queueExample(mt.Example, mt, w)
		}
		pairs(get(v, "examples"), func(ek, ev *yaml.Node) {
			ea, ok := c.follow(ma.with(ev))
			if !ok {
				return
			}
			if ext := str(get(ea.n, "externalValue")); ext != "" && !has(ea.n, "value") {
				c.warn(SeverityWarning, ea, "", "example %q of %s has an externalValue (%s), which is not loaded", ek.Value, w, ext)
				return
			}
			e := c.example(ma.with(ek), ek.Value, str(get(ea.n, "summary")), get(ea.n, "value"), k.Value)
			mt.Examples = append(mt.Examples, e)
			c.queueExample(e, mt, w)
		})
		if mt.Example == nil && len(mt.Examples) == 0 {
			c.schemaExample(ma.with(get(v, "schema")), mt, w)
		}
		out = append(out, mt)
	})
	return out
}

// schemaExample uses a media type schema's own `example` when the media type has none.
func (c *converter) schemaExample(sa at, mt *apidef.MediaType, where string) {
	if sa.n == nil {
		return
	}
	for i := 0; i < 8 && isRef(sa.n); i++ {
		next, _, err := c.resolveOnce(sa)
		if err != nil {
			return
		}
		sa = next
	}
	ex := getKey(sa.n, "example")
	if ex == nil {
		return
	}
	mt.Example = c.example(sa.with(ex), "", "", get(sa.n, "example"), mt.Type)
	c.queueExample(mt.Example, mt, where)
}

// example builds an Example; key is the node that marks its position.
func (c *converter) example(key at, name, summary string, value *yaml.Node, mediaType string) *apidef.Example {
	e := &apidef.Example{Name: name, Summary: summary, Source: key.loc()}
	if isJSONMedia(mediaType) {
		e.Value = c.json(key, value)
	} else if value != nil && value.Kind == yaml.ScalarNode {
		e.Value = appendJSONString(nil, value.Value)
	} else if raw := c.json(key, value); raw != nil {
		e.Value = appendJSONString(nil, string(raw))
	}
	if e.Value == nil {
		e.Value = []byte("null")
	}
	return e
}

// isJSONMedia reports whether a media type is JSON (application/json or */*+json).
func isJSONMedia(t string) bool {
	t, _, _ = strings.Cut(t, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	return t == "application/json" || strings.HasSuffix(t, "+json")
}
