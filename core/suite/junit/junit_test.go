package junit

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
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
		t.Errorf("%s differs from the output (run with -update to accept):\n%s", path, got)
	}
}

func TestWrite(t *testing.T) {
	ms := func(n int) Seconds { return Seconds(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name   string
		golden string
		in     TestSuites
	}{
		{"empty report", "empty.golden.xml", TestSuites{Name: "gantry test"}},
		{"every outcome", "outcomes.golden.xml", TestSuites{Name: "gantry test", Suites: []TestSuite{
			{Name: "contract: Pets", Timestamp: "2025-01-02T03:04:05Z",
				Properties: []Property{{Name: "target", Value: "http://127.0.0.1:4010/v1"}, {Name: "seed", Value: "0"}},
				Cases: []TestCase{
					{Name: "GET /pets (listPets)", Classname: "contract.Pets", Time: ms(12)},
					{Name: "POST /pets (createPet)", Classname: "contract.Pets", Time: ms(30),
						Failure: &Failure{Type: "contract", Message: "valid request: status 500, want a declared success status (201)",
							Text: "status 500: not declared\nbody: <p>\x01oops</p> ]]> end"}},
					{Name: "DELETE /pets/{id} (deletePet)", Classname: "contract.Pets", Time: ms(1),
						Error: &Failure{Type: "transport", Message: "connection refused"}},
					{Name: "GET /legacy", Classname: "contract.Pets", Skipped: &Skip{Message: "filtered out"}},
				}},
			{Name: "suite pets", Cases: []TestCase{
				{Name: "01-login", Classname: "suite.pets", File: "requests/pets/01-login.yaml", Line: 1, Time: ms(5), SystemOut: "POST http://x/login -> 200"},
			}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, &tt.in); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, b.Bytes())
			var back TestSuites
			if err := xml.Unmarshal(b.Bytes(), &back); err != nil {
				t.Fatalf("output does not parse: %v", err)
			}
		})
	}
}

func TestFinishCounts(t *testing.T) {
	ts := TestSuites{Suites: []TestSuite{
		{Cases: []TestCase{{Failure: &Failure{}}, {Error: &Failure{}}, {Skipped: &Skip{}}, {}}},
		{Time: Seconds(time.Second), Cases: []TestCase{{Time: Seconds(time.Millisecond)}}},
	}}
	ts.Finish()
	tests := []struct {
		name      string
		got, want int
	}{
		{"tests", ts.Tests, 5},
		{"failures", ts.Failures, 1},
		{"errors", ts.Errors, 1},
		{"skipped", ts.Skipped, 1},
		{"suite 0 tests", ts.Suites[0].Tests, 4},
		{"total time keeps a set suite time (ms)", int(time.Duration(ts.Time).Milliseconds()), 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %d, want %d", tt.got, tt.want)
			}
		})
	}
}
