// Package client is a typed Go client of the management API (sync/server), used by the
// CLI and the desktop app. Errors the server answers come back as *Error, decoded from
// the problem document with its extension members.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/sync/protocol"
)

// Options configures New. The zero value is ready to use.
type Options struct {
	// HTTPClient sends the requests; nil means a client with a 5-minute timeout (publishes
	// of large specs are checked for breaking changes before the answer).
	HTTPClient *http.Client
	// UserAgent is sent with every request; "" means "gantry".
	UserAgent string
}

// Client talks to one management server with one token. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
	ua    string
}

// New returns a client of the server at baseURL (e.g. "http://127.0.0.1:9090"; the API's
// /api/v1 prefix is added) authenticating with token.
func New(baseURL, token string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://host[:port]", baseURL)
	}
	c := &Client{base: u, token: token, hc: opts.HTTPClient, ua: opts.UserAgent}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 5 * time.Minute}
	}
	if c.ua == "" {
		c.ua = "gantry"
	}
	return c, nil
}

// Violation is one entry of a problem's errors list.
type Violation struct {
	// In is where: "path", "query", "body"...
	In string `json:"in"`
	// Name is the parameter or the JSON pointer (or file:line:col for spec problems).
	Name string `json:"name,omitempty"`
	// Detail says what was wrong.
	Detail string `json:"detail"`
}

// Error is an error answer of the server: its status and problem document.
type Error struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Type is the problem type URI ("https://gantry.dev/problems/stale-revision", ...).
	Type string `json:"type"`
	// Title is the short summary.
	Title string `json:"title"`
	// Detail explains this occurrence.
	Detail string `json:"detail"`
	// Instance is the request path.
	Instance string `json:"instance"`
	// Errors lists individual problems (validation, spec errors); nil if none.
	Errors []Violation `json:"errors"`
	// CurrentRevision is the catalog's current revision (409 and 422); 0 if none.
	CurrentRevision int64 `json:"currentRevision"`
	// PublishedBy and PublishedAt say who published the current revision and when (409).
	PublishedBy string    `json:"publishedBy"`
	PublishedAt time.Time `json:"publishedAt"`
	// Breaking counts the breaking changes (422).
	Breaking int `json:"breaking"`
	// Changes lists the breaking changes (422).
	Changes []protocol.Change `json:"changes"`
	// Extra holds every member of the problem document, known or not.
	Extra map[string]json.RawMessage `json:"-"`
}

// Error returns the status and the server's detail.
func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	s := fmt.Sprintf("server answered %d", e.Status)
	if msg != "" {
		s += ": " + msg
	}
	for _, v := range e.Errors {
		s += fmt.Sprintf("\n  %s %s: %s", v.In, v.Name, v.Detail)
	}
	return s
}

// Slug returns the last segment of the problem type ("stale-revision", "breaking-changes").
func (e *Error) Slug() string {
	return e.Type[strings.LastIndex(e.Type, "/")+1:]
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// decodeError builds an *Error from an error answer; a body that is not a problem document
// is kept (shortened) as the detail.
func decodeError(resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	ct := resp.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/problem+json") || strings.HasPrefix(ct, "application/json") {
		if err := json.Unmarshal(body, e); err == nil {
			_ = json.Unmarshal(body, &e.Extra)
			e.Status = resp.StatusCode
			return e
		}
	}
	d := strings.TrimSpace(string(body))
	if len(d) > 300 {
		d = d[:300] + "..."
	}
	e.Detail = d
	return e
}

// do sends a request with a JSON body (nil for none) and decodes a JSON answer into out
// (nil to ignore it). It returns the status of a successful answer.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1" + path
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("encoding request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.ua)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxPublishBytes*2))
	if err != nil {
		return 0, fmt.Errorf("%s %s: reading the answer: %w", method, u.Redacted(), err)
	}
	if resp.StatusCode >= 400 {
		return resp.StatusCode, decodeError(resp, b)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decoding the answer: %w", method, u.Redacted(), err)
		}
	}
	return resp.StatusCode, nil
}

func esc(s string) string { return url.PathEscape(s) }

// Me returns who the client's token authenticates.
func (c *Client) Me(ctx context.Context) (*protocol.Me, error) {
	var out protocol.Me
	_, err := c.do(ctx, "GET", "/me", nil, nil, &out)
	return &out, err
}

// OpenAPI returns the server's OpenAPI document.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/openapi.yaml"
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, decodeError(resp, b)
	}
	return b, nil
}

// ListCatalogs returns the catalogs the caller may see.
func (c *Client) ListCatalogs(ctx context.Context) ([]protocol.Catalog, error) {
	var out []protocol.Catalog
	_, err := c.do(ctx, "GET", "/catalogs", nil, nil, &out)
	return out, err
}

// CreateCatalog creates a catalog.
func (c *Client) CreateCatalog(ctx context.Context, in protocol.CreateCatalogRequest) (*protocol.Catalog, error) {
	var out protocol.Catalog
	_, err := c.do(ctx, "POST", "/catalogs", nil, in, &out)
	return &out, err
}

// GetCatalog returns one catalog.
func (c *Client) GetCatalog(ctx context.Context, catalog string) (*protocol.Catalog, error) {
	var out protocol.Catalog
	_, err := c.do(ctx, "GET", "/catalogs/"+esc(catalog), nil, nil, &out)
	return &out, err
}

// ListAPIs returns a catalog's APIs.
func (c *Client) ListAPIs(ctx context.Context, catalog string) ([]protocol.CatalogAPI, error) {
	var out []protocol.CatalogAPI
	_, err := c.do(ctx, "GET", "/catalogs/"+esc(catalog)+"/apis", nil, nil, &out)
	return out, err
}

// GetAPI returns an API with its current revision and content.
func (c *Client) GetAPI(ctx context.Context, catalog, api string) (*protocol.APIDetail, error) {
	var out protocol.APIDetail
	_, err := c.do(ctx, "GET", "/catalogs/"+esc(catalog)+"/apis/"+esc(api), nil, nil, &out)
	return &out, err
}

// ListRevisions returns an API's revisions, newest first, without content.
func (c *Client) ListRevisions(ctx context.Context, catalog, api string) ([]protocol.Revision, error) {
	var out []protocol.Revision
	_, err := c.do(ctx, "GET", "/catalogs/"+esc(catalog)+"/apis/"+esc(api)+"/revisions", nil, nil, &out)
	return out, err
}

// GetRevision returns one revision with its content.
func (c *Client) GetRevision(ctx context.Context, catalog, api string, number int64) (*protocol.Revision, error) {
	var out protocol.Revision
	_, err := c.do(ctx, "GET", fmt.Sprintf("/catalogs/%s/apis/%s/revisions/%d", esc(catalog), esc(api), number), nil, nil, &out)
	return &out, err
}

// Publish publishes a new revision. A stale base is an *Error with status 409 and
// CurrentRevision/PublishedBy set; breaking changes without AllowBreaking are status 422
// with Changes. Identical content returns the existing revision with Created false.
func (c *Client) Publish(ctx context.Context, catalog, api string, in protocol.PublishRequest) (*protocol.PublishResponse, error) {
	var out protocol.PublishResponse
	_, err := c.do(ctx, "POST", "/catalogs/"+esc(catalog)+"/apis/"+esc(api)+"/revisions", nil, in, &out)
	return &out, err
}

// Check returns what publishing in would change, without publishing.
func (c *Client) Check(ctx context.Context, catalog, api string, in protocol.PublishRequest) (*protocol.PublishResponse, error) {
	var out protocol.PublishResponse
	_, err := c.do(ctx, "POST", "/catalogs/"+esc(catalog)+"/apis/"+esc(api)+"/check", nil, in, &out)
	return &out, err
}

// Promote copies a revision of api from in.From into catalog.
func (c *Client) Promote(ctx context.Context, catalog, api string, in protocol.PromoteRequest) (*protocol.PublishResponse, error) {
	var out protocol.PublishResponse
	_, err := c.do(ctx, "POST", "/catalogs/"+esc(catalog)+"/apis/"+esc(api)+"/promote", nil, in, &out)
	return &out, err
}

// SetLifecycle deprecates, retires or republishes an API.
func (c *Client) SetLifecycle(ctx context.Context, catalog, api string, in protocol.LifecycleRequest) (*protocol.CatalogAPI, error) {
	var out protocol.CatalogAPI
	_, err := c.do(ctx, "POST", "/catalogs/"+esc(catalog)+"/apis/"+esc(api)+"/lifecycle", nil, in, &out)
	return &out, err
}

// ListConsumers returns a catalog's consumers.
func (c *Client) ListConsumers(ctx context.Context, catalog string) ([]protocol.Consumer, error) {
	var out []protocol.Consumer
	_, err := c.do(ctx, "GET", "/catalogs/"+esc(catalog)+"/consumers", nil, nil, &out)
	return out, err
}

// CreateConsumer creates a consumer.
func (c *Client) CreateConsumer(ctx context.Context, catalog string, in protocol.CreateConsumerRequest) (*protocol.Consumer, error) {
	var out protocol.Consumer
	_, err := c.do(ctx, "POST", "/catalogs/"+esc(catalog)+"/consumers", nil, in, &out)
	return &out, err
}

// DeleteConsumer deletes a consumer and its keys.
func (c *Client) DeleteConsumer(ctx context.Context, catalog, consumer string) error {
	_, err := c.do(ctx, "DELETE", "/catalogs/"+esc(catalog)+"/consumers/"+esc(consumer), nil, nil, nil)
	return err
}

// CreateKey issues a key to a consumer; the key is in the answer only.
func (c *Client) CreateKey(ctx context.Context, catalog, consumer, name string) (*protocol.IssuedKey, error) {
	var out protocol.IssuedKey
	_, err := c.do(ctx, "POST", "/catalogs/"+esc(catalog)+"/consumers/"+esc(consumer)+"/keys", nil, protocol.CreateSecretRequest{Name: name}, &out)
	return &out, err
}

// RevokeKey revokes a consumer's key.
func (c *Client) RevokeKey(ctx context.Context, catalog, consumer string, id int64) error {
	_, err := c.do(ctx, "DELETE", fmt.Sprintf("/catalogs/%s/consumers/%s/keys/%d", esc(catalog), esc(consumer), id), nil, nil, nil)
	return err
}

// ListNodes returns a catalog's gateway nodes.
func (c *Client) ListNodes(ctx context.Context, catalog string) ([]protocol.Node, error) {
	var out []protocol.Node
	_, err := c.do(ctx, "GET", "/catalogs/"+esc(catalog)+"/nodes", nil, nil, &out)
	return out, err
}

// ListNodeTokens returns a catalog's node tokens without secrets.
func (c *Client) ListNodeTokens(ctx context.Context, catalog string) ([]protocol.Token, error) {
	var out []protocol.Token
	_, err := c.do(ctx, "GET", "/catalogs/"+esc(catalog)+"/node-tokens", nil, nil, &out)
	return out, err
}

// CreateNodeToken issues a node token for a catalog; the secret is in the answer only.
func (c *Client) CreateNodeToken(ctx context.Context, catalog string, in protocol.CreateSecretRequest) (*protocol.IssuedToken, error) {
	var out protocol.IssuedToken
	_, err := c.do(ctx, "POST", "/catalogs/"+esc(catalog)+"/node-tokens", nil, in, &out)
	return &out, err
}

// RevokeNodeToken revokes a node token.
func (c *Client) RevokeNodeToken(ctx context.Context, catalog string, id int64) error {
	_, err := c.do(ctx, "DELETE", fmt.Sprintf("/catalogs/%s/node-tokens/%d", esc(catalog), id), nil, nil, nil)
	return err
}

// Heartbeat reports a node's state (node token).
func (c *Client) Heartbeat(ctx context.Context, hb protocol.Heartbeat) error {
	_, err := c.do(ctx, "POST", "/nodes/heartbeat", nil, hb, nil)
	return err
}

// ListUsers returns every user.
func (c *Client) ListUsers(ctx context.Context) ([]protocol.User, error) {
	var out []protocol.User
	_, err := c.do(ctx, "GET", "/users", nil, nil, &out)
	return out, err
}

// CreateUser creates a user.
func (c *Client) CreateUser(ctx context.Context, in protocol.CreateUserRequest) (*protocol.User, error) {
	var out protocol.User
	_, err := c.do(ctx, "POST", "/users", nil, in, &out)
	return &out, err
}

// SetRole sets (or with role "" removes) a user's role in a catalog.
func (c *Client) SetRole(ctx context.Context, user, catalog, role string) (*protocol.User, error) {
	var out protocol.User
	_, err := c.do(ctx, "PUT", "/users/"+esc(user)+"/roles/"+esc(catalog), nil, protocol.RoleRequest{Role: role}, &out)
	return &out, err
}

// ListUserTokens returns a user's tokens without secrets.
func (c *Client) ListUserTokens(ctx context.Context, user string) ([]protocol.Token, error) {
	var out []protocol.Token
	_, err := c.do(ctx, "GET", "/users/"+esc(user)+"/tokens", nil, nil, &out)
	return out, err
}

// CreateUserToken issues a token to a user; the secret is in the answer only.
func (c *Client) CreateUserToken(ctx context.Context, user string, in protocol.CreateSecretRequest) (*protocol.IssuedToken, error) {
	var out protocol.IssuedToken
	_, err := c.do(ctx, "POST", "/users/"+esc(user)+"/tokens", nil, in, &out)
	return &out, err
}

// RevokeUserToken revokes a user's token.
func (c *Client) RevokeUserToken(ctx context.Context, user string, id int64) error {
	_, err := c.do(ctx, "DELETE", fmt.Sprintf("/users/%s/tokens/%d", esc(user), id), nil, nil, nil)
	return err
}

// AuditQuery selects audit records. The zero value asks for the newest 100 of all catalogs
// (global admins only).
type AuditQuery struct {
	// Catalog keeps one catalog's records; "" keeps all.
	Catalog string
	// Actor keeps one actor's records; "" keeps all.
	Actor string
	// Before keeps records with a smaller ID (paging); 0 keeps all.
	Before int64
	// Limit caps the count (1-1000); 0 means the server's default of 100.
	Limit int
}

// ListAudit returns audit records, newest first.
func (c *Client) ListAudit(ctx context.Context, q AuditQuery) ([]protocol.AuditRecord, error) {
	v := url.Values{}
	if q.Catalog != "" {
		v.Set("catalog", q.Catalog)
	}
	if q.Actor != "" {
		v.Set("actor", q.Actor)
	}
	if q.Before > 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out []protocol.AuditRecord
	_, err := c.do(ctx, "GET", "/audit", v, nil, &out)
	return out, err
}
