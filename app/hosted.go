package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/login"
	"github.com/gantry-dev/gantry/sync/protocol"
	"github.com/gantry-dev/gantry/sync/pull"
)

// hostedTimeout bounds one call to the management server (a publish is checked for
// breaking changes before the answer).
const hostedTimeout = 2 * time.Minute

// HostedService logs in to a management server and publishes the workspace's APIs to its
// catalogs. The login (server and token) is the one the CLI's `gantry login` keeps: the
// token in the OS keyring where one exists, else in a file readable by the user only;
// never in the workspace.
type HostedService struct {
	st      *sqlite.Store
	dbPath  string
	log     *slog.Logger
	logins  *login.Store
	version string
	ev      Events
	// changed tells the workspace (and through it the gateway and the UI) that APIs changed.
	changed func()
	// pullMu keeps two pulls from interleaving their writes to the workspace.
	pullMu sync.Mutex
}

// HostedStatus says which server the desktop is logged in to.
type HostedStatus struct {
	// Server is the saved server's URL; "" when there is none.
	Server string `json:"server"`
	// User is who the token authenticates; "" when not logged in.
	User string `json:"user"`
	// Admin is true for a global admin.
	Admin bool `json:"admin"`
	// LoggedIn is true when a token is saved and the server accepted it.
	LoggedIn bool `json:"loggedIn"`
	// Storage is where the token is kept: "keyring", "file" or "".
	Storage string `json:"storage"`
	// Error says why a saved login does not work (server down, token revoked); "" if none.
	Error string `json:"error"`
}

// HostedCatalog is one catalog of the server.
type HostedCatalog struct {
	Name     string `json:"name"`
	BaseURL  string `json:"baseUrl"`
	Sequence int64  `json:"sequence"`
}

// PublishChange is one difference between a catalog's current spec and the local one.
type PublishChange struct {
	// Breaking is true when clients built against the catalog's spec can break.
	Breaking bool `json:"breaking"`
	// Level is "error" (breaking), "warning" or "info".
	Level string `json:"level"`
	// ID names the kind of change.
	ID string `json:"id"`
	// Operation is the HTTP method; "" for document-level changes.
	Operation string `json:"operation"`
	// Path is the operation's path template; "" for document-level changes.
	Path string `json:"path"`
	// Pointer is the JSON pointer of the operation (#/paths/~1pets/get); "" if none.
	Pointer string `json:"pointer"`
	// Location is file:line:column of the change; "" if unknown.
	Location string `json:"location"`
	// Text says what changed.
	Text string `json:"text"`
}

// PublishCheck is what publishing an API to a catalog would do.
type PublishCheck struct {
	API     string `json:"api"`
	Catalog string `json:"catalog"`
	// CurrentRevision is the catalog's current revision of the API; 0 when it is new there.
	CurrentRevision int64 `json:"currentRevision"`
	// CurrentPublishedBy is who published it.
	CurrentPublishedBy string `json:"currentPublishedBy"`
	// BaseRevision is the catalog revision the local copy was last published as or pulled from.
	BaseRevision int64 `json:"baseRevision"`
	// Stale is true when the catalog moved past the local copy's base: a publish is refused
	// until the catalog's revision is pulled.
	Stale bool `json:"stale"`
	// Unchanged is true when the catalog has this content already.
	Unchanged bool `json:"unchanged"`
	// Changes lists the differences, breaking ones first.
	Changes []PublishChange `json:"changes"`
	// Breaking counts the breaking changes.
	Breaking int `json:"breaking"`
}

// PublishResult is a successful publish.
type PublishResult struct {
	API      string `json:"api"`
	Catalog  string `json:"catalog"`
	Revision int64  `json:"revision"`
	// Created is false when the catalog had the content already.
	Created  bool            `json:"created"`
	Changes  []PublishChange `json:"changes"`
	Breaking int             `json:"breaking"`
}

// PublishError is a publish the server refused: Kind "stale-revision" (409: the catalog
// moved since the local copy's base) or "breaking-changes" (422). Its message starts with
// the kind, so the UI can tell them apart.
type PublishError struct {
	// Kind is the problem type's slug.
	Kind string `json:"kind"`
	// Status is the HTTP status.
	Status int `json:"status"`
	// CurrentRevision is the catalog's current revision.
	CurrentRevision int64 `json:"currentRevision"`
	// PublishedBy is who published it (409).
	PublishedBy string `json:"publishedBy"`
	// Changes lists the breaking changes (422).
	Changes []PublishChange `json:"changes"`
	// Detail is the server's explanation.
	Detail string `json:"detail"`
}

// Error says what was refused and what to do.
func (e *PublishError) Error() string {
	switch e.Kind {
	case "stale-revision":
		who := ""
		if e.PublishedBy != "" {
			who = " by " + e.PublishedBy
		}
		return fmt.Sprintf("stale-revision: the catalog has revision %d (published%s) since this copy was last published or pulled; pull it, then publish again", e.CurrentRevision, who)
	case "breaking-changes":
		s := fmt.Sprintf("breaking-changes: %d breaking change%s; allow breaking changes with a reason to publish", len(e.Changes), plural(len(e.Changes)))
		for _, c := range e.Changes {
			s += "\n" + describe(c)
		}
		return s
	}
	return e.Kind + ": " + e.Detail
}

// CatalogStatus is an API's state in one catalog.
type CatalogStatus struct {
	Catalog string `json:"catalog"`
	// Revision is the catalog's current revision of the API.
	Revision int64 `json:"revision"`
	// State is the API's lifecycle there: published, deprecated, retired.
	State string `json:"state"`
	// BaseRevision is the revision the local copy was last published as or pulled from; 0 if never.
	BaseRevision int64 `json:"baseRevision"`
	// Stale is true when the catalog is ahead of the local copy's base.
	Stale bool `json:"stale"`
	// Changed is true when the local content differs from the catalog's (unpublished work).
	Changed bool `json:"changed"`
}

// CatalogRevision is one revision of an API in a catalog.
type CatalogRevision struct {
	Number           int64  `json:"number"`
	Hash             string `json:"hash"`
	PublishedBy      string `json:"publishedBy"`
	PublishedAt      string `json:"publishedAt"`
	Reason           string `json:"reason"`
	Breaking         int    `json:"breaking"`
	PromotedFrom     string `json:"promotedFrom"`
	PromotedRevision int64  `json:"promotedRevision"`
}

// CatalogAPIView is an API of a catalog with its revisions, newest first.
type CatalogAPIView struct {
	Name        string            `json:"name"`
	Revision    int64             `json:"revision"`
	State       string            `json:"state"`
	PublishedBy string            `json:"publishedBy"`
	UpdatedAt   string            `json:"updatedAt"`
	Revisions   []CatalogRevision `json:"revisions"`
}

// NodeRevision is the revision of one API a node serves.
type NodeRevision struct {
	API      string `json:"api"`
	Revision int64  `json:"revision"`
}

// CatalogNode is a gateway node of a catalog as it last reported.
type CatalogNode struct {
	ID        string         `json:"id"`
	Version   string         `json:"version"`
	Sequence  int64          `json:"sequence"`
	Revisions []NodeRevision `json:"revisions"`
	Addr      string         `json:"addr"`
	Error     string         `json:"error"`
	LastSeen  string         `json:"lastSeen"`
	// Behind is true when the node serves an older sequence than the catalog's.
	Behind bool `json:"behind"`
}

// CatalogView is one catalog with its APIs and nodes.
type CatalogView struct {
	Catalog HostedCatalog    `json:"catalog"`
	APIs    []CatalogAPIView `json:"apis"`
	Nodes   []CatalogNode    `json:"nodes"`
}

// session returns a client of the saved server, or an error saying to log in.
func (s *HostedService) session() (*client.Client, string, error) {
	l, err := s.logins.Load()
	if err != nil {
		return nil, "", err
	}
	if l.Server == "" || l.Token == "" {
		return nil, "", errors.New("not logged in to a management server")
	}
	c, err := s.newClient(l.Server, l.Token)
	return c, l.Server, err
}

func (s *HostedService) newClient(server, token string) (*client.Client, error) {
	return client.New(server, token, client.Options{UserAgent: "gantry-desktop/" + s.version})
}

// Login checks token against the server and keeps both for later (and for the CLI).
func (s *HostedService) Login(server, token string) (HostedStatus, error) {
	server = strings.TrimRight(strings.TrimSpace(server), "/")
	token = strings.TrimSpace(token)
	if server == "" {
		return HostedStatus{}, errors.New("enter the management server's URL")
	}
	if token == "" {
		return HostedStatus{}, errors.New("enter a token")
	}
	if _, err := url.Parse(server); err != nil {
		return HostedStatus{}, fmt.Errorf("server URL: %w", err)
	}
	c, err := s.newClient(server, token)
	if err != nil {
		return HostedStatus{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	me, err := c.Me(ctx)
	if err != nil {
		return HostedStatus{}, fmt.Errorf("logging in to %s: %w", server, err)
	}
	if me.User == nil {
		return HostedStatus{}, errors.New("that is a node token; log in with a user token")
	}
	where, _, err := s.logins.Save(server, token)
	if err != nil {
		return HostedStatus{}, err
	}
	s.log.Info("logged in", "server", server, "user", me.User.Name, "storage", where)
	return HostedStatus{Server: server, User: me.User.Name, Admin: me.User.Admin, LoggedIn: true, Storage: where}, nil
}

// Logout forgets the saved login (the CLI's too: they share it).
func (s *HostedService) Logout() (HostedStatus, error) {
	if err := s.logins.Clear(); err != nil {
		return HostedStatus{}, err
	}
	return HostedStatus{}, nil
}

// Status says which server is saved and whether its token works.
func (s *HostedService) Status() (HostedStatus, error) {
	l, err := s.logins.Load()
	if err != nil {
		return HostedStatus{}, err
	}
	st := HostedStatus{Server: l.Server}
	if l.Server == "" || l.Token == "" {
		return st, nil
	}
	st.Storage = login.InFile
	if l.Keyring {
		st.Storage = login.InKeyring
	}
	c, err := s.newClient(l.Server, l.Token)
	if err != nil {
		st.Error = err.Error()
		return st, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	me, err := c.Me(ctx)
	if err != nil {
		st.Error = err.Error()
		return st, nil
	}
	st.LoggedIn = true
	if me.User != nil {
		st.User, st.Admin = me.User.Name, me.User.Admin
	}
	return st, nil
}

// Catalogs lists the catalogs the user may see.
func (s *HostedService) Catalogs() ([]HostedCatalog, error) {
	c, _, err := s.session()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostedTimeout)
	defer cancel()
	cats, err := c.ListCatalogs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]HostedCatalog, 0, len(cats))
	for _, k := range cats {
		out = append(out, HostedCatalog{Name: k.Name, BaseURL: k.BaseURL, Sequence: k.Sequence})
	}
	return out, nil
}

// CheckPublish returns what publishing the API's newest revision to catalog would change,
// without publishing.
func (s *HostedService) CheckPublish(api, catalog string) (PublishCheck, error) {
	c, server, err := s.session()
	if err != nil {
		return PublishCheck{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostedTimeout)
	defer cancel()
	req, base, err := s.request(ctx, server, catalog, api)
	if err != nil {
		return PublishCheck{}, err
	}
	resp, err := c.Check(ctx, catalog, api, *req)
	if err != nil {
		return PublishCheck{}, fmt.Errorf("checking %s against %s: %w", api, catalog, err)
	}
	out := PublishCheck{API: api, Catalog: catalog, BaseRevision: base.Revision,
		CurrentRevision: resp.Revision.Number, CurrentPublishedBy: resp.Revision.PublishedBy,
		Changes: changesOf(resp.Changes), Breaking: resp.Breaking}
	if resp.Revision.Number > 0 {
		if b, err := client.LocalBundle(ctx, s.st, api); err == nil {
			if h, err := b.Hash(); err == nil && h == resp.Revision.Hash {
				out.Unchanged = true
			}
		}
	}
	out.Stale = !out.Unchanged && out.CurrentRevision != out.BaseRevision
	return out, nil
}

// request builds the publish payload of api with the recorded base revision.
func (s *HostedService) request(ctx context.Context, server, catalog, api string) (*protocol.PublishRequest, client.Base, error) {
	req, err := client.PublishRequestFrom(ctx, s.st, api)
	if err != nil {
		return nil, client.Base{}, err
	}
	bases, err := client.ReadBases(s.dbPath)
	if err != nil {
		return nil, client.Base{}, err
	}
	base := bases[client.BaseKey(server, catalog, api)]
	req.BaseRevision = base.Revision
	return req, base, nil
}

// Publish publishes the API's newest revision to catalog and records it as the local
// copy's base. A refusal (stale base, breaking changes) is a *PublishError.
func (s *HostedService) Publish(api, catalog string, allowBreaking bool, reason string) (PublishResult, error) {
	reason = strings.TrimSpace(reason)
	if allowBreaking && reason == "" {
		return PublishResult{}, errors.New("allowing breaking changes needs a reason")
	}
	c, server, err := s.session()
	if err != nil {
		return PublishResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostedTimeout)
	defer cancel()
	req, _, err := s.request(ctx, server, catalog, api)
	if err != nil {
		return PublishResult{}, err
	}
	req.AllowBreaking, req.Reason = allowBreaking, reason
	resp, err := c.Publish(ctx, catalog, api, *req)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && (ce.Status == 409 || ce.Status == 422 && ce.Slug() == "breaking-changes") {
			return PublishResult{}, &PublishError{Kind: ce.Slug(), Status: ce.Status, CurrentRevision: ce.CurrentRevision,
				PublishedBy: ce.PublishedBy, Changes: changesOf(ce.Changes), Detail: ce.Detail}
		}
		return PublishResult{}, fmt.Errorf("publishing %s to %s: %w", api, catalog, err)
	}
	if err := client.RecordBase(s.dbPath, server, catalog, api, resp.Revision); err != nil {
		return PublishResult{}, err
	}
	s.log.Info("published", "api", api, "catalog", catalog, "revision", resp.Revision.Number, "created", resp.Created)
	return PublishResult{API: api, Catalog: catalog, Revision: resp.Revision.Number, Created: resp.Created,
		Changes: changesOf(resp.Changes), Breaking: resp.Breaking}, nil
}

// PullResult is what pulling one API did: Outcome "added", "updated", "up-to-date",
// "kept-local" (with the Reason local work was kept) or "failed" (with the Error).
type PullResult = pull.Result

// Pull brings the catalog's APIs (all of them when apis is empty) into the workspace with
// their gateway settings, never discarding local work (see gantry pull). An API that could
// not be pulled has Outcome "failed" and its Error; the error is for the catalog as a whole.
func (s *HostedService) Pull(catalog string, apis []string) ([]PullResult, error) {
	c, server, err := s.session()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostedTimeout)
	defer cancel()
	s.pullMu.Lock()
	results, err := pull.Pull(ctx, c, s.st, catalog, pull.Options{Server: server, DBPath: s.dbPath, APIs: apis})
	s.pullMu.Unlock()
	if results == nil {
		results = []PullResult{}
	}
	for _, r := range results {
		if r.Outcome == pull.Added || r.Outcome == pull.Updated {
			if s.changed != nil {
				s.changed()
			}
			if s.ev != nil {
				s.ev.Emit("policies:changed", PolicyChange{API: r.API})
			}
			break
		}
	}
	s.log.Info("pulled", "catalog", catalog, "apis", len(results), "err", err)
	if len(results) > 0 {
		return results, nil // failures are in their results, next to what was pulled
	}
	return results, err
}

// APIStatus returns the API's published revision in every catalog that has it, and
// whether the local copy is behind (stale) or has unpublished changes. Not logged in
// gives an empty list.
func (s *HostedService) APIStatus(api string) ([]CatalogStatus, error) {
	c, server, err := s.session()
	if err != nil {
		return []CatalogStatus{}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostedTimeout)
	defer cancel()
	cats, err := c.ListCatalogs(ctx)
	if err != nil {
		return nil, err
	}
	bases, err := client.ReadBases(s.dbPath)
	if err != nil {
		return nil, err
	}
	localHash := ""
	if b, err := client.LocalBundle(ctx, s.st, api); err == nil {
		localHash, _ = b.Hash()
	}
	out := []CatalogStatus{}
	for _, k := range cats {
		apis, err := c.ListAPIs(ctx, k.Name)
		if err != nil {
			if client.StatusOf(err) == 403 {
				continue
			}
			return nil, err
		}
		i := slices.IndexFunc(apis, func(a protocol.CatalogAPI) bool { return a.Name == api })
		if i < 0 {
			continue
		}
		a := apis[i]
		base := bases[client.BaseKey(server, k.Name, api)]
		out = append(out, CatalogStatus{Catalog: k.Name, Revision: a.Revision, State: a.State, BaseRevision: base.Revision,
			Stale: a.Revision > base.Revision && a.Hash != localHash, Changed: localHash != "" && a.Hash != localHash})
	}
	return out, nil
}

// CatalogView returns a catalog's APIs with their revisions and its gateway nodes with
// the revisions they serve.
func (s *HostedService) CatalogView(catalog string) (CatalogView, error) {
	c, _, err := s.session()
	if err != nil {
		return CatalogView{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostedTimeout)
	defer cancel()
	k, err := c.GetCatalog(ctx, catalog)
	if err != nil {
		return CatalogView{}, err
	}
	v := CatalogView{Catalog: HostedCatalog{Name: k.Name, BaseURL: k.BaseURL, Sequence: k.Sequence},
		APIs: []CatalogAPIView{}, Nodes: []CatalogNode{}}
	apis, err := c.ListAPIs(ctx, catalog)
	if err != nil {
		return CatalogView{}, err
	}
	for _, a := range apis {
		revs, err := c.ListRevisions(ctx, catalog, a.Name)
		if err != nil {
			return CatalogView{}, err
		}
		av := CatalogAPIView{Name: a.Name, Revision: a.Revision, State: a.State, PublishedBy: a.PublishedBy,
			UpdatedAt: stamp(a.UpdatedAt), Revisions: make([]CatalogRevision, 0, len(revs))}
		for _, r := range revs {
			av.Revisions = append(av.Revisions, CatalogRevision{Number: r.Number, Hash: r.Hash, PublishedBy: r.PublishedBy,
				PublishedAt: stamp(r.PublishedAt), Reason: r.Reason, Breaking: r.Breaking,
				PromotedFrom: r.PromotedFrom, PromotedRevision: r.PromotedRevision})
		}
		v.APIs = append(v.APIs, av)
	}
	nodes, err := c.ListNodes(ctx, catalog)
	if err != nil && client.StatusOf(err) != 403 {
		return CatalogView{}, err
	}
	for _, n := range nodes {
		cn := CatalogNode{ID: n.ID, Version: n.Version, Sequence: n.Sequence, Addr: n.Addr, Error: n.Error,
			LastSeen: stamp(n.LastSeen), Behind: n.Sequence < k.Sequence, Revisions: []NodeRevision{}}
		for api, r := range n.Revisions {
			cn.Revisions = append(cn.Revisions, NodeRevision{API: api, Revision: r})
		}
		slices.SortFunc(cn.Revisions, func(a, b NodeRevision) int { return strings.Compare(a.API, b.API) })
		v.Nodes = append(v.Nodes, cn)
	}
	return v, nil
}

// changesOf converts the server's changes, keeping breaking ones first.
func changesOf(in []protocol.Change) []PublishChange {
	out := make([]PublishChange, 0, len(in))
	for _, c := range in {
		out = append(out, PublishChange{Breaking: c.Breaking, Level: c.Level, ID: c.ID, Operation: c.Operation,
			Path: c.Path, Pointer: operationPointer(c.Path, c.Operation), Location: c.Location, Text: c.Text})
	}
	slices.SortStableFunc(out, func(a, b PublishChange) int {
		switch {
		case a.Breaking == b.Breaking:
			return 0
		case a.Breaking:
			return -1
		}
		return 1
	})
	return out
}

// operationPointer returns the JSON pointer of an operation ("#/paths/~1pets/get"), of a
// path item when method is "", or "" without a path.
func operationPointer(path, method string) string {
	if path == "" {
		return ""
	}
	p := "#/paths/" + strings.ReplaceAll(strings.ReplaceAll(path, "~", "~0"), "/", "~1")
	if method != "" {
		p += "/" + strings.ToLower(method)
	}
	return p
}

// describe formats a change as "METHOD /path: text (location)".
func describe(c PublishChange) string {
	s := strings.TrimSpace(c.Operation + " " + c.Path)
	if s != "" {
		s += ": "
	}
	s += c.Text
	if c.Location != "" {
		s += " (" + c.Location + ")"
	}
	return s
}

// stamp formats a time for the UI; "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
