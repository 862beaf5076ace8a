package har

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// FuzzParse checks that Parse never panics, that whatever it accepts converts to exchanges,
// and that exporting those exchanges and converting again gives the same exchanges.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.har"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := Parse(bytes.NewReader(data))
		if err != nil {
			if h != nil {
				t.Fatal("Parse returned a document with an error")
			}
			return
		}
		xs, err := ToExchanges(h)
		if err != nil {
			t.Fatalf("Parse accepted a document ToExchanges rejects: %v", err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, FromExchanges(xs, "fuzz")); err != nil {
			t.Fatal(err)
		}
		h2, err := Parse(&buf)
		if err != nil {
			t.Fatalf("re-exported document does not parse: %v\n%s", err, buf.String())
		}
		xs2, err := ToExchanges(h2)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameExchanges(xs, xs2); err != "" {
			t.Fatalf("export changed the exchanges: %s", err)
		}
	})
}

// sameExchanges compares two sets of exchanges regardless of order ("" if equal).
func sameExchanges(a, b []*model.Exchange) string {
	if len(a) != len(b) {
		return "different counts"
	}
	key := func(x *model.Exchange) string {
		return x.StartedAt.UTC().Format(TimeFormat) + "\x00" + x.ID + "\x00" + x.Method + "\x00" + x.URL
	}
	sortBy := func(xs []*model.Exchange) []*model.Exchange {
		xs = slices.Clone(xs)
		slices.SortStableFunc(xs, func(p, q *model.Exchange) int { return strings.Compare(key(p), key(q)) })
		return xs
	}
	a, b = sortBy(a), sortBy(b)
	for i := range a {
		x, y := *a[i], *b[i]
		if !x.StartedAt.Truncate(1e6).Equal(y.StartedAt) {
			return "StartedAt " + x.StartedAt.String() + " vs " + y.StartedAt.String()
		}
		x.StartedAt, y.StartedAt = time0, time0
		if !reflect.DeepEqual(x, y) {
			return fmt.Sprintf("\n %+v\nvs\n %+v", x, y)
		}
	}
	return ""
}

var time0 time.Time
