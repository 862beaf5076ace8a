package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/suite"
	"github.com/gantry-dev/gantry/core/workspace"
	"github.com/gantry-dev/gantry/embedded-gateway/contract"
	"github.com/gantry-dev/gantry/embedded-gateway/mock"
	"github.com/gantry-dev/gantry/embedded-gateway/replay"
	"github.com/gantry-dev/gantry/embedded-gateway/validate"
)

// consoleTimeout bounds each request the console sends.
const consoleTimeout = 30 * time.Second

// ConsoleService is the request console: it fills in requests from the spec, keeps the
// workspace's environments, sends requests through the gateway or to a URL, saves them
// with assertions as suites (see workspace.RequestsFolder for where) and runs suites and
// contract tests.
type ConsoleService struct {
	st     *sqlite.Store
	dbPath string
	gw     *GatewayService
	log    *slog.Logger
}

// FormParameter is one parameter of a request form.
type FormParameter struct {
	Name     string `json:"name"`
	In       string `json:"in"` // path, query, header, cookie
	Required bool   `json:"required"`
	// Schema is the parameter's JSON Schema (top-level reference resolved); null means any.
	Schema json.RawMessage `json:"schema"`
	// Values are the example's values: one, or one per array item.
	Values []string `json:"values"`
}

// FormBody is the request body of a form.
type FormBody struct {
	ContentType string `json:"contentType"`
	// MediaTypes are every media type the operation accepts.
	MediaTypes []string `json:"mediaTypes"`
	Required   bool     `json:"required"`
	// Schema is the body's JSON Schema (top-level reference resolved); null means any.
	Schema json.RawMessage `json:"schema"`
	// Example is a body valid against the schema, as text (JSON indented).
	Example string `json:"example"`
}

// OperationForm is what a request form for one operation needs, pre-filled with a valid
// example.
type OperationForm struct {
	API         string          `json:"api"`
	OperationID string          `json:"operationId"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Summary     string          `json:"summary"`
	Parameters  []FormParameter `json:"parameters"`
	// Credentials are the headers and query parameters the operation's security asks for,
	// with placeholder values.
	Credentials []FormParameter `json:"credentials"`
	// Body is nil when the operation takes none.
	Body *FormBody `json:"body"`
	// BaseURL is where the running gateway serves the API; "" when it does not.
	BaseURL string `json:"baseURL"`
}

// Environment is a named set of variables ({{baseUrl}}, {{token}}) kept in the workspace.
type Environment struct {
	Name      string            `json:"name"`
	Variables map[string]string `json:"variables"`
	UpdatedAt string            `json:"updatedAt"`
}

// Pair is a header or query parameter of a console request.
type Pair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ConsoleRequest is a request as the console edits it; saved, it is one request file of a
// suite.
type ConsoleRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	OperationID string `json:"operationId"`
	Method      string `json:"method"`
	// URL is absolute, or relative to the target ("/pets/1"); it may use {{variables}}.
	URL     string `json:"url"`
	Headers []Pair `json:"headers"`
	Query   []Pair `json:"query"`
	// Body is sent as is; JSON text is saved as a YAML value.
	Body    string            `json:"body"`
	Capture map[string]string `json:"capture"`
	Assert  []suite.Assertion `json:"assert"`
	// File is the request file it was loaded from; "" for a new request.
	File string `json:"file"`
}

// Target says where the console sends: URL, when set, is the base URL requests are
// relative to (it may use the environment's {{variables}}); "" means the running gateway.
// Environment names the environment whose variables fill {{placeholders}}; "" means none.
type Target struct {
	URL         string `json:"url"`
	Environment string `json:"environment"`
}

// SendResult is the answer to a request sent from the console.
type SendResult struct {
	Method         string        `json:"method"`
	URL            string        `json:"url"`
	RequestHeaders [][2]string   `json:"requestHeaders"`
	Status         int           `json:"status"`
	StatusText     string        `json:"statusText"`
	Headers        [][2]string   `json:"headers"`
	ContentType    string        `json:"contentType"`
	Body           string        `json:"body"`         // JSON pretty-printed
	BodyEncoding   string        `json:"bodyEncoding"` // text or base64
	Size           int           `json:"size"`
	Truncated      bool          `json:"truncated"`
	DurationMs     float64       `json:"durationMs"`
	Operation      *OperationRef `json:"operation"`
	// Violations are how the answer breaks the spec operation's contract.
	Violations []Violation `json:"violations"`
	// ValidationError says why the answer could not be checked against the spec.
	ValidationError string                  `json:"validationError"`
	Assertions      []suite.AssertionResult `json:"assertions"`
	// Passed reports whether every assertion held.
	Passed bool `json:"passed"`
}

// SuiteList is the saved requests of an API.
type SuiteList struct {
	// Dir is the folder they live in; Linked tells whether it is beside the API's linked
	// spec file (where `gantry test --suite` finds them) or in the workspace.
	Dir    string      `json:"dir"`
	Linked bool        `json:"linked"`
	Suites []SuiteInfo `json:"suites"`
}

// SuiteInfo is one suite and its requests, in run order.
type SuiteInfo struct {
	Name     string           `json:"name"`
	Requests []ConsoleRequest `json:"requests"`
	// Problems are why some request files could not be read (FILE:LINE:COL: field: message).
	Problems []string `json:"problems"`
}

// ContractOptions narrows a contract run.
type ContractOptions struct {
	// Operations are operationIds (or "METHOD /path"); empty tests every operation.
	Operations []string `json:"operations"`
	// NoNegatives sends only the valid request of each operation.
	NoNegatives bool   `json:"noNegatives"`
	Seed        uint64 `json:"seed"`
}

// Operation returns the request form of the API's operation (an operationId, or
// "METHOD /path"), pre-filled with a valid example.
func (s *ConsoleService) Operation(api, operation string) (OperationForm, error) {
	def, _, err := workspace.Definition(context.Background(), s.st, api)
	if err != nil {
		return OperationForm{}, err
	}
	op, err := findOperation(def, operation)
	if err != nil {
		return OperationForm{}, fmt.Errorf("API %q: %w", api, err)
	}
	b := contract.New(def, mock.NewGenerator(def, apidef.NewChecker(def)))
	ex, err := b.Example(op, 0)
	if err != nil {
		return OperationForm{}, fmt.Errorf("filling in an example request: %w", err)
	}
	f := OperationForm{
		API: api, OperationID: op.ID, Method: op.Method, Path: op.Path, Summary: op.Summary,
		Parameters: []FormParameter{}, Credentials: []FormParameter{},
	}
	for i, p := range ex.Parameters {
		f.Parameters = append(f.Parameters, FormParameter{Name: p.Name, In: p.In, Required: p.Required, Values: p.Values,
			Schema: schemaJSON(def, op.Parameters[i].Schema)})
	}
	for _, p := range ex.Credentials {
		f.Credentials = append(f.Credentials, FormParameter{Name: p.Name, In: p.In, Required: true, Values: p.Values, Schema: json.RawMessage("null")})
	}
	if rb := op.RequestBody; rb != nil && len(rb.Content) > 0 {
		body := &FormBody{ContentType: ex.ContentType, Required: rb.Required, Example: prettyJSON(ex.Body), Schema: json.RawMessage("null")}
		for _, mt := range rb.Content {
			body.MediaTypes = append(body.MediaTypes, mt.Type)
			if mt.Type == ex.ContentType {
				body.Schema = schemaJSON(def, mt.Schema)
			}
		}
		f.Body = body
	}
	if base, err := s.gatewayBase(api); err == nil {
		f.BaseURL = base
	}
	return f, nil
}

// findOperation finds an operation by operationId or "METHOD /path".
func findOperation(def *apidef.Definition, id string) (*apidef.Operation, error) {
	for _, op := range def.Operations {
		if op.ID == id || strings.EqualFold(op.Method+" "+op.Path, id) {
			return op, nil
		}
	}
	return nil, fmt.Errorf("no operation %q", id)
}

// schemaJSON encodes s with its top-level reference resolved; "null" for none.
func schemaJSON(def *apidef.Definition, s *apidef.Schema) json.RawMessage {
	if r := def.Resolve(s); r != nil {
		s = r
	}
	if s == nil {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(s)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// prettyJSON indents JSON text; other text is returned as is.
func prettyJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

// Environments lists the workspace's environments by name.
func (s *ConsoleService) Environments() ([]Environment, error) {
	list, err := s.st.ListEnvironments(context.Background())
	if err != nil {
		return nil, fmt.Errorf("listing environments: %w", err)
	}
	out := make([]Environment, 0, len(list))
	for _, e := range list {
		out = append(out, environment(&e))
	}
	return out, nil
}

func environment(e *model.Environment) Environment {
	vars := e.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	return Environment{Name: e.Name, Variables: vars, UpdatedAt: e.UpdatedAt.Format(time.RFC3339)}
}

// SaveEnvironment creates or replaces the environment called env.Name.
func (s *ConsoleService) SaveEnvironment(env Environment) (Environment, error) {
	name := strings.TrimSpace(env.Name)
	if name == "" {
		return Environment{}, errors.New("an environment needs a name")
	}
	for k := range env.Variables {
		if !suite.ValidName(k) {
			return Environment{}, fmt.Errorf("environment %s: %q is not a variable name: start with a letter or '_', then letters, digits, '_', '-' and '.'", name, k)
		}
	}
	saved, err := s.st.PutEnvironment(context.Background(), &model.Environment{Name: name, Variables: env.Variables})
	if err != nil {
		return Environment{}, fmt.Errorf("saving environment %s: %w", name, err)
	}
	return environment(saved), nil
}

// DeleteEnvironment removes the environment called name.
func (s *ConsoleService) DeleteEnvironment(name string) error {
	if err := s.st.DeleteEnvironment(context.Background(), name); err != nil {
		return fmt.Errorf("removing environment %s: %w", name, err)
	}
	return nil
}

// gatewayBase returns where the running gateway serves api.
func (s *ConsoleService) gatewayBase(api string) (string, error) {
	st, _ := s.gw.Status()
	if !st.Running {
		return "", errors.New("the gateway is not running: start it, or send to a URL")
	}
	for _, a := range st.APIs {
		if a.Name == api {
			return a.BaseURL, nil
		}
	}
	return "", fmt.Errorf("the gateway does not serve %s: restart it with this API, or send to a URL", api)
}

// resolve returns the base URL and the variables of a target.
func (s *ConsoleService) resolve(api string, t Target) (string, map[string]string, error) {
	vars := map[string]string{}
	if t.Environment != "" {
		env, err := s.st.GetEnvironment(context.Background(), t.Environment)
		if errors.Is(err, store.ErrNotFound) {
			return "", nil, fmt.Errorf("no environment called %q", t.Environment)
		}
		if err != nil {
			return "", nil, fmt.Errorf("loading environment %s: %w", t.Environment, err)
		}
		for k, v := range env.Variables {
			vars[k] = v
		}
	}
	if u := strings.TrimSpace(t.URL); u != "" {
		expanded, err := suite.NewVars(vars).Expand(u)
		if err != nil {
			return "", nil, fmt.Errorf("target %s: %w", u, err)
		}
		return expanded, vars, nil
	}
	base, err := s.gatewayBase(api)
	return base, vars, err
}

// runner returns a suite runner for api against the target.
func (s *ConsoleService) runner(api string, t Target) (*suite.Runner, *apidef.Definition, func(), error) {
	def, _, err := workspace.Definition(context.Background(), s.st, api)
	if err != nil {
		return nil, nil, nil, err
	}
	base, vars, err := s.resolve(api, t)
	if err != nil {
		return nil, nil, nil, err
	}
	client, done := replay.Client(consoleTimeout)
	rn := &suite.Runner{Client: client, Timeout: consoleTimeout, BaseURL: base, Vars: vars, Definition: def, Validator: validate.New(def)}
	return rn, def, done, nil
}

// Send sends req for api to the target and returns the answer, checked against the spec
// and the request's assertions. Through the gateway, the exchange is captured too.
func (s *ConsoleService) Send(api string, req ConsoleRequest, target Target) (SendResult, error) {
	rn, _, done, err := s.runner(api, target)
	if err != nil {
		return SendResult{}, err
	}
	defer done()
	r, err := req.request()
	if err != nil {
		return SendResult{}, err
	}
	x, err := rn.Send(context.Background(), r)
	if err != nil {
		return SendResult{}, err
	}
	res := SendResult{
		Method: x.Method, URL: x.URL, RequestHeaders: headerPairs(x.RequestHeader), Status: x.Status,
		StatusText: http.StatusText(x.Status), Headers: headerPairs(x.Header), Size: len(x.Body), Truncated: x.Truncated,
		DurationMs: float64(x.Duration.Microseconds()) / 1000, Violations: []Violation{}, ValidationError: x.ValidationError,
		Assertions: x.Assertions, Passed: true,
	}
	if res.Assertions == nil {
		res.Assertions = []suite.AssertionResult{}
	}
	res.ContentType = x.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(res.ContentType)
	switch {
	case utf8.Valid(x.Body) && (mt == "application/json" || strings.HasSuffix(mt, "+json")):
		res.Body, res.BodyEncoding = prettyJSON(x.Body), "text"
	case utf8.Valid(x.Body):
		res.Body, res.BodyEncoding = string(x.Body), "text"
	default:
		res.Body, res.BodyEncoding = base64.StdEncoding.EncodeToString(x.Body), "base64"
	}
	if x.Operation != nil {
		res.Operation = &OperationRef{ID: x.Operation.ID, Method: x.Operation.Method, Path: x.Operation.Path}
	}
	for _, v := range x.Violations {
		res.Violations = append(res.Violations, Violation{In: v.In, Pointer: v.Name, Message: v.Message})
	}
	for _, a := range x.Assertions {
		res.Passed = res.Passed && a.Passed
	}
	return res, nil
}

func headerPairs(h http.Header) [][2]string {
	out := [][2]string{}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// request converts the console's request to a saved request.
func (c ConsoleRequest) request() (*suite.Request, error) {
	r := &suite.Request{
		Name: strings.TrimSpace(c.Name), Description: c.Description, OperationID: c.OperationID,
		Method: strings.ToUpper(strings.TrimSpace(c.Method)), URL: strings.TrimSpace(c.URL), Capture: c.Capture,
		Assert: c.Assert, Source: suite.Location{File: c.File},
	}
	if r.Name == "" {
		r.Name = "request"
	}
	if r.URL == "" {
		return nil, errors.New("the request has no URL")
	}
	for _, h := range c.Headers {
		name := strings.TrimSpace(h.Name)
		if name == "" {
			continue
		}
		if r.Headers == nil {
			r.Headers = map[string]string{}
		}
		r.Headers[name] = h.Value
	}
	for _, q := range c.Query {
		name := strings.TrimSpace(q.Name)
		if name == "" {
			continue
		}
		if r.Query == nil {
			r.Query = map[string][]string{}
		}
		r.Query[name] = append(r.Query[name], q.Value)
	}
	if body := c.Body; strings.TrimSpace(body) != "" {
		t := strings.TrimSpace(body)
		if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
			r.Body = &suite.Body{JSON: json.RawMessage(t)}
		} else {
			r.Body = &suite.Body{Text: body}
		}
	}
	return r, nil
}

// consoleRequest converts a saved request for the console.
func consoleRequest(r *suite.Request) ConsoleRequest {
	c := ConsoleRequest{
		Name: r.Name, Description: r.Description, OperationID: r.OperationID, Method: r.Method, URL: r.URL,
		Headers: []Pair{}, Query: []Pair{}, Capture: r.Capture, Assert: r.Assert, File: r.Source.File,
	}
	if c.Method == "" {
		c.Method = http.MethodGet
	}
	if c.Capture == nil {
		c.Capture = map[string]string{}
	}
	if c.Assert == nil {
		c.Assert = []suite.Assertion{}
	}
	for _, k := range sortedKeys(r.Headers) {
		c.Headers = append(c.Headers, Pair{Name: k, Value: r.Headers[k]})
	}
	for _, k := range sortedKeys(r.Query) {
		for _, v := range r.Query[k] {
			c.Query = append(c.Query, Pair{Name: k, Value: v})
		}
	}
	if b := r.Body; b != nil {
		if b.JSON != nil {
			c.Body = prettyJSON(b.JSON)
		} else {
			c.Body = b.Text
		}
	}
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// folder returns where the API's saved requests live.
func (s *ConsoleService) folder(api string) (suite.Folder, bool, error) {
	a, err := s.st.GetAPI(context.Background(), api)
	if err != nil {
		return suite.Folder{}, false, fmt.Errorf("API %q: %w", api, err)
	}
	f, err := workspace.RequestsFolder(a, s.dbPath)
	return f, a.LinkedPath != "", err
}

// Suites lists the API's saved requests by suite.
func (s *ConsoleService) Suites(api string) (SuiteList, error) {
	f, linked, err := s.folder(api)
	if err != nil {
		return SuiteList{}, err
	}
	out := SuiteList{Dir: f.Dir, Linked: linked, Suites: []SuiteInfo{}}
	ctx := context.Background()
	names, err := f.Suites(ctx)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return SuiteList{}, err
	}
	for _, name := range names {
		info := SuiteInfo{Name: name, Requests: []ConsoleRequest{}, Problems: []string{}}
		st, err := f.Suite(ctx, name)
		var ps suite.Problems
		switch {
		case errors.As(err, &ps):
			for _, p := range ps {
				info.Problems = append(info.Problems, p.Error())
			}
		case err != nil:
			info.Problems = append(info.Problems, err.Error())
		default:
			for _, r := range st.Requests {
				info.Requests = append(info.Requests, consoleRequest(r))
			}
		}
		out.Suites = append(out.Suites, info)
	}
	return out, nil
}

// SaveRequest saves req in the API's suite (created if needed), over the file it came
// from or the request of the same name, and returns it as saved. A request the file format
// refuses (a bad assertion, say) is not saved; the error names the field.
func (s *ConsoleService) SaveRequest(api, suiteName string, req ConsoleRequest) (ConsoleRequest, error) {
	if strings.TrimSpace(req.Name) == "" {
		return ConsoleRequest{}, errors.New("a saved request needs a name")
	}
	f, _, err := s.folder(api)
	if err != nil {
		return ConsoleRequest{}, err
	}
	r, err := req.request()
	if err != nil {
		return ConsoleRequest{}, err
	}
	data, err := suite.MarshalRequest(r)
	if err != nil {
		return ConsoleRequest{}, fmt.Errorf("request %s: %w", r.Name, err)
	}
	if _, err := suite.ParseRequest(r.Name, data); err != nil {
		return ConsoleRequest{}, fmt.Errorf("request %s is not saved: %w", r.Name, err)
	}
	loc, err := f.SaveRequest(context.Background(), strings.TrimSpace(suiteName), r)
	if err != nil {
		return ConsoleRequest{}, fmt.Errorf("saving request %s: %w", r.Name, err)
	}
	r.Source = loc
	return consoleRequest(r), nil
}

// DeleteRequest removes the request called name from the API's suite.
func (s *ConsoleService) DeleteRequest(api, suiteName, name string) error {
	f, _, err := s.folder(api)
	if err != nil {
		return err
	}
	if err := f.DeleteRequest(context.Background(), suiteName, name); err != nil {
		return fmt.Errorf("removing request %s: %w", name, err)
	}
	return nil
}

// RunSuite runs the API's saved suite against the target, in order, and reports every
// request's assertions.
func (s *ConsoleService) RunSuite(api, suiteName string, target Target) (*suite.Result, error) {
	f, _, err := s.folder(api)
	if err != nil {
		return nil, err
	}
	st, err := f.Suite(context.Background(), suiteName)
	if err != nil {
		return nil, err
	}
	rn, _, done, err := s.runner(api, target)
	if err != nil {
		return nil, err
	}
	defer done()
	res, err := rn.Run(context.Background(), st)
	if err != nil {
		return nil, fmt.Errorf("running suite %s: %w", suiteName, err)
	}
	return res, nil
}

// RunContract runs the contract tests of the API's operations against the target (the
// gateway's mock by default) and reports every operation with its checks and violations.
func (s *ConsoleService) RunContract(api string, target Target, opts ContractOptions) (*contract.Report, error) {
	def, _, err := workspace.Definition(context.Background(), s.st, api)
	if err != nil {
		return nil, err
	}
	base, _, err := s.resolve(api, target)
	if err != nil {
		return nil, err
	}
	client, done := replay.Client(consoleTimeout)
	defer done()
	r := contract.NewRunner(def, contract.Options{
		Client: client, Timeout: consoleTimeout, Seed: opts.Seed, NoNegatives: opts.NoNegatives,
		Filter: contract.Filter{Operations: opts.Operations},
	})
	rep, err := r.Run(context.Background(), base)
	if err != nil {
		return nil, fmt.Errorf("contract tests of %s: %w", api, err)
	}
	return rep, nil
}
