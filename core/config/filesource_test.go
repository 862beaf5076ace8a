package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
)

// fakeLoad reads a file whose first line is the title; a line "BROKEN" makes it fail.
func fakeLoad(path string) (*apidef.Definition, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	text := strings.TrimSpace(string(b))
	if strings.Contains(text, "BROKEN") {
		return nil, nil, errors.New(path + ":1:1: broken")
	}
	return &apidef.Definition{Title: text, BasePath: "/v1"}, []string{path}, nil
}

func TestFileSourceReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "api.yaml")
	write := func(s string) {
		// Save the way editors do: write a temp file, rename it over the original.
		tmp := filepath.Join(dir, ".api.yaml.swp")
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	errs := make(chan error, 4)
	src := &FileSource{
		Specs:    []FileSpec{{Path: path, Name: "api"}},
		Load:     fakeLoad,
		Debounce: 20 * time.Millisecond,
		OnError:  func(err error) { errs <- err },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan *Snapshot)
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()

	next := func() *Snapshot {
		t.Helper()
		select {
		case s := <-out:
			return s
		case err := <-done:
			t.Fatalf("source stopped: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("no snapshot within 5s")
		}
		return nil
	}
	steps := []struct {
		name      string
		content   string
		wantTitle string
		wantErr   bool
	}{
		{"initial", "", "one", false},
		{"edit", "two", "two", false},
		{"break keeps last good", "BROKEN", "", true},
		{"fix", "three", "three", false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.content != "" {
				write(st.content)
			}
			if st.wantErr {
				select {
				case err := <-errs:
					if !strings.Contains(err.Error(), "api.yaml:1:1") {
						t.Fatalf("error does not name file and line: %v", err)
					}
				case s := <-out:
					t.Fatalf("a broken edit produced snapshot %d", s.Revision)
				case <-time.After(5 * time.Second):
					t.Fatal("no error reported")
				}
				return
			}
			s := next()
			if got := s.APIs[0].Definition.Title; got != st.wantTitle {
				t.Fatalf("title %q, want %q", got, st.wantTitle)
			}
			if s.APIs[0].BasePath != "/v1" {
				t.Fatalf("base path %q", s.APIs[0].BasePath)
			}
		})
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

func TestFileSourceFirstLoadFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "api.yaml")
	if err := os.WriteFile(path, []byte("BROKEN"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := &FileSource{Specs: []FileSpec{{Path: path, Name: "api"}}, Load: fakeLoad}
	if err := src.Run(context.Background(), make(chan *Snapshot, 1)); err == nil {
		t.Fatal("want an error")
	}
}

func TestNormalizeBasePath(t *testing.T) {
	for _, tt := range []struct{ in, want string }{{"", ""}, {"/", ""}, {"v1", "/v1"}, {"/v1/", "/v1"}, {" /a/b ", "/a/b"}} {
		if got := NormalizeBasePath(tt.in); got != tt.want {
			t.Errorf("NormalizeBasePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
