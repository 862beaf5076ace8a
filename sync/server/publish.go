package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gantry-dev/gantry/core/breaking"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// publish stores a new revision after the base-revision and breaking-change checks.
func (s *Server) publish(w http.ResponseWriter, r *http.Request, c *call) {
	s.publishOrCheck(w, r, c, false)
}

// check answers what publish would change, without publishing.
func (s *Server) check(w http.ResponseWriter, r *http.Request, c *call) {
	s.publishOrCheck(w, r, c, true)
}

func (s *Server) publishOrCheck(w http.ResponseWriter, r *http.Request, c *call, dryRun bool) {
	catalog, api := c.params["catalog"], c.params["api"]
	req, err := protocol.DecodePublishRequest(strings.NewReader(string(c.body)))
	if err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	next, err := req.Bundle.ToStore()
	if err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	if d := specProblem(next); d != nil {
		problem.Write(w, r, d)
		return
	}
	hash, err := next.Hash()
	if err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	if _, err := s.st.GetCatalog(r.Context(), catalog); err != nil {
		s.fail(w, r, err)
		return
	}
	cur, err := s.st.GetRevision(r.Context(), catalog, api, 0)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	if cur != nil && cur.Hash == hash {
		// Identical content: the existing revision, whatever the base says.
		cur.Bundle = nil
		writeJSON(w, http.StatusOK, protocol.PublishResponse{Revision: protocol.RevisionFromStore(cur), Changes: []protocol.Change{}})
		return
	}
	var curNum int64
	if cur != nil {
		curNum = cur.Number
	}
	if !dryRun && req.BaseRevision != curNum {
		if cur == nil {
			cur = &store.Revision{Catalog: catalog, API: api}
		}
		problem.Write(w, r, conflictProblem(&store.ConflictError{Current: cur, Base: req.BaseRevision}))
		return
	}
	changes := compare(cur, next)
	n := breaking.Count(changes)
	if dryRun {
		resp := protocol.PublishResponse{Changes: changes, Breaking: n}
		if cur != nil {
			cur.Bundle = nil
			resp.Revision = protocol.RevisionFromStore(cur)
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if n > 0 && !req.AllowBreaking {
		problem.Write(w, r, breakingProblem(api, catalog, curNum, changes, n))
		return
	}
	rev, created, err := s.st.Publish(r.Context(), store.PublishInput{Catalog: catalog, API: api, BaseRevision: req.BaseRevision,
		Bundle: next, Breaking: n, Reason: req.Reason, Actor: c.actor(r)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerRevision(w, rev, created, changes, n)
}

// promote copies a revision from another catalog after the same checks as publish.
func (s *Server) promote(w http.ResponseWriter, r *http.Request, c *call) {
	to, api := c.params["catalog"], c.params["api"]
	var req protocol.PromoteRequest
	if err := decode(c, maxBody, &req); err != nil {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", err.Error())
		return
	}
	if !hasRole(c.who, req.From, store.RoleViewer) {
		problem.Error(w, r, http.StatusForbidden, "forbidden", fmt.Sprintf("%s needs the viewer role in catalog %s to promote from it", c.who.User.Name, req.From))
		return
	}
	if req.From == to {
		problem.Error(w, r, http.StatusUnprocessableEntity, "invalid-promotion", "the source and target catalogs are the same")
		return
	}
	if req.AllowBreaking && strings.TrimSpace(req.Reason) == "" {
		problem.Error(w, r, http.StatusBadRequest, "invalid-request", "allowBreaking needs a reason")
		return
	}
	if _, err := s.st.GetCatalog(r.Context(), to); err != nil {
		s.fail(w, r, err)
		return
	}
	src, err := s.st.GetRevision(r.Context(), req.From, api, req.Revision)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, err := s.st.GetRevision(r.Context(), to, api, 0)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	var curNum int64
	if cur != nil {
		curNum = cur.Number
		if cur.Hash == src.Hash {
			cur.Bundle = nil
			writeJSON(w, http.StatusOK, protocol.PublishResponse{Revision: protocol.RevisionFromStore(cur), Changes: []protocol.Change{}})
			return
		}
	}
	if req.BaseRevision != nil && *req.BaseRevision != curNum {
		if cur == nil {
			cur = &store.Revision{Catalog: to, API: api}
		}
		problem.Write(w, r, conflictProblem(&store.ConflictError{Current: cur, Base: *req.BaseRevision}))
		return
	}
	changes := compare(cur, src.Bundle)
	n := breaking.Count(changes)
	if n > 0 && !req.AllowBreaking {
		problem.Write(w, r, breakingProblem(api, to, curNum, changes, n))
		return
	}
	// The base is the revision compared against, so a publish in between is a conflict.
	rev, created, err := s.st.Promote(r.Context(), store.PromoteInput{API: api, From: req.From, Revision: src.Number, To: to,
		BaseRevision: curNum, Breaking: n, Reason: req.Reason, Actor: c.actor(r)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerRevision(w, rev, created, changes, n)
}

// answerRevision sends a publish or promote result: 201 for a new revision, 200 otherwise.
func (s *Server) answerRevision(w http.ResponseWriter, rev *store.Revision, created bool, changes []protocol.Change, n int) {
	rev.Bundle = nil
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", fmt.Sprintf("%s/catalogs/%s/apis/%s/revisions/%d", BasePath, rev.Catalog, rev.API, rev.Number))
	} else {
		changes, n = []protocol.Change{}, 0
	}
	if changes == nil {
		changes = []protocol.Change{}
	}
	writeJSON(w, status, protocol.PublishResponse{Revision: protocol.RevisionFromStore(rev), Created: created, Changes: changes, Breaking: n})
}

// compare lists the changes from cur (nil: none yet) to next, breaking first. A spec the
// checker cannot read (Swagger 2.0 included, which it compares once converted to OpenAPI
// 3, when that fails) counts as one breaking change, so that publishing it needs
// allowBreaking with a reason.
func compare(cur *store.Revision, next *store.Bundle) []protocol.Change {
	if cur == nil || cur.Bundle == nil {
		return []protocol.Change{}
	}
	changes, err := breaking.Compare(
		breaking.Spec{Root: cur.Bundle.Root, Files: cur.Bundle.Files},
		breaking.Spec{Root: next.Root, Files: next.Files})
	if err != nil {
		return []protocol.Change{{ID: "check-failed", Level: breaking.LevelError, Breaking: true,
			Text: "the breaking-change check could not compare the specs, so the change is treated as breaking: " + err.Error()}}
	}
	if changes == nil {
		changes = []protocol.Change{}
	}
	return changes
}

// breakingProblem is the 422 answer listing breaking changes.
func breakingProblem(api, catalog string, cur int64, changes []protocol.Change, n int) *problem.Details {
	var list []protocol.Change
	var first []string
	for _, ch := range changes {
		if !ch.Breaking {
			continue
		}
		list = append(list, ch)
		if len(first) < 3 {
			where := strings.TrimSpace(ch.Operation + " " + ch.Path)
			if where != "" {
				where = " (" + where + ")"
			}
			first = append(first, ch.Text+where)
		}
	}
	more := ""
	if n > len(first) {
		more = fmt.Sprintf("; and %d more", n-len(first))
	}
	d := problem.New(http.StatusUnprocessableEntity, "breaking-changes",
		fmt.Sprintf("%d breaking change(s) against revision %d of %s in catalog %s: %s%s. Publish with allowBreaking and a reason to accept them",
			n, cur, api, catalog, strings.Join(first, "; "), more))
	d.Extra = map[string]any{"breaking": n, "changes": list, "currentRevision": cur}
	return d
}

// specProblem returns a 422 problem if the bundle is not a usable spec, else nil.
func specProblem(b *store.Bundle) *problem.Details {
	_, _, err := spec.LoadFiles(b.Root, b.Files, spec.Options{})
	if err == nil {
		return nil
	}
	d := problem.New(http.StatusUnprocessableEntity, "invalid-spec", "the spec cannot be used: "+err.Error())
	if se, ok := spec.AsError(err); ok {
		d.Detail = fmt.Sprintf("the spec cannot be used (%d problems)", len(se.Problems))
		for _, p := range se.Problems {
			d.Errors = append(d.Errors, problem.Violation{In: "body", Name: p.Location.String(), Detail: p.Message})
		}
	}
	return d
}
