package spec

import (
	"errors"
	"strings"

	"github.com/pb33f/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/gantry-dev/gantry/core/apidef"
)

// exampleCheck is one example waiting to be validated against its media type's schema.
type exampleCheck struct {
	ex    *apidef.Example
	mt    *apidef.MediaType
	where string // "GET /pets 200 application/json"
}

// queueExample schedules a JSON example for validation.
func (c *converter) queueExample(e *apidef.Example, mt *apidef.MediaType, where string) {
	if e == nil || mt.Schema == nil || !isJSONMedia(mt.Type) {
		return
	}
	c.examples = append(c.examples, exampleCheck{e, mt, where})
}

// checkExamples validates every queued example with the same engine the request
// validator uses, marking mismatches Invalid and warning about them. The checks run as one
// batch (see apidef.Checker.ValidateAll); the warnings keep the examples' order.
func (c *converter) checkExamples() {
	if len(c.examples) == 0 {
		return
	}
	if c.opts.Progress != nil {
		c.opts.Progress("examples", 0, len(c.examples))
	}
	schemas := make([]*apidef.Schema, len(c.examples))
	values := make([][]byte, len(c.examples))
	for i, ec := range c.examples {
		schemas[i], values[i] = ec.mt.Schema, ec.ex.Value
	}
	errs := apidef.NewChecker(c.def).ValidateAll(schemas, values, 0)
	for i, ec := range c.examples {
		err := errs[i]
		if err == nil {
			continue
		}
		reason := oneLine(err)
		ec.ex.Invalid = reason
		name := "example"
		if ec.ex.Name != "" {
			name = "example \"" + ec.ex.Name + "\""
		}
		c.warns = append(c.warns, Warning{
			Severity: SeverityWarning,
			Location: ec.ex.Source,
			Message:  name + " of " + ec.where + " does not match its schema: " + reason,
		})
	}
	if c.opts.Progress != nil {
		c.opts.Progress("examples", len(c.examples), len(c.examples))
	}
}

// oneLine condenses a validation error into one line naming the failing locations.
func oneLine(err error) string {
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		var parts []string
		printer := message.NewPrinter(language.English)
		var leaves func(v *jsonschema.ValidationError)
		leaves = func(v *jsonschema.ValidationError) {
			if len(parts) >= 4 {
				return
			}
			if len(v.Causes) == 0 {
				loc := "/" + strings.Join(v.InstanceLocation, "/")
				parts = append(parts, "at '"+loc+"': "+v.ErrorKind.LocalizedString(printer))
				return
			}
			for _, cause := range v.Causes {
				leaves(cause)
			}
		}
		leaves(ve)
		if len(parts) > 0 {
			return truncate(strings.Join(parts, "; "), 400)
		}
	}
	return truncate(strings.Join(strings.Fields(err.Error()), " "), 400)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
