package server

import (
	"errors"
	"fmt"

	"github.com/gantry-dev/gantry/core/store"
)

// ruleKind says who may call an operation.
type ruleKind int

const (
	// ruleOpen needs no token.
	ruleOpen ruleKind = iota
	// ruleAnyone needs any valid token (user or node).
	ruleAnyone
	// ruleUser needs a user token.
	ruleUser
	// ruleGlobalAdmin needs a global admin.
	ruleGlobalAdmin
	// ruleCatalog needs at least role in the catalog named by the "catalog" path parameter.
	ruleCatalog
	// ruleSelf needs a global admin or the user named by the "user" path parameter.
	ruleSelf
	// ruleNode needs a node token.
	ruleNode
	// ruleNodeCatalog needs a node token of the catalog named by the "catalog" path parameter.
	ruleNodeCatalog
)

// rule is an operation's access rule.
type rule struct {
	kind ruleKind
	// role is the least role a ruleCatalog operation needs.
	role string
}

// rank orders roles; a higher rank may do what a lower one may.
func rank(role string) int {
	switch role {
	case store.RoleViewer:
		return 1
	case store.RolePublisher:
		return 2
	case store.RoleAdmin:
		return 3
	}
	return 0
}

// roleIn returns the user's effective role in catalog ("" for none).
func roleIn(u *store.User, catalog string) string {
	if u == nil {
		return ""
	}
	if u.Admin {
		return store.RoleAdmin
	}
	return u.Roles[catalog]
}

// hasRole reports whether p is a user with at least role in catalog.
func hasRole(p *store.Principal, catalog, role string) bool {
	return p != nil && p.User != nil && rank(roleIn(p.User, catalog)) >= rank(role)
}

// allows returns nil if p may call an operation with rule r and these path parameters,
// else an error saying what is missing.
func (r rule) allows(p *store.Principal, params map[string]string) error {
	isUser := p != nil && p.User != nil
	switch r.kind {
	case ruleOpen, ruleAnyone:
		return nil
	case ruleNode:
		if p == nil || p.Token.Kind != store.TokenNode {
			return errors.New("this operation is for gateway nodes: use a node token")
		}
		return nil
	case ruleNodeCatalog:
		if p == nil || p.Token.Kind != store.TokenNode {
			return errors.New("this operation is for gateway nodes: use a node token")
		}
		if p.Token.Catalog != params["catalog"] {
			return fmt.Errorf("the node token is for catalog %s, not %s", p.Token.Catalog, params["catalog"])
		}
		return nil
	}
	if !isUser {
		return errors.New("a node token may only report heartbeats and read the feed")
	}
	switch r.kind {
	case ruleUser:
		return nil
	case ruleGlobalAdmin:
		if !p.User.Admin {
			return fmt.Errorf("%s is not a global admin", p.User.Name)
		}
	case ruleCatalog:
		c := params["catalog"]
		if !hasRole(p, c, r.role) {
			return fmt.Errorf("%s needs the %s role in catalog %s", p.User.Name, r.role, c)
		}
	case ruleSelf:
		if !p.User.Admin && p.User.Name != params["user"] {
			return fmt.Errorf("%s may only manage their own tokens", p.User.Name)
		}
	}
	return nil
}
