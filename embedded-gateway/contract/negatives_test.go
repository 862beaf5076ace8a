package contract

import (
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/embedded-gateway/mock"
)

func TestNegatives(t *testing.T) {
	shop := loadDef(t, "testdata/shop.yaml")
	secure := loadDef(t, "testdata/secure.yaml")
	tests := []struct {
		name string
		def  *apidef.Definition
		op   string
		want []string // "kind in: what", sorted
	}{
		{"enum query, constrained header", shop, "listItems", []string{
			`invalid header: invalid header parameter X-Tenant ("x")`,
			`invalid query: invalid query parameter sort ("not-a-valid-value")`,
			`missing header: missing header parameter X-Tenant`,
		}},
		{"required JSON body", shop, "createItem", []string{
			`invalid body: request body that is an array`,
			`malformed body: request body that is not JSON`,
			`missing body: missing request body`,
		}},
		{"pattern path parameter", shop, "getItem", []string{`invalid path: invalid path parameter sku ("not-a-valid-value")`}},
		{"nothing to break", shop, "ping", nil},
		{"credentials and bounds", secure, "listOrders", []string{
			`invalid query: invalid query parameter limit ("not-a-valid-value")`,
			`missing query: missing query parameter limit`,
			`unauthenticated security: no credentials`,
		}},
		{"uuid path parameter, anonymous operation", secure, "getOrder", []string{`invalid path: invalid path parameter id ("not-a-valid-value")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.def, mock.NewGenerator(tt.def, apidef.NewChecker(tt.def)))
			var op *apidef.Operation
			for _, o := range tt.def.Operations {
				if o.ID == tt.op {
					op = o
				}
			}
			var got []string
			add := func(ns ...Negative) {
				for _, n := range ns {
					got = append(got, n.Kind+" "+n.In+": "+n.What)
					if n.Request == nil {
						t.Errorf("%s has no request", n.What)
					}
				}
			}
			negs, err := b.Negatives(op, "http://api.test/shop", 3)
			if err != nil {
				t.Fatal(err)
			}
			add(negs...)
			inv, err := b.Invalid(op, "http://api.test/shop", 3)
			if err != nil {
				t.Fatal(err)
			}
			add(inv...)
			un, err := b.Unauthenticated(op, "http://api.test/shop", 3)
			if err != nil {
				t.Fatal(err)
			}
			if un != nil {
				add(*un)
				for _, h := range []string{"Authorization", "X-Api-Key"} {
					if un.Request.Header.Get(h) != "" {
						t.Errorf("the request without credentials has %s", h)
					}
				}
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("negatives:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestInvalidBodyIsSent(t *testing.T) {
	def := loadDef(t, "testdata/shop.yaml")
	b := New(def, mock.NewGenerator(def, nil))
	inv, err := b.Invalid(def.Operations[1], "http://api.test/shop", 0)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	for _, n := range inv {
		body, _ := io.ReadAll(n.Request.Body)
		bodies[n.Kind] = string(body)
		if ct := n.Request.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", n.What, ct)
		}
	}
	if bodies[KindInvalid] != "[]" || !strings.HasPrefix(bodies[KindMalformed], `{"unterminated"`) {
		t.Fatalf("bodies %q", bodies)
	}
}
