package contract

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
)

// Example is a filled-in request for one operation, split into the parts a request form
// shows: every parameter with a value, the credentials and the body. Its values are those
// of the valid request (Builder.Valid), so sending it keeps the contract.
type Example struct {
	// Parameters lists every path, query, header and cookie parameter of the operation in
	// declaration order, optional ones included (with a value too, for the form to offer).
	Parameters []ExampleParameter `json:"parameters"`
	// Credentials are the headers and query parameters the operation's first security
	// requirement asks for, with placeholder values ("test-key", "Bearer test-token"); nil
	// when the operation needs none.
	Credentials []ExampleParameter `json:"credentials,omitempty"`
	// ContentType is the media type of Body; "" when the operation takes no body.
	ContentType string `json:"contentType,omitempty"`
	// Body is the request body (JSON, form-encoded or text, as ContentType says); nil when
	// the operation takes none.
	Body []byte `json:"body,omitempty"`
}

// ExampleParameter is one parameter and its value.
type ExampleParameter struct {
	// Name is the parameter's name.
	Name string `json:"name"`
	// In is "path", "query", "header" or "cookie".
	In string `json:"in"`
	// Required reports whether the operation requires the parameter (path ones always).
	Required bool `json:"required"`
	// Values are the serialised values: one, or one per array item (a query parameter
	// that explodes repeats its name for each).
	Values []string `json:"values"`
}

// Example returns the parts of a valid request for op: a value for every parameter,
// optional ones included, the credentials and the body. seed makes the values repeatable.
func (b *Builder) Example(op *apidef.Operation, seed uint64) (*Example, error) {
	ex := &Example{Parameters: []ExampleParameter{}}
	for i, prm := range op.Parameters {
		v, err := b.value(prm, seed+uint64(i))
		if err != nil {
			return nil, fmt.Errorf("%s: parameter %s in %s: %w", op.ID, prm.Name, prm.In, err)
		}
		ex.Parameters = append(ex.Parameters, ExampleParameter{Name: prm.Name, In: prm.In, Required: prm.Required || prm.In == "path", Values: v})
	}
	creds := &requestParts{query: url.Values{}, header: map[string][]string{}}
	b.credentials(op, creds)
	for _, k := range sortedKeys(creds.header) {
		ex.Credentials = append(ex.Credentials, ExampleParameter{Name: k, In: "header", Required: true, Values: []string{strings.Join(creds.header[k], ", ")}})
	}
	for _, k := range sortedKeys(creds.query) {
		ex.Credentials = append(ex.Credentials, ExampleParameter{Name: k, In: "query", Required: true, Values: creds.query[k]})
	}
	if rb := op.RequestBody; rb != nil && len(rb.Content) > 0 {
		mt := pickMediaType(rb.Content)
		body, ctype, err := b.body(mt, seed)
		if err != nil {
			return nil, fmt.Errorf("%s: request body %s: %w", op.ID, mt.Type, err)
		}
		ex.Body, ex.ContentType = body, ctype
	}
	return ex, nil
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
