package app

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store/sqlite"
)

// The UI hears of an exchange before the recorder's batch reaches the store; opening it
// right away must work.
func TestTrafficGetStreamedBeforeWritten(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "ws.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := &TrafficService{st: st}
	x := &model.Exchange{
		ID: "01JTESTEXCHANGE", StartedAt: time.Now(), Method: "GET", URL: "http://127.0.0.1:4010/pets/7",
		Status: 200, Host: "127.0.0.1:4010", RequestHeaders: http.Header{"X-E2e": {"gantry"}}, ResponseHeaders: http.Header{},
	}
	if _, err := s.Get(x.ID); err == nil {
		t.Fatal("an unknown exchange was found")
	}
	s.recent.add(x)
	d, err := s.Get(x.ID)
	if err != nil {
		t.Fatalf("Get of a streamed exchange: %v", err)
	}
	if d.Path != "/pets/7" || len(d.Request.Headers) != 1 {
		t.Errorf("detail: %+v", d)
	}
	if _, err := s.Curl(x.ID); err != nil {
		t.Errorf("Curl of a streamed exchange: %v", err)
	}

	// The set is bounded: the oldest entries go.
	for i := range recentExchangesKept {
		s.recent.add(&model.Exchange{ID: "other" + string(rune('a'+i%26)) + time.Duration(i).String()})
	}
	if s.recent.get(x.ID) != nil {
		t.Error("the oldest exchange is still kept")
	}
	if n := len(s.recent.byID); n > recentExchangesKept {
		t.Errorf("%d exchanges kept", n)
	}
}
