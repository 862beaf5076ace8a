// Package servertest starts a real management server for tests: SQLite in the test's
// temporary folder, the first admin bootstrapped with a known token, served by httptest,
// feed streams ended on shutdown, all closed when the test ends.
package servertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gantry-dev/gantry/core/store/hostedsqlite"
	"github.com/gantry-dev/gantry/sync/server"
)

// Server is a running management server.
type Server struct {
	// URL is the server's root URL (the API is under URL + server.BasePath).
	URL string
	// Token is the first admin's token.
	Token string
	// Store is the server's database.
	Store *hostedsqlite.Store
	// Server is the handler.
	Server *server.Server
}

// Options change the server Start starts.
type Options struct {
	// Token is the first admin's token; "" means "root-token".
	Token string
	// Catalogs are created before Start returns.
	Catalogs []string
	// Server sets the server's options; Store and BootstrapToken are filled in.
	Server server.Options
}

// Start starts a management server that lives until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Token == "" {
		o.Token = "root-token"
	}
	st, err := hostedsqlite.Open(filepath.Join(t.TempDir(), "server.db"), hostedsqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	so := o.Server
	so.Store, so.BootstrapToken = st, o.Token
	srv, err := server.New(so)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Bootstrap(t.Context()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.RegisterOnShutdown(srv.CloseStreams)
	ts.Start()
	t.Cleanup(func() {
		srv.CloseStreams()
		ts.Close()
	})
	s := &Server{URL: ts.URL, Token: o.Token, Store: st, Server: srv}
	for _, name := range o.Catalogs {
		if err := s.CreateCatalog(name); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// CreateCatalog creates a catalog through the API, as the admin.
func (s *Server) CreateCatalog(name string) error {
	body, _ := json.Marshal(map[string]string{"name": name})
	req, err := http.NewRequest(http.MethodPost, s.URL+server.BasePath+"/catalogs", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("creating catalog %s: %s: %s", name, res.Status, b)
	}
	return nil
}
