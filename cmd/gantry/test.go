package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/atomicfile"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/suite"
	"github.com/gantry-dev/gantry/core/suite/junit"
	"github.com/gantry-dev/gantry/core/workspace"
	"github.com/gantry-dev/gantry/embedded-gateway/contract"
	"github.com/gantry-dev/gantry/embedded-gateway/validate"
)

// testFlags are the options of `gantry test`.
type testFlags struct {
	target            string
	basePath          string
	suites            []string
	requests          string
	junit             string
	env               string
	vars              []string
	headers           []string
	operations        []string
	tags              []string
	paths             []string
	seed              uint64
	concurrency       int
	timeout           time.Duration
	noContract        bool
	noNegatives       bool
	checkErrorBodies  bool
	failFast          bool
	asJSON            bool
	requestsRequested bool
}

func newTestCmd(g *globals) *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test SPEC|API --target URL",
		Short: "Test that a server keeps an API's contract, and run saved request suites against it",
		Long: "Contract tests: for every operation of the API (a spec file or the name of an API in the\n" +
			"workspace), send a valid request built from the spec and negative requests that each break\n" +
			"one requirement, and check the answers: the valid request must get a declared success\n" +
			"status with a declared media type and a schema-valid body; each negative one a declared\n" +
			"4xx (400 or 422 when none is declared; 401 or 403 without credentials).\n\n" +
			"Suites: with --suite NAME (a folder of saved requests in the `requests` folder beside the\n" +
			"spec, or in --requests DIR), run the suite's requests in order and check their assertions.\n\n" +
			"Prints a summary per operation and request, writes JUnit XML with --junit, and exits with a\n" +
			"non-zero status when anything failed. See docs/TESTING.md for the request file format.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.requestsRequested = cmd.Flags().Changed("requests")
			return runTest(cmd.Context(), g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "base URL of the server to test, such as http://127.0.0.1:4010 (required)")
	fl.StringVar(&f.basePath, "base-path", "", "path the API is served under at the target (default: the target's own path, else the spec's servers[0] path; / for the root)")
	fl.StringArrayVar(&f.suites, "suite", nil, "run the saved suite NAME (a folder of request files; a pattern such as '*' runs several; repeatable)")
	fl.StringVar(&f.requests, "requests", "", "folder holding the suites (default: the requests folder beside the spec); alone, runs every suite in it")
	fl.StringVar(&f.junit, "junit", "", "write the results as JUnit XML to this file")
	fl.StringVar(&f.env, "env", "", "use the variables of this workspace environment in the suites")
	fl.StringArrayVar(&f.vars, "var", nil, "set a suite variable, as NAME=VALUE (repeatable; wins over --env)")
	fl.StringArrayVar(&f.headers, "header", nil, "add a header to every request, as 'Name: value' (real credentials, say; repeatable)")
	fl.StringArrayVar(&f.operations, "operation", nil, "contract-test only this operation (operationId or 'METHOD /path'; repeatable)")
	fl.StringArrayVar(&f.tags, "tag", nil, "contract-test only operations with this tag (repeatable)")
	fl.StringArrayVar(&f.paths, "path", nil, "contract-test only operations on this path template or pattern, such as /pets/* (repeatable)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the generated request values (the same seed sends the same requests)")
	fl.IntVar(&f.concurrency, "concurrency", contract.DefaultConcurrency, "operations tested at once")
	fl.DurationVar(&f.timeout, "timeout", contract.DefaultTimeout, "time allowed for each request")
	fl.BoolVar(&f.noContract, "no-contract", false, "skip the contract tests (run only the suites)")
	fl.BoolVar(&f.noNegatives, "no-negatives", false, "send only the valid request of each operation")
	fl.BoolVar(&f.checkErrorBodies, "check-error-bodies", false, "also check the bodies of the answers to negative requests against the spec")
	fl.BoolVar(&f.failFast, "fail-fast", false, "stop a suite at its first failed request")
	fl.BoolVar(&f.asJSON, "json", false, "print the results as one JSON document")
	_ = cmd.MarkFlagRequired("target")
	return cmd
}

// testTarget is the API under test and where its saved requests are.
type testTarget struct {
	def      *apidef.Definition
	name     string // what the user called it, for messages
	requests string // the requests folder ("" when unknown)
}

// testOutput is what --json prints.
type testOutput struct {
	// OK reports whether everything passed.
	OK bool `json:"ok"`
	// Contract is the contract run; nil with --no-contract.
	Contract *contract.Report `json:"contract,omitempty"`
	// Suites are the suite runs in order.
	Suites []*suite.Result `json:"suites,omitempty"`
}

func runTest(ctx context.Context, g *globals, f testFlags, arg string) error {
	header, err := parseHeaderFlags(f.headers)
	if err != nil {
		return err
	}
	cliVars, err := parseVarFlags(f.vars)
	if err != nil {
		return err
	}
	var st store.Store
	openStore := func() (store.Store, error) {
		if st == nil {
			s, _, err := g.openStore()
			if err != nil {
				return nil, err
			}
			st = s
		}
		return st, nil
	}
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	tgt, err := resolveTestTarget(ctx, g, arg, openStore)
	if err != nil {
		return err
	}
	base, err := contract.BaseURL(f.target, f.basePath, tgt.def.BasePath)
	if err != nil {
		return fmt.Errorf("--target: %w", err)
	}

	// Everything the user wrote is checked before the first request goes out.
	vars := map[string]string{}
	if f.env != "" {
		s, err := openStore()
		if err != nil {
			return err
		}
		env, err := s.GetEnvironment(ctx, f.env)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("--env %s: no such environment in the workspace (%s)", f.env, environmentNames(ctx, s))
			}
			return fmt.Errorf("--env %s: %w", f.env, err)
		}
		for k, v := range env.Variables {
			vars[k] = v
		}
	}
	for k, v := range cliVars {
		vars[k] = v
	}
	suites, err := loadTestSuites(ctx, f, tgt, vars)
	if err != nil {
		return err
	}
	filter := contract.Filter{Operations: f.operations, Tags: f.tags, Paths: f.paths}
	if !f.noContract && !anyOperation(tgt.def, filter) {
		return fmt.Errorf("no operation of %s matches --operation/--tag/--path (it has %d operations)", tgt.name, len(tgt.def.Operations))
	}

	client := &http.Client{}
	out := testOutput{OK: true}
	if !f.noContract {
		runner := contract.NewRunner(tgt.def, contract.Options{
			Client:           client,
			Timeout:          f.timeout,
			Concurrency:      f.concurrency,
			Seed:             f.seed,
			Filter:           filter,
			Header:           header,
			BasePath:         f.basePath,
			NoNegatives:      f.noNegatives,
			CheckErrorBodies: f.checkErrorBodies,
		})
		rep, err := runner.Run(ctx, f.target)
		if err != nil {
			return err
		}
		out.Contract = rep
		out.OK = out.OK && rep.Summary.OK()
	}
	if len(suites) > 0 {
		validator := validate.New(tgt.def)
		for _, s := range suites {
			for _, r := range s.Requests {
				for k, vs := range header {
					if _, set := r.Headers[k]; !set && !hasHeaderFold(r.Headers, k) {
						if r.Headers == nil {
							r.Headers = map[string]string{}
						}
						r.Headers[k] = strings.Join(vs, ", ")
					}
				}
			}
			rn := &suite.Runner{Client: client, Timeout: f.timeout, BaseURL: base, Vars: vars,
				Definition: tgt.def, Validator: validator, FailFast: f.failFast}
			res, err := rn.Run(ctx, s)
			if err != nil {
				return err
			}
			out.Suites = append(out.Suites, res)
			out.OK = out.OK && res.Summary.OK()
		}
	}

	if f.junit != "" {
		ts := &junit.TestSuites{Name: "gantry test"}
		if out.Contract != nil {
			ts.Suites = append(ts.Suites, out.Contract.JUnit())
		}
		for _, r := range out.Suites {
			ts.Suites = append(ts.Suites, r.JUnit())
		}
		if err := atomicfile.Write(f.junit, 0o644, func(w io.Writer) error { return junit.Write(w, ts) }); err != nil {
			return fmt.Errorf("--junit %s: %w", f.junit, err)
		}
	}
	if f.asJSON {
		if err := writeJSON(g, out); err != nil {
			return err
		}
	} else {
		if out.Contract != nil {
			printContract(g.stdout, out.Contract)
		}
		for _, r := range out.Suites {
			printSuite(g.stdout, r)
		}
	}
	if f.junit != "" && !f.asJSON {
		fmt.Fprintf(g.stderr, "wrote %s\n", f.junit)
	}
	if !out.OK {
		return errors.New(failureSummary(out))
	}
	return nil
}

func hasHeaderFold(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// resolveTestTarget loads the API: a spec file, else an API in the workspace.
func resolveTestTarget(ctx context.Context, g *globals, arg string, openStore func() (store.Store, error)) (*testTarget, error) {
	fi, statErr := os.Stat(arg)
	if statErr == nil && !fi.IsDir() {
		s, warns, err := spec.Load(arg, spec.Options{})
		if err != nil {
			return nil, err
		}
		printWarnings(g, warns)
		return &testTarget{def: s.Definition, name: arg, requests: filepath.Join(filepath.Dir(arg), suite.DefaultDir)}, nil
	}
	st, err := openStore()
	if err != nil {
		return nil, err
	}
	name, err := workspace.Resolve(ctx, st, arg)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if statErr == nil {
				statErr = fmt.Errorf("%s is a folder", arg)
			}
			return nil, fmt.Errorf("%s is not a spec file (%v) and not an API in the workspace: %v", arg, statErr, err)
		}
		return nil, err
	}
	def, rev, err := workspace.Definition(ctx, st, name)
	if err != nil {
		return nil, err
	}
	t := &testTarget{def: def, name: name}
	// Where the desktop keeps the API's saved requests: beside its linked file, else with
	// the workspace; an API that has none there falls back to the folder beside the file
	// it was imported from.
	if api, err := st.GetAPI(ctx, name); err == nil {
		dbPath, _ := sqlite.ResolvePath(g.db)
		if f, err := workspace.RequestsFolder(api, dbPath); err == nil {
			if fi, err := os.Stat(f.Dir); err == nil && fi.IsDir() {
				t.requests = f.Dir
			}
		}
	}
	if t.requests == "" && rev.SourcePath != "" {
		t.requests = filepath.Join(filepath.Dir(rev.SourcePath), suite.DefaultDir)
	}
	return t, nil
}

// loadTestSuites loads the suites --suite names (every suite with --requests alone) and
// checks their variables.
func loadTestSuites(ctx context.Context, f testFlags, tgt *testTarget, vars map[string]string) ([]*suite.Suite, error) {
	patterns := f.suites
	if len(patterns) == 0 && f.requestsRequested {
		patterns = []string{"*"}
	}
	if len(patterns) == 0 {
		return nil, nil
	}
	dir := f.requests
	if dir == "" {
		dir = tgt.requests
	}
	if dir == "" {
		return nil, fmt.Errorf("--suite: %s is not linked to a folder of saved requests; give --requests DIR", tgt.name)
	}
	src := suite.Folder{Dir: dir}
	available, err := src.Suites(ctx)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--suite: no folder of saved requests at %s (create it, or give --requests DIR)", dir)
		}
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	for _, p := range patterns {
		matched := false
		for _, name := range available {
			if ok, _ := path.Match(p, name); ok || p == name {
				matched = true
				if !seen[name] {
					seen[name] = true
					names = append(names, name)
				}
			}
		}
		if !matched {
			return nil, fmt.Errorf("--suite %s: no such suite in %s (suites: %s)", p, dir, strings.Join(orNoneList(available), ", "))
		}
	}
	known := make([]string, 0, len(vars))
	for k := range vars {
		known = append(known, k)
	}
	sort.Strings(known)
	var out []*suite.Suite
	var problems suite.Problems
	for _, name := range names {
		s, err := src.Suite(ctx, name)
		if err != nil {
			var ps suite.Problems
			if errors.As(err, &ps) {
				problems = append(problems, ps...)
				continue
			}
			return nil, err
		}
		if err := suite.Check(s, known); err != nil {
			var ps suite.Problems
			if errors.As(err, &ps) {
				problems = append(problems, ps...)
				continue
			}
			return nil, err
		}
		out = append(out, s)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the saved requests have problems:\n%w", problems)
	}
	return out, nil
}

func orNoneList(list []string) []string {
	if len(list) == 0 {
		return []string{"none"}
	}
	return list
}

func anyOperation(def *apidef.Definition, f contract.Filter) bool {
	for _, op := range def.Operations {
		if f.Match(op) {
			return true
		}
	}
	return false
}

func environmentNames(ctx context.Context, st store.Store) string {
	envs, err := st.ListEnvironments(ctx)
	if err != nil || len(envs) == 0 {
		return "it has none"
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	return "it has: " + strings.Join(names, ", ")
}

// parseHeaderFlags reads --header 'Name: value' flags.
func parseHeaderFlags(flags []string) (http.Header, error) {
	h := http.Header{}
	for _, s := range flags {
		name, val, ok := strings.Cut(s, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(val, "\r\n") {
			return nil, fmt.Errorf("--header %q: write it as 'Name: value'", s)
		}
		h.Add(name, strings.TrimSpace(val))
	}
	return h, nil
}

// parseVarFlags reads --var NAME=VALUE flags.
func parseVarFlags(flags []string) (map[string]string, error) {
	vars := map[string]string{}
	for _, s := range flags {
		name, val, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("--var %q: write it as NAME=VALUE", s)
		}
		vars[strings.TrimSpace(name)] = val
	}
	return vars, nil
}

// printContract prints one line per operation, then the details of what failed, then a
// summary.
func printContract(w io.Writer, rep *contract.Report) {
	fmt.Fprintf(w, "Contract tests: %s %s against %s (seed %d)\n\n", sanitizeLine(rep.API), sanitizeLine(rep.Version), rep.Target, rep.Seed)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tOPERATION\tREQUEST\tCHECKS\tTIME\tFIRST PROBLEM")
	for _, o := range rep.Operations {
		passed := 0
		first := ""
		for _, c := range o.Checks {
			if c.Passed {
				passed++
			} else if first == "" {
				first = c.Summary()
			}
		}
		if first == "" && o.Error != "" {
			first = o.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%d/%d\t%s\t%s\n", outcomeLabel(o.Outcome), sanitizeLine(o.ID), o.Method, sanitizeLine(o.Path),
			passed, len(o.Checks), formatDuration(o.Duration), clip(sanitizeLine(first), 100))
	}
	_ = tw.Flush()
	var details []string
	for _, o := range rep.Operations {
		if o.Outcome == contract.OutcomePassed {
			continue
		}
		details = append(details, fmt.Sprintf("%s %s %s (%s):", outcomeLabel(o.Outcome), o.Method, sanitizeLine(o.Path), sanitizeLine(o.ID)))
		if o.Error != "" {
			details = append(details, "  "+sanitizeLine(o.Error))
		}
		for _, c := range o.Checks {
			if c.Passed {
				continue
			}
			got := "no answer"
			if c.Status != 0 {
				got = fmt.Sprintf("%d %s", c.Status, c.MediaType)
			}
			details = append(details, fmt.Sprintf("  %s: %s %s", sanitizeLine(c.What), c.Request.Method, sanitizeLine(c.Request.URL)),
				fmt.Sprintf("    expected %s; got %s", c.Expected, strings.TrimSpace(got)))
			if c.Error != "" {
				details = append(details, "    error: "+sanitizeLine(c.Error))
			}
			for _, v := range c.Violations {
				details = append(details, "    - "+sanitizeLine(contract.ViolationString(v)))
			}
			if c.Body != "" && c.Status != 0 {
				details = append(details, "    body: "+clip(sanitizeLine(c.Body), 300))
			}
		}
	}
	if len(details) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(details, "\n"))
	}
	s := rep.Summary
	fmt.Fprintf(w, "\n%d operation%s: %d passed, %d failed, %d error%s (%d requests, %d failed) in %s\n",
		s.Operations, plural(s.Operations), s.Passed, s.Failed, s.Errors, plural(s.Errors), s.Requests, s.FailedRequests, formatDuration(rep.Duration))
}

// printSuite prints one line per request and every failed check with its file and line.
func printSuite(w io.Writer, res *suite.Result) {
	fmt.Fprintf(w, "\nSuite %s against %s\n\n", sanitizeLine(res.Suite), res.BaseURL)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tREQUEST\tSENT\tSTATUS\tTIME")
	for _, r := range res.Requests {
		status := "-"
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\n", outcomeLabel(r.Outcome), sanitizeLine(r.Name), r.Method, clip(sanitizeLine(r.URL), 80), status, formatDuration(r.Duration))
	}
	_ = tw.Flush()
	var details []string
	for _, r := range res.Requests {
		if r.Outcome == suite.OutcomePassed || r.Outcome == suite.OutcomeSkipped {
			continue
		}
		details = append(details, fmt.Sprintf("%s %s (%s):", outcomeLabel(r.Outcome), sanitizeLine(r.Name), r.Source.File))
		if r.Error != "" {
			details = append(details, "  "+sanitizeLine(r.Error))
		}
		for _, a := range r.Assertions {
			if a.Passed {
				continue
			}
			where := r.Source.File
			if a.Line > 0 {
				where = fmt.Sprintf("%s:%d", where, a.Line)
			}
			if a.Field != "" {
				where += ": " + a.Field
			}
			details = append(details, fmt.Sprintf("  %s: %s: %s", where, sanitizeLine(a.Assertion), sanitizeLine(a.Message)))
		}
		if r.Body != "" && r.Status != 0 {
			details = append(details, "  body: "+clip(sanitizeLine(r.Body), 300))
		}
	}
	if len(details) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(details, "\n"))
	}
	s := res.Summary
	fmt.Fprintf(w, "\n%d request%s: %d passed, %d failed, %d error%s, %d skipped in %s\n",
		s.Requests, plural(s.Requests), s.Passed, s.Failed, s.Errors, plural(s.Errors), s.Skipped, formatDuration(res.Duration))
}

func outcomeLabel(outcome string) string {
	switch outcome {
	case contract.OutcomePassed:
		return "ok"
	case contract.OutcomeFailed:
		return "FAIL"
	case suite.OutcomeSkipped:
		return "skip"
	}
	return "ERROR"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// failureSummary is the error `gantry test` exits with when something failed.
func failureSummary(out testOutput) string {
	var parts []string
	if c := out.Contract; c != nil && !c.Summary.OK() {
		parts = append(parts, fmt.Sprintf("%d of %d operations broke their contract or could not be tested",
			c.Summary.Failed+c.Summary.Errors, c.Summary.Operations))
	}
	for _, r := range out.Suites {
		if !r.Summary.OK() {
			parts = append(parts, fmt.Sprintf("suite %s: %d of %d requests failed", r.Suite, r.Summary.Failed+r.Summary.Errors+r.Summary.Skipped, r.Summary.Requests))
		}
	}
	return "tests failed: " + strings.Join(parts, "; ")
}
