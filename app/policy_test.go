package app

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
)

func TestPolicyCatalog(t *testing.T) {
	a, _ := newApp(t, nil)
	specs, err := a.Policies.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
		if s.Title == "" || s.Fields == nil {
			t.Errorf("%s is not described", s.Name)
		}
	}
	for _, want := range []string{"keyAuth", "rateLimit", "cors", "ipRestriction", "requestSize", "cache"} {
		if !slices.Contains(names, want) {
			t.Errorf("the catalog lacks %s: %v", want, names)
		}
	}
}

func TestPolicySet(t *testing.T) {
	a, ev := newApp(t, nil)
	p := a.Policies
	if _, err := a.Workspace.Create("pets", "petstore"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddAPIKey("mobile", "k-123"); err != nil {
		t.Fatal(err)
	}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name      string
		operation string
		policies  []model.PolicyConfig
		saved     bool
		issue     PolicyIssue // the first issue when not saved
		wantErr   bool
	}{
		{name: "a bad setting", policies: []model.PolicyConfig{{Name: "rateLimit", Settings: raw(`{"requests":10,"window":"soon"}`)}},
			issue: PolicyIssue{Policy: "rateLimit", Field: "window"}},
		{name: "an unknown setting", policies: []model.PolicyConfig{{Name: "keyAuth", Settings: raw(`{"nmae":"x"}`)}},
			issue: PolicyIssue{Policy: "keyAuth", Field: "nmae"}},
		{name: "an unknown policy", policies: []model.PolicyConfig{{Name: "magic"}}, issue: PolicyIssue{Policy: "magic"}},
		{name: "twice the same policy", policies: []model.PolicyConfig{{Name: "cors"}, {Name: "cors"}}, issue: PolicyIssue{Policy: "cors"}},
		{name: "a required setting left out", operation: "addPet", policies: []model.PolicyConfig{{Name: "cors"}}, issue: PolicyIssue{Operation: "addPet", Policy: "cors", Field: "allowOrigins"}},
		{name: "API level", policies: []model.PolicyConfig{{Name: "keyAuth", Settings: raw(`{"name":"X-Key"}`)}, {Name: "requestSize", Settings: raw(`{"maxBytes":1000}`)}}, saved: true},
		{name: "operation level", operation: "addPet", policies: []model.PolicyConfig{{Name: "requestSize", Settings: raw(`{"maxBytes":100}`)}}, saved: true},
		{name: "operation by method and path", operation: "GET /pets", policies: []model.PolicyConfig{{Name: "rateLimit", Settings: raw(`{"requests":5,"window":"1m"}`)}}, saved: true},
		{name: "an unknown operation", operation: "nope", policies: []model.PolicyConfig{{Name: "cors"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := p.Set("pets", tt.operation, tt.policies)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if res.Saved != tt.saved {
				t.Fatalf("saved = %v, issues %+v", res.Saved, res.Issues)
			}
			if !tt.saved {
				if len(res.Issues) == 0 || res.Issues[0].Operation != tt.issue.Operation || res.Issues[0].Policy != tt.issue.Policy ||
					res.Issues[0].Field != tt.issue.Field || res.Issues[0].Message == "" {
					t.Fatalf("issues %+v, want %+v", res.Issues, tt.issue)
				}
			}
		})
	}
	got, err := p.Get("pets")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Policies) != 2 || got.Policies[0].Name != "keyAuth" || !got.Validate || got.Revision == 0 {
		t.Fatalf("API policies %+v", got)
	}
	perOp := map[string][]model.PolicyConfig{}
	for _, o := range got.Operations {
		perOp[o.ID] = o.Policies
	}
	if len(got.Operations) != 4 || len(perOp["addPet"]) != 1 || len(perOp["findPets"]) != 1 || len(perOp["deletePet"]) != 0 {
		t.Fatalf("operation policies %+v", got.Operations)
	}
	if ev.count("policies:changed") != 4 {
		t.Errorf("policies:changed sent %d times", ev.count("policies:changed"))
	}

	// Clearing an operation's policies drops its entry; validation can be turned off.
	if res, err := p.Set("pets", "addPet", nil); err != nil || !res.Saved {
		t.Fatalf("clear: %+v %v", res, err)
	}
	res, err := p.SetValidation("pets", false)
	if err != nil || !res.Saved || res.Policies.Validate {
		t.Fatalf("validation off: %+v %v", res, err)
	}
	cfg, _, err := a.Console.st.LatestGatewayConfig(t.Context())
	if err != nil || len(cfg.APIs) != 1 || len(cfg.APIs[0].Operations) != 1 || cfg.APIs[0].API != "pets" {
		t.Fatalf("stored %+v %v", cfg, err)
	}
	if _, err := p.Get("missing"); err == nil {
		t.Error("Get of a missing API worked")
	}
	if res, err := p.Set("pets", "", []model.PolicyConfig{{Name: "cors", Settings: raw(`{}`)}}); err != nil || res.Saved {
		t.Fatalf("cors without origins: %+v %v", res, err)
	}
	got, _ = p.Get("pets")
	if len(got.Policies) != 2 || got.Policies[0].Name != "keyAuth" {
		t.Errorf("a refused change was stored: %+v", got.Policies)
	}
}

func TestPolicyConsumers(t *testing.T) {
	a, _ := newApp(t, nil)
	p := a.Policies
	if _, err := a.Workspace.Create("orders", "blank"); err != nil {
		t.Fatal(err)
	}
	st, err := a.Gateway.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := p.AddAPIKey("web", "")
	if err != nil || k.Consumer != "web" || len(k.Key) < 20 {
		t.Fatalf("generated key %+v %v", k, err)
	}
	if _, err := p.AddAPIKey("web", k.Key); err == nil {
		t.Error("the same key was added twice")
	}
	if _, err := p.AddAPIKey("web", "second-key"); err != nil {
		t.Fatal(err)
	}
	list, err := p.Consumers()
	if err != nil || len(list) != 1 || list[0].APIKeys != 2 {
		t.Fatalf("consumers %+v %v", list, err)
	}
	if res, err := p.Set("orders", "", []model.PolicyConfig{{Name: "keyAuth", Settings: json.RawMessage(`{"name":"X-Key"}`)}}); err != nil || !res.Saved {
		t.Fatalf("keyAuth: %+v %v", res, err)
	}
	call := func(key string) int {
		req, _ := http.NewRequest("GET", st.APIs[0].BaseURL+"/health", nil)
		if key != "" {
			req.Header.Set("X-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, func() bool { return call("") == 401 })
	if code := call(k.Key); code != 200 {
		t.Fatalf("with the key: %d", code)
	}
	if err := p.DeleteConsumer("web"); err == nil || !strings.Contains(err.Error(), "keyAuth") {
		t.Fatalf("removing the only consumer under keyAuth: %v", err)
	}
	if _, err := p.Set("orders", "", nil); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteConsumer("web"); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteConsumer("web"); err == nil {
		t.Error("removed a missing consumer")
	}
}

func TestPoliciesApplyToRunningGateway(t *testing.T) {
	a, _ := newApp(t, nil)
	if _, err := a.Workspace.Create("orders", "blank"); err != nil {
		t.Fatal(err)
	}
	st, err := a.Gateway.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Policies.AddAPIKey("app", "k-1"); err != nil {
		t.Fatal(err)
	}
	url := st.APIs[0].BaseURL + "/health"
	status := func() int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := status(); code != 200 {
		t.Fatalf("before: %d", code)
	}
	steps := []struct {
		name      string
		operation string
		policies  []model.PolicyConfig
		want      int
	}{
		{name: "key auth on the API", policies: []model.PolicyConfig{{Name: "keyAuth"}}, want: 401},
		{name: "removed again", want: 200},
		{name: "an IP deny list on the operation", operation: "getHealth", policies: []model.PolicyConfig{{Name: "ipRestriction", Settings: json.RawMessage(`{"deny":["127.0.0.0/8","::1/128"]}`)}}, want: 403},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			res, err := a.Policies.Set("orders", s.operation, s.policies)
			if err != nil || !res.Saved {
				t.Fatalf("set: %+v %v", res, err)
			}
			waitFor(t, func() bool { return status() == s.want })
		})
	}
	// The console's send through the gateway shows the refusal.
	res, err := a.Console.Send("orders", ConsoleRequest{URL: "/health"}, Target{})
	if err != nil || res.Status != 403 || res.Passed {
		t.Fatalf("console: %+v %v", res, err)
	}
}
