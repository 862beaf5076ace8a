package sqlite

import "testing"

func TestSettings(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	steps := []struct {
		name, put string
		want      string
		wantSet   bool
	}{
		{"unset", "", "", false},
		{"set", "extends: [owasp]\n", "extends: [owasp]\n", true},
		{"replace", "extends: [spectral:oas]\n", "extends: [spectral:oas]\n", true},
		{"remove", "", "", false},
	}
	for _, st := range steps {
		if st.name != "unset" {
			if err := s.PutSetting(ctx, "lint.ruleset", st.put); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		got, set, err := s.Setting(ctx, "lint.ruleset")
		if err != nil || got != st.want || set != st.wantSet {
			t.Fatalf("%s: Setting = %q, %v, %v; want %q, %v", st.name, got, set, err, st.want, st.wantSet)
		}
	}
	if err := s.PutSetting(ctx, "", "x"); err == nil {
		t.Error("PutSetting with no name succeeded")
	}
}
