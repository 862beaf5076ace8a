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
// validator uses, marking mismatches Invalid and warning about them.
func (c *converter) checkExamples() {
	if len(c.examples) == 0 {
		return
	}
	checker := apidef.NewChecker(c.def)
	for i, ec := range c.examples {
		if c.opts.Progress != nil && (i%64 == 0 || i == len(c.examples)-1) {
			c.opts.Progress("examples", i+1, len(c.examples))
		}
		err := checker.Validate(ec.mt.Schema, ec.ex.Value)
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
