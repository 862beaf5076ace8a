package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// operations maps every operationId of the document to its rule and handler.
func (s *Server) operations() map[string]*operation {
	cat := func(role string) rule { return rule{kind: ruleCatalog, role: role} }
	return map[string]*operation{
		"getOpenAPI":      {rule: rule{kind: ruleOpen}, handle: s.getOpenAPI},
		"getMe":           {rule: rule{kind: ruleAnyone}, handle: s.getMe},
		"listCatalogs":    {rule: rule{kind: ruleUser}, handle: s.listCatalogs},
		"createCatalog":   {rule: rule{kind: ruleGlobalAdmin}, handle: s.createCatalog},
		"getCatalog":      {rule: cat(store.RoleViewer), handle: s.getCatalog},
		"listAPIs":        {rule: cat(store.RoleViewer), handle: s.listAPIs},
		"getAPI":          {rule: cat(store.RoleViewer), handle: s.getAPI},
		"listRevisions":   {rule: cat(store.RoleViewer), handle: s.listRevisions},
		"getRevision":     {rule: cat(store.RoleViewer), handle: s.getRevision},
		"publish":         {rule: cat(store.RolePublisher), handle: s.publish, maxBody: protocol.MaxPublishBytes},
		"check":           {rule: cat(store.RoleViewer), handle: s.check, maxBody: protocol.MaxPublishBytes},
		"promote":         {rule: cat(store.RolePublisher), handle: s.promote},
		"setLifecycle":    {rule: cat(store.RolePublisher), handle: s.setLifecycle},
		"listConsumers":   {rule: cat(store.RoleViewer), handle: s.listConsumers},
		"createConsumer":  {rule: cat(store.RoleAdmin), handle: s.createConsumer},
		"deleteConsumer":  {rule: cat(store.RoleAdmin), handle: s.deleteConsumer},
		"createKey":       {rule: cat(store.RoleAdmin), handle: s.createKey},
		"revokeKey":       {rule: cat(store.RoleAdmin), handle: s.revokeKey},
		"listNodes":       {rule: cat(store.RoleViewer), handle: s.listNodes},
		"listNodeTokens":  {rule: cat(store.RoleAdmin), handle: s.listNodeTokens},
		"createNodeToken": {rule: cat(store.RoleAdmin), handle: s.createNodeToken},
		"revokeNodeToken": {rule: cat(store.RoleAdmin), handle: s.revokeNodeToken},
		"heartbeat":       {rule: rule{kind: ruleNode}, handle: s.heartbeat},
		"feed":            {rule: rule{kind: ruleNodeCatalog}, handle: s.feed},
		"listUsers":       {rule: rule{kind: ruleGlobalAdmin}, handle: s.listUsers},
		"createUser":      {rule: rule{kind: ruleGlobalAdmin}, handle: s.createUser},
		"setRole":         {rule: cat(store.RoleAdmin), handle: s.setRole},
		"listUserTokens":  {rule: rule{kind: ruleSelf}, handle: s.listUserTokens},
		"createUserToken": {rule: rule{kind: ruleSelf}, handle: s.createUserToken},
		"revokeUserToken": {rule: rule{kind: ruleSelf}, handle: s.revokeUserToken},
		"listAudit":       {rule: rule{kind: ruleUser}, handle: s.listAudit},
	}
}

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, status = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`), http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// fail answers err as a problem: store.ErrNotFound is 404, store.ErrConflict 409, anything
// else 500 (logged, not shown).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ce *store.ConflictError
	switch {
	case errors.As(err, &ce):
		problem.Write(w, r, conflictProblem(ce))
	case errors.Is(err, store.ErrNotFound):
		problem.Error(w, r, http.StatusNotFound, "not-found", err.Error())
	case errors.Is(err, store.ErrConflict):
		problem.Error(w, r, http.StatusConflict, "conflict", err.Error())
	default:
		s.internal(w, r, err)
	}
}

// internal logs err and answers 500 without its text.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("management API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	problem.Error(w, r, http.StatusInternalServerError, "internal", "the server failed to handle the request; the error is in its log")
}

// conflictProblem is the 409 answer to a stale base revision.
func conflictProblem(ce *store.ConflictError) *problem.Details {
	cur := ce.Current
	detail := fmt.Sprintf("%s is not in catalog %s yet, but the request is based on revision %d; publish with base revision 0",
		cur.API, cur.Catalog, ce.Base)
	if cur.Number > 0 {
		detail = fmt.Sprintf("%s in catalog %s is at revision %d, published by %s at %s; the request is based on revision %d. Pull, merge and publish again",
			cur.API, cur.Catalog, cur.Number, cur.PublishedBy, cur.PublishedAt.Format(time.RFC3339), ce.Base)
	}
	d := problem.New(http.StatusConflict, "stale-revision", detail)
	d.Extra = map[string]any{"currentRevision": cur.Number, "baseRevision": ce.Base}
	if cur.Number > 0 {
		d.Extra["publishedBy"] = cur.PublishedBy
		d.Extra["publishedAt"] = cur.PublishedAt
	}
	return d
}

func (s *Server) getOpenAPI(w http.ResponseWriter, _ *http.Request, _ *call) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPIDocument)
}

func (s *Server) getMe(w http.ResponseWriter, _ *http.Request, c *call) {
	writeJSON(w, http.StatusOK, protocol.Me{Kind: c.who.Token.Kind, User: c.who.User, Catalog: c.who.Token.Catalog})
}

func (s *Server) listCatalogs(w http.ResponseWriter, r *http.Request, c *call) {
	all, err := s.st.ListCatalogs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []store.Catalog{}
	for _, cat := range all {
		if hasRole(c.who, cat.Name, store.RoleViewer) {
			out = append(out, cat)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createCatalog(w http.ResponseWriter, r *http.Request, c *call) {
	var in protocol.CreateCatalogRequest
	if err := decode(c, maxBody, &in); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	cat, err := s.st.CreateCatalog(r.Context(), store.CreateCatalogInput{Name: in.Name, BaseURL: in.BaseURL, Actor: c.actor(r)})
	if errors.Is(err, store.ErrConflict) {
		problem.Error(w, r, http.StatusConflict, "conflict", fmt.Sprintf("catalog %s exists already", in.Name))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", BasePath+"/catalogs/"+cat.Name)
	writeJSON(w, http.StatusCreated, cat)
}

func (s *Server) getCatalog(w http.ResponseWriter, r *http.Request, c *call) {
	cat, err := s.st.GetCatalog(r.Context(), c.params["catalog"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cat)
}

func (s *Server) listAPIs(w http.ResponseWriter, r *http.Request, c *call) {
	apis, err := s.st.ListCatalogAPIs(r.Context(), c.params["catalog"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if apis == nil {
		apis = []store.CatalogAPI{}
	}
	writeJSON(w, http.StatusOK, apis)
}

func (s *Server) getAPI(w http.ResponseWriter, r *http.Request, c *call) {
	catalog, name := c.params["catalog"], c.params["api"]
	api, err := s.st.GetCatalogAPI(r.Context(), catalog, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rev, err := s.st.GetRevision(r.Context(), catalog, name, api.Revision)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.APIDetail{API: *api, Revision: protocol.RevisionFromStore(rev)})
}

func (s *Server) listRevisions(w http.ResponseWriter, r *http.Request, c *call) {
	revs, err := s.st.ListRevisions(r.Context(), c.params["catalog"], c.params["api"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]protocol.Revision, len(revs))
	for i := range revs {
		out[i] = protocol.RevisionFromStore(&revs[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getRevision(w http.ResponseWriter, r *http.Request, c *call) {
	n, err := strconv.ParseInt(c.params["revision"], 10, 64)
	if err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", "revision must be a number")
		return
	}
	rev, err := s.st.GetRevision(r.Context(), c.params["catalog"], c.params["api"], n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, protocol.RevisionFromStore(rev))
}

func (s *Server) setLifecycle(w http.ResponseWriter, r *http.Request, c *call) {
	var in protocol.LifecycleRequest
	if err := decode(c, maxBody, &in); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	li := store.LifecycleInput{Catalog: c.params["catalog"], API: c.params["api"], State: in.State, Reason: in.Reason, Actor: c.actor(r)}
	if in.Sunset != nil {
		if in.State != store.LifecycleDeprecated {
			problem.Error(w, r, http.StatusUnprocessableEntity, "invalid-lifecycle", "a sunset date goes with the deprecated state only")
			return
		}
		li.Sunset = *in.Sunset
	}
	api, err := s.st.SetLifecycle(r.Context(), li)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api)
}

func (s *Server) listConsumers(w http.ResponseWriter, r *http.Request, c *call) {
	cs, err := s.st.ListConsumers(r.Context(), c.params["catalog"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cs == nil {
		cs = []store.HostedConsumer{}
	}
	writeJSON(w, http.StatusOK, cs)
}

func (s *Server) createConsumer(w http.ResponseWriter, r *http.Request, c *call) {
	var in protocol.CreateConsumerRequest
	if err := decode(c, maxBody, &in); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	cons, err := s.st.CreateConsumer(r.Context(), store.ConsumerInput{Catalog: c.params["catalog"], Name: in.Name, Groups: in.Groups, Actor: c.actor(r)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, cons)
}

func (s *Server) deleteConsumer(w http.ResponseWriter, r *http.Request, c *call) {
	if err := s.st.DeleteConsumer(r.Context(), c.params["catalog"], c.params["consumer"], c.actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, c *call) {
	var in protocol.CreateSecretRequest
	if err := decode(c, maxBody, &in); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	key := newSecret(apiKeyPrefix)
	cred, err := s.st.AddCredential(r.Context(), store.CredentialInput{Catalog: c.params["catalog"], Consumer: c.params["consumer"],
		Name: in.Name, Hash: secret.Hash(key), Actor: c.actor(r)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, protocol.IssuedKey{Credential: *cred, Key: key})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, c *call) {
	id, _ := strconv.ParseInt(c.params["id"], 10, 64)
	if err := s.st.RevokeCredential(r.Context(), c.params["catalog"], c.params["consumer"], id, c.actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listNodes(w http.ResponseWriter, r *http.Request, c *call) {
	nodes, err := s.st.ListNodes(r.Context(), c.params["catalog"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if nodes == nil {
		nodes = []store.Node{}
	}
	writeJSON(w, http.StatusOK, nodes)
}

func (s *Server) listNodeTokens(w http.ResponseWriter, r *http.Request, c *call) {
	if _, err := s.st.GetCatalog(r.Context(), c.params["catalog"]); err != nil {
		s.fail(w, r, err)
		return
	}
	toks, err := s.st.ListTokens(r.Context(), "", c.params["catalog"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if toks == nil {
		toks = []store.Token{}
	}
	writeJSON(w, http.StatusOK, toks)
}

func (s *Server) createNodeToken(w http.ResponseWriter, r *http.Request, c *call) {
	s.issueToken(w, r, c, store.TokenInput{Kind: store.TokenNode, Catalog: c.params["catalog"]}, nodeTokenPrefix)
}

func (s *Server) createUserToken(w http.ResponseWriter, r *http.Request, c *call) {
	s.issueToken(w, r, c, store.TokenInput{Kind: store.TokenUser, User: c.params["user"]}, userTokenPrefix)
}

// issueToken generates a token, stores its hash and shows it once.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, c *call, in store.TokenInput, prefix string) {
	var req protocol.CreateSecretRequest
	if err := decode(c, maxBody, &req); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	if req.ExpiresAt != nil {
		if !req.ExpiresAt.After(time.Now()) {
			problem.Error(w, r, http.StatusUnprocessableEntity, "invalid-expiry", "expiresAt is in the past")
			return
		}
		in.ExpiresAt = *req.ExpiresAt
	}
	tok := newSecret(prefix)
	in.Name, in.Hash, in.Actor = req.Name, secret.Hash(tok), c.actor(r)
	t, err := s.st.CreateToken(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, protocol.IssuedToken{Token: *t, Secret: tok})
}

func (s *Server) revokeNodeToken(w http.ResponseWriter, r *http.Request, c *call) {
	s.revokeToken(w, r, c, "", c.params["catalog"])
}

func (s *Server) revokeUserToken(w http.ResponseWriter, r *http.Request, c *call) {
	s.revokeToken(w, r, c, c.params["user"], "")
}

// revokeToken revokes the token with the path's id if it belongs to the user or catalog.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, c *call, user, catalog string) {
	id, _ := strconv.ParseInt(c.params["id"], 10, 64)
	toks, err := s.st.ListTokens(r.Context(), user, catalog)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, t := range toks {
		if t.ID == id {
			if err := s.st.RevokeToken(r.Context(), id, c.actor(r)); err != nil {
				s.fail(w, r, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	problem.Error(w, r, http.StatusNotFound, "not-found", fmt.Sprintf("token %d: %v", id, store.ErrNotFound))
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, c *call) {
	var hb protocol.Heartbeat
	if err := decode(c, maxBody, &hb); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	n := &store.Node{ID: hb.NodeID, Catalog: c.who.Token.Catalog, Version: hb.Version, Sequence: hb.Sequence,
		Revisions: hb.Revisions, Addr: sourceIP(r), Error: hb.Error}
	if err := s.st.RecordHeartbeat(r.Context(), n); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ *call) {
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, users)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *call) {
	var in protocol.CreateUserRequest
	if err := decode(c, maxBody, &in); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	u, err := s.st.CreateUser(r.Context(), store.CreateUserInput{Name: in.Name, Admin: in.Admin, Actor: c.actor(r)})
	if errors.Is(err, store.ErrConflict) {
		problem.Error(w, r, http.StatusConflict, "conflict", fmt.Sprintf("user %s exists already", in.Name))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request, c *call) {
	var in protocol.RoleRequest
	if err := decode(c, maxBody, &in); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	user := c.params["user"]
	if err := s.st.SetRole(r.Context(), store.RoleInput{User: user, Catalog: c.params["catalog"], Role: in.Role, Actor: c.actor(r)}); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.st.GetUser(r.Context(), user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) listUserTokens(w http.ResponseWriter, r *http.Request, c *call) {
	if _, err := s.st.GetUser(r.Context(), c.params["user"]); err != nil {
		s.fail(w, r, err)
		return
	}
	toks, err := s.st.ListTokens(r.Context(), c.params["user"], "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if toks == nil {
		toks = []store.Token{}
	}
	writeJSON(w, http.StatusOK, toks)
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	f := store.AuditFilter{Catalog: q.Get("catalog"), Actor: q.Get("actor"), Limit: 100}
	if f.Catalog == "" && !c.who.User.Admin {
		problem.Error(w, r, http.StatusForbidden, "forbidden", c.who.User.Name+" is not a global admin: name a catalog (?catalog=NAME) to read its records")
		return
	}
	if f.Catalog != "" && !hasRole(c.who, f.Catalog, store.RoleViewer) {
		problem.Error(w, r, http.StatusForbidden, "forbidden", fmt.Sprintf("%s needs the viewer role in catalog %s", c.who.User.Name, f.Catalog))
		return
	}
	if v := q.Get("before"); v != "" {
		f.BeforeID, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := q.Get("limit"); v != "" {
		f.Limit, _ = strconv.Atoi(v)
	}
	recs, err := s.st.ListAudit(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if recs == nil {
		recs = []store.AuditRecord{}
	}
	writeJSON(w, http.StatusOK, recs)
}
