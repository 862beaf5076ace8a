package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		perm    os.FileMode
		write   func(io.Writer) error
		want    string
		wantErr bool
	}{
		{"replaces the content and sets the mode", 0o600, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, "new", false},
		{"a failing writer leaves the file as it was", 0o644, func(w io.Writer) error {
			io.WriteString(w, "partial")
			return errors.New("disk full")
		}, "new", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(path, tt.perm, tt.write)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Write: %v", err)
			}
			b, _ := os.ReadFile(path)
			if string(b) != tt.want {
				t.Errorf("content %q, want %q", b, tt.want)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", fi.Mode().Perm())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("temporary files left: %v", entries)
			}
		})
	}
}

func TestWriteBytesNoFolder(t *testing.T) {
	if err := WriteBytes(filepath.Join(t.TempDir(), "missing", "f"), 0o644, []byte("x")); err == nil {
		t.Fatal("wrote into a folder that does not exist")
	}
}

func TestModeOf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spec.yaml")
	if m := ModeOf(path, 0o644); m != 0o644 {
		t.Errorf("missing file: %v", m)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if m := ModeOf(path, 0o644); m != 0o600 {
		t.Errorf("existing file: %v", m)
	}
}
