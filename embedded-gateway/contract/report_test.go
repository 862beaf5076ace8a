package contract

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/suite/junit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, got)
	}
}

// sampleReport has one operation of each outcome.
func sampleReport() *Report {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	get := RequestInfo{Method: "GET", URL: "http://127.0.0.1:4010/v1/pets?limit=1"}
	ops := []OperationResult{
		{ID: "listPets", Method: "GET", Path: "/pets", Outcome: OutcomePassed, Duration: ms(3), Checks: []Check{
			{Kind: CheckValid, What: "valid request", Request: get, Expected: "a declared success status: 200", ExpectedStatuses: []string{"200"},
				Status: 200, MediaType: "application/json", Passed: true, Duration: ms(2)},
			{Kind: CheckNegative, NegativeKind: KindInvalid, In: "query", What: `invalid query parameter limit ("not-a-valid-value")`,
				Request:  RequestInfo{Method: "GET", URL: "http://127.0.0.1:4010/v1/pets?limit=not-a-valid-value"},
				Expected: "a 4xx status (declared: default)", ExpectedStatuses: []string{"4XX"}, Status: 400, MediaType: "application/problem+json", Passed: true, Duration: ms(1)},
		}},
		{ID: "createPets", Method: "POST", Path: "/pets", Outcome: OutcomeFailed, Duration: ms(5), Checks: []Check{
			{Kind: CheckValid, What: "valid request", Request: RequestInfo{Method: "POST", URL: "http://127.0.0.1:4010/v1/pets", Body: `{"id":1,"name":"rex"}`},
				Expected: "a declared success status: 201", ExpectedStatuses: []string{"201"}, Status: 201, MediaType: "text/html", Duration: ms(2),
				Violations: []model.Violation{{In: "body", Message: "the 201 response declares no content, but 9 bytes of text/html were sent"}}},
			{Kind: CheckNegative, NegativeKind: KindMissing, In: "body", What: "missing request body",
				Request: RequestInfo{Method: "POST", URL: "http://127.0.0.1:4010/v1/pets"}, Expected: "a 4xx status (declared: default)",
				ExpectedStatuses: []string{"4XX"}, Status: 201, Duration: ms(3),
				Violations: []model.Violation{{In: "status", Name: "201", Message: "status 201: the invalid request was accepted; want a 4xx status (declared: default)"}}},
		}},
		{ID: "showPetById", Method: "GET", Path: "/pets/{petId}", Outcome: OutcomeError, Duration: ms(1), Checks: []Check{
			{Kind: CheckValid, What: "valid request", Request: RequestInfo{Method: "GET", URL: "http://127.0.0.1:4010/v1/pets/x"},
				Expected: "a declared success status: 200", Error: "no answer within 30s"},
		}},
	}
	return &Report{API: "Swagger Petstore", Version: "1.0.0", Target: "http://127.0.0.1:4010/v1", Seed: 0,
		StartedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Duration: ms(12), Operations: ops, Summary: summarize(ops)}
}

func TestReportJUnit(t *testing.T) {
	rep := sampleReport()
	ts := &junit.TestSuites{Name: "gantry test", Suites: []junit.TestSuite{rep.JUnit()}}
	var b bytes.Buffer
	if err := junit.Write(&b, ts); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.xml", b.Bytes())
	if ts.Tests != 3 || ts.Failures != 1 || ts.Errors != 1 {
		t.Fatalf("counts: %d tests, %d failures, %d errors", ts.Tests, ts.Failures, ts.Errors)
	}
}

func TestReportJSON(t *testing.T) {
	rep := sampleReport()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(&back)
	if !bytes.Equal(b, again) {
		t.Fatalf("JSON round trip changed the report:\n%s\n%s", b, again)
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"operations", back.Summary.Operations, 3},
		{"passed", back.Summary.Passed, 1},
		{"failed", back.Summary.Failed, 1},
		{"errors", back.Summary.Errors, 1},
		{"requests", back.Summary.Requests, 5},
		{"failed requests", back.Summary.FailedRequests, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %d, want %d", tt.got, tt.want)
			}
		})
	}
}

func TestCheckSummary(t *testing.T) {
	rep := sampleReport()
	tests := []struct {
		name string
		c    Check
		want string
	}{
		{"passed", rep.Operations[0].Checks[0], ""},
		{"violation", rep.Operations[1].Checks[0], "valid request: body (root): the 201 response declares no content, but 9 bytes of text/html were sent"},
		{"status", rep.Operations[1].Checks[1], "missing request body: status 201: the invalid request was accepted; want a 4xx status (declared: default)"},
		{"error", rep.Operations[2].Checks[0], "valid request: no answer within 30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Summary(); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
