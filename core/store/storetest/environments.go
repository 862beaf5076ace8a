package storetest

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

func mustPut(t *testing.T, s store.Store, name string, vars map[string]string) *model.Environment {
	t.Helper()
	env, err := s.PutEnvironment(t.Context(), &model.Environment{Name: name, Variables: vars})
	if err != nil {
		t.Fatalf("PutEnvironment(%q): %v", name, err)
	}
	return env
}

// sameVars treats nil and empty maps as equal.
func sameVars(a, b map[string]string) bool { return maps.Equal(a, b) }

func testEnvironments(t *testing.T, open opener) {
	t.Run("put and get", func(t *testing.T) {
		s := open(t)
		vars := map[string]string{"baseUrl": "https://api.example.com/v1", "token": `s3cr"et ✓`, "empty": ""}
		in := &model.Environment{Name: "dev", Variables: vars}
		env, err := s.PutEnvironment(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		if env.ID == 0 || env.Name != "dev" || env.UpdatedAt.IsZero() || !sameVars(env.Variables, vars) {
			t.Errorf("PutEnvironment = %+v", env)
		}
		if in.ID != 0 || !in.UpdatedAt.IsZero() {
			t.Errorf("PutEnvironment modified its argument: %+v", in)
		}
		got, err := s.GetEnvironment(t.Context(), "dev")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != env.ID || got.Name != "dev" || !got.UpdatedAt.Equal(env.UpdatedAt) || !sameVars(got.Variables, vars) {
			t.Errorf("GetEnvironment = %+v, want %+v", got, env)
		}
	})

	t.Run("replace keeps ID and drops old variables", func(t *testing.T) {
		s := open(t)
		first := mustPut(t, s, "dev", map[string]string{"a": "1", "b": "2"})
		second := mustPut(t, s, "dev", map[string]string{"b": "3", "c": "4"})
		if second.ID != first.ID {
			t.Errorf("replaced environment ID = %d, want %d", second.ID, first.ID)
		}
		if second.UpdatedAt.Before(first.UpdatedAt) {
			t.Errorf("UpdatedAt went back: %v < %v", second.UpdatedAt, first.UpdatedAt)
		}
		got, err := s.GetEnvironment(t.Context(), "dev")
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"b": "3", "c": "4"}; !sameVars(got.Variables, want) {
			t.Errorf("variables = %v, want %v", got.Variables, want)
		}
		list, err := s.ListEnvironments(t.Context())
		if err != nil || len(list) != 1 {
			t.Errorf("ListEnvironments = %+v, %v; want one", list, err)
		}
	})

	t.Run("nil variables", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "none", nil)
		got, err := s.GetEnvironment(t.Context(), "none")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Variables) != 0 {
			t.Errorf("variables = %v, want none", got.Variables)
		}
	})

	t.Run("list ordered by name", func(t *testing.T) {
		s := open(t)
		list, err := s.ListEnvironments(t.Context())
		if err != nil || len(list) != 0 {
			t.Fatalf("empty store: ListEnvironments = %+v, %v", list, err)
		}
		for _, n := range []string{"staging", "dev", "prod"} {
			mustPut(t, s, n, map[string]string{"name": n})
		}
		list, err = s.ListEnvironments(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range list {
			names = append(names, e.Name)
			if e.Variables["name"] != e.Name {
				t.Errorf("environment %q variables = %v", e.Name, e.Variables)
			}
		}
		if strings.Join(names, ",") != "dev,prod,staging" {
			t.Errorf("names = %v, want dev,prod,staging", names)
		}
	})

	t.Run("delete", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "dev", map[string]string{"a": "1"})
		mustPut(t, s, "prod", map[string]string{"a": "2"})
		if err := s.DeleteEnvironment(t.Context(), "dev"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetEnvironment(t.Context(), "dev"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetEnvironment after delete: %v, want ErrNotFound", err)
		}
		if err := s.DeleteEnvironment(t.Context(), "dev"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteEnvironment: %v, want ErrNotFound", err)
		}
		list, err := s.ListEnvironments(t.Context())
		if err != nil || len(list) != 1 || list[0].Name != "prod" {
			t.Errorf("ListEnvironments after delete = %+v, %v", list, err)
		}
	})
}
