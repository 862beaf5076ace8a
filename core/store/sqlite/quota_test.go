package sqlite

import (
	"reflect"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

func TestQuotaCounts(t *testing.T) {
	s := openTemp(t)
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		save []model.QuotaCount
		want []model.QuotaCount
	}{
		{"first", []model.QuotaCount{{Key: "a", Start: day, Used: 3}, {Key: "b", Start: day, Used: 1}},
			[]model.QuotaCount{{Key: "a", Start: day, Used: 3}, {Key: "b", Start: day, Used: 1}}},
		{"higher count wins", []model.QuotaCount{{Key: "a", Start: day, Used: 5}}, nil},
		{"a stale lower count does not go back", []model.QuotaCount{{Key: "a", Start: day, Used: 4}}, nil},
		{"a new period replaces", []model.QuotaCount{{Key: "b", Start: day.AddDate(0, 0, 1), Used: 1}}, nil},
		{"an old period does not replace", []model.QuotaCount{{Key: "b", Start: day, Used: 9}},
			[]model.QuotaCount{{Key: "a", Start: day, Used: 5}, {Key: "b", Start: day.AddDate(0, 0, 1), Used: 1}}},
	}
	for _, st := range steps {
		if err := s.SaveQuotaCounts(t.Context(), st.save); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if st.want == nil {
			continue
		}
		got, err := s.LoadQuotaCounts(t.Context(), day.AddDate(0, 0, -1))
		if err != nil || !reflect.DeepEqual(got, st.want) {
			t.Fatalf("%s: loaded %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
	if got, _ := s.LoadQuotaCounts(t.Context(), day.AddDate(0, 0, 1)); len(got) != 1 || got[0].Key != "b" {
		t.Errorf("since filter: %+v", got)
	}
}
