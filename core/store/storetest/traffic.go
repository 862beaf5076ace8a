package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// baseTime is the start of the fixtures' traffic (microsecond precision, UTC).
var baseTime = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

// exchangeID returns the i-th time-ordered fixture ID.
func exchangeID(i int) string { return fmt.Sprintf("01JX%010d", i) }

// fixtureExchanges returns n varied exchanges with IDs and start times increasing with i.
func fixtureExchanges(n int) []*model.Exchange {
	apis := []string{"petstore", "museum", ""}
	methods := []string{"GET", "POST", "get", "DELETE", "PUT"}
	statuses := []int{200, 201, 204, 301, 400, 404, 422, 500, 503}
	urls := []string{"/pets/%d?limit=10", "/museum-hours", "/pets/%d/photos", "/special-events/%d"}
	xs := make([]*model.Exchange, n)
	for i := range xs {
		u := urls[i%len(urls)]
		if strings.Contains(u, "%d") {
			u = fmt.Sprintf(u, i)
		}
		x := &model.Exchange{
			ID:           exchangeID(i),
			StartedAt:    baseTime.Add(time.Duration(i) * time.Second),
			Duration:     time.Duration(i)*time.Millisecond + 789*time.Nanosecond,
			API:          apis[i%len(apis)],
			Operation:    fmt.Sprintf("op%d", i%4),
			Mode:         []string{"mock", "proxy", ""}[i%3],
			ClientAddr:   fmt.Sprintf("127.0.0.1:%d", 50000+i),
			Consumer:     []string{"alice", "", "bob", ""}[i%4],
			Scheme:       []string{"http", "https", ""}[i%3],
			Method:       methods[i%len(methods)],
			URL:          u,
			Host:         "localhost:8080",
			Proto:        "HTTP/1.1",
			RequestSize:  int64(i * 10),
			Status:       statuses[i%len(statuses)],
			ResponseSize: int64(i * 100),
		}
		if i%2 == 0 {
			x.RequestHeaders = http.Header{"Content-Type": {"application/json"}, "X-Trace": {"a", "b"}}
			x.RequestBody = []byte(fmt.Sprintf(`{"n":%d}`, i))
			x.ResponseHeaders = http.Header{"Content-Type": {"application/json"}}
			x.ResponseBody = append([]byte(`{"ok":true}`), byte(i), 0, 0xff)
		}
		if i%5 == 0 {
			x.Violations = []model.Violation{{In: "query", Name: "limit", Message: "must be <= 100"}, {In: "body", Message: "bad"}}
			x.Warnings = []string{"example did not match its schema"}
		}
		xs[i] = x
	}
	return xs
}

// shuffled returns xs in a deterministic random order.
func shuffled(xs []*model.Exchange) []*model.Exchange {
	out := slices.Clone(xs)
	rand.New(rand.NewSource(42)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// reference is what a filter must select from xs: the spec of TrafficFilter, newest first.
func reference(xs []*model.Exchange, f store.TrafficFilter) []*model.Exchange {
	var out []*model.Exchange
	for _, x := range xs {
		switch {
		case f.API != "" && x.API != f.API,
			f.Method != "" && !strings.EqualFold(x.Method, f.Method),
			f.Consumer != "" && x.Consumer != f.Consumer,
			f.StatusMin != 0 && x.Status < f.StatusMin,
			f.StatusMax != 0 && x.Status > f.StatusMax,
			f.PathContains != "" && !strings.Contains(x.URL, f.PathContains),
			!f.Since.IsZero() && x.StartedAt.Before(f.Since),
			f.BeforeID != "" && x.ID >= f.BeforeID:
			continue
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b *model.Exchange) int { return strings.Compare(b.ID, a.ID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

func ids(xs []*model.Exchange) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.ID
	}
	return out
}

// sameHeaders treats nil and empty headers as equal.
func sameHeaders(a, b http.Header) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// checkExchange compares every field of got with want.
func checkExchange(t *testing.T, got, want *model.Exchange) {
	t.Helper()
	var diffs []string
	if got.ID != want.ID || !got.StartedAt.Equal(want.StartedAt) || got.Duration != want.Duration ||
		got.API != want.API || got.Operation != want.Operation || got.Mode != want.Mode ||
		got.ClientAddr != want.ClientAddr || got.Consumer != want.Consumer || got.Scheme != want.Scheme ||
		got.Method != want.Method || got.URL != want.URL ||
		got.Host != want.Host || got.Proto != want.Proto || got.RequestSize != want.RequestSize ||
		got.Status != want.Status || got.ResponseSize != want.ResponseSize {
		diffs = append(diffs, fmt.Sprintf("scalar fields:\n got  %+v\n want %+v", *got, *want))
	}
	if !sameHeaders(got.RequestHeaders, want.RequestHeaders) {
		diffs = append(diffs, fmt.Sprintf("request headers %v, want %v", got.RequestHeaders, want.RequestHeaders))
	}
	if !sameHeaders(got.ResponseHeaders, want.ResponseHeaders) {
		diffs = append(diffs, fmt.Sprintf("response headers %v, want %v", got.ResponseHeaders, want.ResponseHeaders))
	}
	if !bytes.Equal(got.RequestBody, want.RequestBody) {
		diffs = append(diffs, fmt.Sprintf("request body %q, want %q", got.RequestBody, want.RequestBody))
	}
	if !bytes.Equal(got.ResponseBody, want.ResponseBody) {
		diffs = append(diffs, fmt.Sprintf("response body %q, want %q", got.ResponseBody, want.ResponseBody))
	}
	if !(len(got.Violations) == 0 && len(want.Violations) == 0) && !reflect.DeepEqual(got.Violations, want.Violations) {
		diffs = append(diffs, fmt.Sprintf("violations %+v, want %+v", got.Violations, want.Violations))
	}
	if !slices.Equal(got.Warnings, want.Warnings) {
		diffs = append(diffs, fmt.Sprintf("warnings %q, want %q", got.Warnings, want.Warnings))
	}
	if len(diffs) > 0 {
		t.Errorf("exchange %s: %s", want.ID, strings.Join(diffs, "; "))
	}
}

func mustAppend(t *testing.T, s store.Store, xs []*model.Exchange) {
	t.Helper()
	if err := s.AppendExchanges(t.Context(), xs); err != nil {
		t.Fatalf("AppendExchanges(%d): %v", len(xs), err)
	}
}

func mustCount(t *testing.T, s store.Store, f store.TrafficFilter) int {
	t.Helper()
	n, err := s.CountExchanges(t.Context(), f)
	if err != nil {
		t.Fatalf("CountExchanges(%+v): %v", f, err)
	}
	return n
}

func testExchanges(t *testing.T, open opener) {
	t.Run("empty store", func(t *testing.T) {
		s := open(t)
		list, err := s.ListExchanges(t.Context(), store.TrafficFilter{})
		if err != nil || len(list) != 0 {
			t.Errorf("ListExchanges = %d, %v; want none", len(list), err)
		}
		if n := mustCount(t, s, store.TrafficFilter{}); n != 0 {
			t.Errorf("CountExchanges = %d, want 0", n)
		}
		n, err := s.DeleteExchanges(t.Context(), store.TrafficFilter{})
		if err != nil || n != 0 {
			t.Errorf("DeleteExchanges = %d, %v; want 0", n, err)
		}
	})

	t.Run("round-trip every field", func(t *testing.T) {
		s := open(t)
		full := &model.Exchange{
			ID:         "01JXFULL",
			StartedAt:  baseTime,
			Duration:   1234567891 * time.Nanosecond,
			API:        "petstore",
			Operation:  "listPets",
			Mode:       "proxy",
			ClientAddr: "[::1]:61234",
			Method:     "PATCH",
			URL:        "/pets/1?x=%20y&z=✓",
			Host:       "api.example.com",
			Proto:      "HTTP/2.0",
			RequestHeaders: http.Header{
				"Authorization": {"[redacted]"}, "Accept": {"application/json", "text/plain"}, "X-Empty": {""},
			},
			RequestBody:     binary(1024),
			RequestSize:     1 << 20,
			Status:          422,
			ResponseHeaders: http.Header{"Content-Type": {"application/problem+json"}, "Set-Cookie": {"a=1", "b=2"}},
			ResponseBody:    []byte(`{"type":"about:blank","title":"Unprocessable"}`),
			ResponseSize:    47,
			Violations: []model.Violation{
				{In: "body", Name: "/name", Message: "expected string, got number"},
				{In: "header", Name: "X-Rate", Message: `must match "^[0-9]+$"`},
			},
			Warnings: []string{"one", "two ✓"},
		}
		bare := &model.Exchange{ID: "01JXBARE", StartedAt: baseTime.Add(time.Second), Method: "GET", URL: "/", Status: 200}
		mustAppend(t, s, []*model.Exchange{full, bare})
		for _, want := range []*model.Exchange{full, bare} {
			got, err := s.GetExchange(t.Context(), want.ID)
			if err != nil {
				t.Fatal(err)
			}
			checkExchange(t, got, want)
		}
	})

	t.Run("list newest first", func(t *testing.T) {
		s := open(t)
		xs := fixtureExchanges(30)
		mustAppend(t, s, shuffled(xs[:17]))
		mustAppend(t, s, shuffled(xs[17:]))
		list, err := s.ListExchanges(t.Context(), store.TrafficFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := reference(xs, store.TrafficFilter{})
		if !slices.Equal(ids(list), ids(want)) {
			t.Fatalf("ListExchanges IDs = %v, want %v", ids(list), ids(want))
		}
		for i := range want {
			checkExchange(t, list[i], want[i])
		}
		if n := mustCount(t, s, store.TrafficFilter{Limit: 3}); n != 30 {
			t.Errorf("CountExchanges (Limit ignored) = %d, want 30", n)
		}
	})

	t.Run("paging with BeforeID", func(t *testing.T) {
		s := open(t)
		xs := fixtureExchanges(50)
		mustAppend(t, s, shuffled(xs))
		var got []string
		f := store.TrafficFilter{API: "petstore", Limit: 4}
		for page := 0; ; page++ {
			if page > 50 {
				t.Fatal("paging does not end")
			}
			list, err := s.ListExchanges(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) == 0 {
				break
			}
			got = append(got, ids(list)...)
			f.BeforeID = list[len(list)-1].ID
		}
		want := ids(reference(xs, store.TrafficFilter{API: "petstore"}))
		if !slices.Equal(got, want) {
			t.Errorf("paged IDs = %v, want %v", got, want)
		}
	})

	t.Run("delete", func(t *testing.T) {
		xs := fixtureExchanges(40)
		for _, tc := range []struct {
			name string
			f    store.TrafficFilter
		}{
			{"by API", store.TrafficFilter{API: "museum"}},
			{"by status range", store.TrafficFilter{StatusMin: 500, StatusMax: 599}},
			{"older than", store.TrafficFilter{BeforeID: exchangeID(25)}},
			{"newest matches only (Limit)", store.TrafficFilter{Method: "get", Limit: 3}},
			{"everything", store.TrafficFilter{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustAppend(t, s, xs)
				gone := reference(xs, tc.f)
				n, err := s.DeleteExchanges(t.Context(), tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if n != len(gone) {
					t.Errorf("DeleteExchanges = %d, want %d", n, len(gone))
				}
				list, err := s.ListExchanges(t.Context(), store.TrafficFilter{})
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for _, id := range ids(reference(xs, store.TrafficFilter{})) {
					if !slices.Contains(ids(gone), id) {
						want = append(want, id)
					}
				}
				if !slices.Equal(ids(list), want) {
					t.Errorf("remaining IDs = %v, want %v", ids(list), want)
				}
				for _, x := range gone {
					if _, err := s.GetExchange(t.Context(), x.ID); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("GetExchange(%s) after delete: %v, want ErrNotFound", x.ID, err)
					}
				}
			})
		}
	})
}

func testExchangeFilters(t *testing.T, open opener) {
	s := open(t)
	xs := fixtureExchanges(90)
	mustAppend(t, s, shuffled(xs))
	for _, tc := range []struct {
		name string
		f    store.TrafficFilter
	}{
		{"zero", store.TrafficFilter{}},
		{"api", store.TrafficFilter{API: "petstore"}},
		{"unknown api", store.TrafficFilter{API: "nope"}},
		{"method lower case", store.TrafficFilter{Method: "get"}},
		{"method mixed case", store.TrafficFilter{Method: "Post"}},
		{"consumer", store.TrafficFilter{Consumer: "alice"}},
		{"unknown consumer", store.TrafficFilter{Consumer: "mallory"}},
		{"status min", store.TrafficFilter{StatusMin: 400}},
		{"status max", store.TrafficFilter{StatusMax: 299}},
		{"status range", store.TrafficFilter{StatusMin: 400, StatusMax: 499}},
		{"status exact", store.TrafficFilter{StatusMin: 404, StatusMax: 404}},
		{"path contains", store.TrafficFilter{PathContains: "/photos"}},
		{"path contains query text", store.TrafficFilter{PathContains: "limit=10"}},
		{"path contains is case-sensitive", store.TrafficFilter{PathContains: "/PETS"}},
		{"since", store.TrafficFilter{Since: baseTime.Add(60 * time.Second)}},
		{"since between microseconds", store.TrafficFilter{Since: baseTime.Add(60*time.Second - time.Nanosecond)}},
		{"before ID", store.TrafficFilter{BeforeID: exchangeID(40)}},
		{"limit", store.TrafficFilter{Limit: 7}},
		{"limit larger than matches", store.TrafficFilter{API: "museum", Limit: 1000}},
		{"before ID and limit", store.TrafficFilter{BeforeID: exchangeID(40), Limit: 5}},
		{"combined", store.TrafficFilter{API: "petstore", Method: "GET", StatusMin: 200, StatusMax: 499,
			PathContains: "/pets", Since: baseTime.Add(10 * time.Second), BeforeID: exchangeID(80), Limit: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := reference(xs, tc.f)
			got, err := s.ListExchanges(t.Context(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("ListExchanges(%+v) = %v, want %v", tc.f, ids(got), ids(want))
			}
			unlimited := tc.f
			unlimited.Limit = 0
			if n, want := mustCount(t, s, tc.f), len(reference(xs, unlimited)); n != want {
				t.Errorf("CountExchanges(%+v) = %d, want %d", tc.f, n, want)
			}
		})
	}
}

func testExchangeBatches(t *testing.T, open opener) {
	t.Run("empty batch", func(t *testing.T) {
		s := open(t)
		if err := s.AppendExchanges(t.Context(), nil); err != nil {
			t.Errorf("nil batch: %v", err)
		}
		if err := s.AppendExchanges(t.Context(), []*model.Exchange{}); err != nil {
			t.Errorf("empty batch: %v", err)
		}
	})

	t.Run("duplicate inside batch writes nothing", func(t *testing.T) {
		s := open(t)
		xs := fixtureExchanges(10)
		batch := append(slices.Clone(xs), &model.Exchange{ID: xs[3].ID, Method: "GET", URL: "/dup"})
		err := s.AppendExchanges(t.Context(), batch)
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate ID in batch: err = %v, want ErrConflict", err)
		}
		if n := mustCount(t, s, store.TrafficFilter{}); n != 0 {
			t.Errorf("after failed batch: %d exchanges stored, want 0", n)
		}
	})

	t.Run("ID already stored writes nothing", func(t *testing.T) {
		s := open(t)
		xs := fixtureExchanges(20)
		mustAppend(t, s, xs[:10])
		batch := []*model.Exchange{xs[10], xs[11], {ID: xs[5].ID, Method: "GET", URL: "/dup"}, xs[12]}
		err := s.AppendExchanges(t.Context(), batch)
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("stored ID in batch: err = %v, want ErrConflict", err)
		}
		if n := mustCount(t, s, store.TrafficFilter{}); n != 10 {
			t.Errorf("after failed batch: %d exchanges stored, want 10", n)
		}
		if _, err := s.GetExchange(t.Context(), xs[10].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("exchange from the failed batch: %v, want ErrNotFound", err)
		}
		got, err := s.GetExchange(t.Context(), xs[5].ID)
		if err != nil {
			t.Fatal(err)
		}
		checkExchange(t, got, xs[5])
		mustAppend(t, s, xs[10:]) // the store is still usable
	})
}

func testConcurrency(t *testing.T, open opener) {
	s := open(t)
	const writers, batches, perBatch = 4, 15, 20
	seed := fixtureExchanges(1)[0]
	mustAppend(t, s, []*model.Exchange{seed})

	var wg, readers sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				batch := make([]*model.Exchange, perBatch)
				for i := range batch {
					x := *seed
					x.ID = fmt.Sprintf("w%d-%04d-%04d", w, b, i)
					x.API = fmt.Sprintf("api%d", w)
					batch[i] = &x
				}
				if err := s.AppendExchanges(t.Context(), batch); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	// Other writers at the same time: revisions and environments.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 10 {
			if _, _, _, err := s.AddRevision(t.Context(), "concurrent", revision("C", file("c.yaml", fmt.Sprint(i)))); err != nil {
				t.Errorf("AddRevision: %v", err)
				return
			}
			if _, err := s.PutEnvironment(t.Context(), &model.Environment{Name: "env", Variables: map[string]string{"i": fmt.Sprint(i)}}); err != nil {
				t.Errorf("PutEnvironment: %v", err)
				return
			}
		}
	}()
	for r := range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			last := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				n, err := s.CountExchanges(t.Context(), store.TrafficFilter{})
				if err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
				if n < last || n%perBatch != 1 {
					t.Errorf("reader %d: count %d after %d (a batch must appear whole)", r, n, last)
				}
				last = n
				if _, err := s.ListExchanges(t.Context(), store.TrafficFilter{Limit: 25}); err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
				if _, err := s.GetExchange(t.Context(), seed.ID); err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
				if _, err := s.ListAPIs(t.Context()); err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()

	if n, want := mustCount(t, s, store.TrafficFilter{}), 1+writers*batches*perBatch; n != want {
		t.Errorf("CountExchanges = %d, want %d", n, want)
	}
	for w := range writers {
		if n := mustCount(t, s, store.TrafficFilter{API: fmt.Sprintf("api%d", w)}); n != batches*perBatch {
			t.Errorf("writer %d: %d exchanges stored, want %d", w, n, batches*perBatch)
		}
	}
	revs, err := s.ListRevisions(t.Context(), "concurrent")
	if err != nil || len(revs) != 10 {
		t.Errorf("ListRevisions = %d, %v; want 10", len(revs), err)
	}
}

// storedAfter reads every exchange stored after p, limit at a time, and returns their IDs
// and the last position.
func storedAfter(t *testing.T, s store.Store, p store.TrafficPosition, limit int) ([]string, store.TrafficPosition) {
	t.Helper()
	var got []string
	for {
		xs, next, err := s.ExchangesStoredAfter(context.Background(), p, limit)
		if err != nil {
			t.Fatalf("ExchangesStoredAfter(%v, %d): %v", p, limit, err)
		}
		if len(xs) > limit {
			t.Fatalf("ExchangesStoredAfter(%v, %d) returned %d exchanges", p, limit, len(xs))
		}
		if len(xs) == 0 {
			return got, next
		}
		if next == p {
			t.Fatalf("ExchangesStoredAfter(%v) returned exchanges but kept the position", p)
		}
		got = append(got, ids(xs)...)
		p = next
	}
}

func testStoredOrder(t *testing.T, open opener) {
	ctx := context.Background()
	t.Run("empty store", func(t *testing.T) {
		s := open(t)
		p, err := s.TrafficPosition(ctx)
		if err != nil || p != (store.TrafficPosition{}) {
			t.Fatalf("TrafficPosition = %v, %v; want the zero position, nil", p, err)
		}
		if got, _ := storedAfter(t, s, p, 10); len(got) != 0 {
			t.Fatalf("stored after the start: %v", got)
		}
		if _, _, err := s.ExchangesStoredAfter(ctx, p, 0); err == nil {
			t.Fatal("a limit of 0 was accepted")
		}
	})
	t.Run("the order they were stored in, not ID order", func(t *testing.T) {
		s := open(t)
		xs := fixtureExchanges(12)
		// A slow exchange (a low ID) is stored after faster ones that started later.
		batches := [][]*model.Exchange{{xs[5], xs[3]}, {xs[9]}, {xs[1], xs[0], xs[11]}}
		var want []string
		for _, b := range batches {
			mustAppend(t, s, b)
			want = append(want, ids(b)...)
		}
		for _, limit := range []int{1, 2, 4, 100} {
			got, last := storedAfter(t, s, store.TrafficPosition{}, limit)
			if !slices.Equal(got, want) {
				t.Fatalf("limit %d: stored order %v, want %v", limit, got, want)
			}
			if p, err := s.TrafficPosition(ctx); err != nil || p != last {
				t.Fatalf("TrafficPosition = %v, %v; want %v (the last one read)", p, err, last)
			}
		}
		// Every exchange comes back whole.
		all, _, err := s.ExchangesStoredAfter(ctx, store.TrafficPosition{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range all {
			i := slices.IndexFunc(xs, func(y *model.Exchange) bool { return y.ID == x.ID })
			checkExchange(t, x, xs[i])
		}
	})
	t.Run("only what was stored after a position", func(t *testing.T) {
		s := open(t)
		xs := fixtureExchanges(6)
		mustAppend(t, s, xs[4:6])
		p, err := s.TrafficPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, s, []*model.Exchange{xs[2], xs[0]})
		mustAppend(t, s, []*model.Exchange{xs[1]})
		got, _ := storedAfter(t, s, p, 2)
		if want := []string{xs[2].ID, xs[0].ID, xs[1].ID}; !slices.Equal(got, want) {
			t.Fatalf("stored after %v: %v, want %v", p, got, want)
		}
		// A batch that fails leaves no position behind.
		if err := s.AppendExchanges(ctx, []*model.Exchange{xs[3], xs[0]}); err == nil {
			t.Fatal("a batch with a stored ID was accepted")
		}
		end, err := s.TrafficPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := storedAfter(t, s, end, 5); len(got) != 0 {
			t.Fatalf("after a failed batch: %v stored after the end", got)
		}
	})
	t.Run("deletions skip nothing and repeat nothing", func(t *testing.T) {
		xs := fixtureExchanges(8)
		tests := []struct {
			name   string
			del    store.TrafficFilter // deleted after the position is taken
			later  []*model.Exchange   // stored after the deletion
			wantAt []string            // what is stored after the position
		}{
			{"everything deleted", store.TrafficFilter{}, xs[5:7], ids(xs[5:7])},
			{"the newest deleted", store.TrafficFilter{Limit: 2}, xs[6:8], ids(xs[6:8])},
			{"older ones deleted", store.TrafficFilter{BeforeID: xs[1].ID}, xs[6:7], ids(xs[6:7])},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustAppend(t, s, xs[:4])
				p, err := s.TrafficPosition(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.DeleteExchanges(ctx, tc.del); err != nil {
					t.Fatal(err)
				}
				mustAppend(t, s, tc.later)
				got, last := storedAfter(t, s, p, 1)
				if !slices.Equal(got, tc.wantAt) {
					t.Fatalf("stored after the position: %v, want %v", got, tc.wantAt)
				}
				if again, _ := storedAfter(t, s, last, 10); len(again) != 0 {
					t.Fatalf("read again from the last position: %v", again)
				}
			})
		}
	})
}
