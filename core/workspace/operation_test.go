package workspace

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
)

func petstoreText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/examples/petstore-expanded.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustCompile fails the test unless text is a usable spec; it returns the compiled spec.
func mustCompile(t *testing.T, name, text string) *spec.Spec {
	t.Helper()
	s, _, err := spec.LoadFiles(name, []model.SpecFile{{Path: name, Content: []byte(text)}}, spec.Options{})
	if err != nil {
		t.Fatalf("the written document does not compile: %v\n%s", err, text)
	}
	return s
}

func TestReadOperation(t *testing.T) {
	op, err := ReadOperation(petstoreText(t), "/pets", "GET")
	if err != nil {
		t.Fatal(err)
	}
	if op.OperationID != "findPets" || len(op.Parameters) != 2 || op.Parameters[0].Name != "tags" || op.Parameters[1].In != "query" {
		t.Fatalf("operation: %+v", op)
	}
	if len(op.Responses) != 2 || op.Responses[0].Status != "200" || op.Responses[0].MediaType != "application/json" {
		t.Fatalf("responses: %+v", op.Responses)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(op.Responses[0].Schema), &schema); err != nil || schema["type"] != "array" {
		t.Fatalf("response schema %q: %v", op.Responses[0].Schema, err)
	}
	if _, err := ReadOperation(petstoreText(t), "/nope", "get"); err == nil {
		t.Error("a missing operation was read")
	}
}

func TestWriteOperation(t *testing.T) {
	newOp := &Operation{
		Path: "/pets/{id}/toys", Method: "post", OperationID: "addToy", Summary: "Add a toy", Tags: []string{"toys"},
		Parameters: []Parameter{
			{Name: "id", In: "path", Schema: `{"type": "integer", "format": "int64"}`},
			{Name: "X-Trace", In: "header", Description: "trace id"},
		},
		RequestBody: &Body{Required: true, MediaType: "application/json", Schema: `{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}`, Example: `{"name": "ball"}`},
		Responses: []Response{
			{Status: "201", MediaType: "application/json", Schema: `{"$ref": "#/components/schemas/Pet"}`},
			{Status: "default", Description: "unexpected error", MediaType: "application/json", Schema: `{"$ref": "#/components/schemas/Error"}`},
		},
	}
	tests := []struct {
		name    string
		text    func(t *testing.T) string
		from    *OperationKey
		op      func(t *testing.T, text string) *Operation
		check   func(t *testing.T, out string)
		wantErr string // field of the expected *OperationError, or a message part
	}{
		{
			name: "add a new operation",
			text: petstoreText,
			op:   func(*testing.T, string) *Operation { return newOp },
			check: func(t *testing.T, out string) {
				s := mustCompile(t, "p.yaml", out)
				if len(s.Definition.Operations) != 5 {
					t.Errorf("%d operations, want 5", len(s.Definition.Operations))
				}
				back, err := ReadOperation(out, "/pets/{id}/toys", "post")
				if err != nil || back.RequestBody == nil || !back.RequestBody.Required || back.Parameters[0].Required != true {
					t.Fatalf("read back: %+v %v", back, err)
				}
				if !strings.Contains(out, "# ") && strings.Contains(petstoreText(t), "# ") {
					t.Error("comments were lost")
				}
			},
		},
		{
			name: "edit keeps what the form does not show and moves the operation",
			text: func(t *testing.T) string {
				return strings.Replace(petstoreText(t), "      operationId: deletePet\n", "      operationId: deletePet\n      x-owner: team-a\n", 1)
			},
			from: &OperationKey{Path: "/pets/{id}", Method: "delete"},
			op: func(t *testing.T, text string) *Operation {
				op, err := ReadOperation(text, "/pets/{id}", "delete")
				if err != nil {
					t.Fatal(err)
				}
				op.Path = "/animals/{id}"
				op.Summary = "Delete an animal"
				return op
			},
			check: func(t *testing.T, out string) {
				s := mustCompile(t, "p.yaml", out)
				found := false
				for _, o := range s.Definition.Operations {
					if o.Method == "DELETE" && o.Path == "/animals/{id}" {
						found = true
					}
				}
				if !found || !strings.Contains(out, "x-owner: team-a") || !strings.Contains(out, "Delete an animal") {
					t.Errorf("moved operation missing or lost fields:\n%s", out)
				}
				if _, err := ReadOperation(out, "/pets/{id}", "delete"); err == nil {
					t.Error("the old operation is still there")
				}
				if _, err := ReadOperation(out, "/pets/{id}", "get"); err != nil {
					t.Error("the path's other operation went with it")
				}
			},
		},
		{
			name: "a JSON document stays JSON",
			text: func(t *testing.T) string {
				return `{"openapi": "3.0.3", "info": {"title": "J", "version": "1"}, "paths": {}}`
			},
			op: func(*testing.T, string) *Operation {
				return &Operation{Path: "/ping", Method: "get", Responses: []Response{{Status: "204"}}}
			},
			check: func(t *testing.T, out string) {
				var v map[string]any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				mustCompile(t, "j.json", out)
				if !strings.Contains(out, `"description": "No Content"`) {
					t.Errorf("an empty description is not the status text:\n%s", out)
				}
			},
		},
		{name: "path parameter not in the path", text: petstoreText, op: func(*testing.T, string) *Operation {
			return &Operation{Path: "/x", Method: "get", Parameters: []Parameter{{Name: "id", In: "path"}}, Responses: []Response{{Status: "200"}}}
		}, wantErr: "parameters[0].name"},
		{name: "templated path without its parameter", text: petstoreText, op: func(*testing.T, string) *Operation {
			return &Operation{Path: "/x/{id}", Method: "get", Responses: []Response{{Status: "200"}}}
		}, wantErr: "parameters"},
		{name: "bad schema JSON", text: petstoreText, op: func(*testing.T, string) *Operation {
			return &Operation{Path: "/x", Method: "get", Parameters: []Parameter{{Name: "q", In: "query", Schema: "{type: string"}}, Responses: []Response{{Status: "200"}}}
		}, wantErr: "parameters[0].schema"},
		{name: "bad status", text: petstoreText, op: func(*testing.T, string) *Operation {
			return &Operation{Path: "/x", Method: "get", Responses: []Response{{Status: "600"}}}
		}, wantErr: "responses[0].status"},
		{name: "no responses", text: petstoreText, op: func(*testing.T, string) *Operation {
			return &Operation{Path: "/x", Method: "get"}
		}, wantErr: "responses"},
		{name: "adding an existing operation", text: petstoreText, op: func(*testing.T, string) *Operation {
			return &Operation{Path: "/pets", Method: "GET", Responses: []Response{{Status: "200"}}}
		}, wantErr: "method"},
		{name: "unknown method", text: petstoreText, op: func(*testing.T, string) *Operation {
			return &Operation{Path: "/x", Method: "fetch", Responses: []Response{{Status: "200"}}}
		}, wantErr: "method"},
		{name: "swagger 2.0 is refused", text: func(*testing.T) string {
			return "swagger: '2.0'\ninfo: {title: s, version: '1'}\npaths: {}\n"
		}, op: func(*testing.T, string) *Operation {
			return &Operation{Path: "/x", Method: "get", Responses: []Response{{Status: "200"}}}
		}, wantErr: "Swagger 2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.text(t)
			out, err := WriteOperation(text, tt.from, tt.op(t, text))
			if tt.wantErr != "" {
				var oe *OperationError
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				if errors.As(err, &oe) {
					if oe.Field != tt.wantErr {
						t.Fatalf("error field %q (%v), want %q", oe.Field, err, tt.wantErr)
					}
				} else if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, out)
		})
	}
}

func TestDeleteOperation(t *testing.T) {
	out, err := DeleteOperation(petstoreText(t), "/pets/{id}", "get")
	if err != nil {
		t.Fatal(err)
	}
	out, err = DeleteOperation(out, "/pets/{id}", "delete")
	if err != nil {
		t.Fatal(err)
	}
	s := mustCompile(t, "p.yaml", out)
	if len(s.Definition.Operations) != 2 || strings.Contains(out, "/pets/{id}:") {
		t.Errorf("after deleting both operations of /pets/{id}: %d operations\n%s", len(s.Definition.Operations), out)
	}
	if _, err := DeleteOperation(out, "/pets/{id}", "get"); err == nil {
		t.Error("deleting a missing operation succeeded")
	}
}
