package builtin

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// TestSpecsMatchRegistry keeps the form descriptions in step with the factories: every
// registered policy is described, and every described setting is one the factory knows.
func TestSpecsMatchRegistry(t *testing.T) {
	reg := Registry()
	var described []string
	for _, s := range Specs() {
		described = append(described, s.Name)
		d, ok := reg.Lookup(s.Name)
		if !ok {
			t.Errorf("%s is described but not registered", s.Name)
			continue
		}
		if d.Phase != s.Phase {
			t.Errorf("%s: phase %d, registered %d", s.Name, s.Phase, d.Phase)
		}
		for _, f := range s.Fields {
			t.Run(s.Name+"."+f.Name, func(t *testing.T) {
				v := sample(f)
				settings, _ := json.Marshal(map[string]json.RawMessage{f.Name: v})
				_, err := reg.Build([]policy.Config{{Name: s.Name, Settings: settings}}, policy.Env{API: "t", Shared: &policy.Shared{}}, http.NotFoundHandler())
				var fe *policy.FieldError
				if errors.As(err, &fe) && fe.Field == f.Name && fe.Message == "unknown setting" {
					t.Fatalf("the factory does not know %s", f.Name)
				}
			})
		}
	}
	slices.Sort(described)
	if !slices.Equal(described, reg.Names()) {
		t.Fatalf("described %v, registered %v", described, reg.Names())
	}
}

func sample(f Field) json.RawMessage {
	if f.Example != "" {
		return json.RawMessage(f.Example)
	}
	switch f.Kind {
	case KindInteger:
		return json.RawMessage(`1`)
	case KindBoolean:
		return json.RawMessage(`true`)
	case KindDuration:
		return json.RawMessage(`"1s"`)
	case KindEnum:
		b, _ := json.Marshal(f.Options[0])
		return b
	case KindList:
		return json.RawMessage(`["x"]`)
	case KindMap:
		return json.RawMessage(`{"X-A":"b"}`)
	}
	return json.RawMessage(`"x"`)
}
