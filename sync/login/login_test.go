package login

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStore(t *testing.T) {
	const server, token = "https://api.example.test", "gnt_secret"
	tests := []struct {
		name      string
		keyring   *MemoryKeyring
		wantWhere string
	}{
		{"keyring takes the token", &MemoryKeyring{}, InKeyring},
		{"unavailable keyring falls back to the file", &MemoryKeyring{Err: errors.New("no Secret Service")}, InFile},
		{"no keyring", nil, InFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Store{Path: filepath.Join(t.TempDir(), "gantry", "login.json")}
			if tt.keyring != nil {
				s.Keyring = tt.keyring
			}
			if l, err := s.Load(); err != nil || l != (Login{}) {
				t.Fatalf("Load before Save: %+v %v", l, err)
			}
			where, path, err := s.Save(server, token)
			if err != nil || where != tt.wantWhere || path != s.Path {
				t.Fatalf("Save: %q %q %v", where, path, err)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("login file mode: %v %v", fi, err)
			}
			b, _ := os.ReadFile(path)
			if inFile := strings.Contains(string(b), token); inFile != (tt.wantWhere == InFile) {
				t.Errorf("token in the file = %v, kept %s:\n%s", inFile, tt.wantWhere, b)
			}
			l, err := s.Load()
			if err != nil || l.Server != server || l.Token != token {
				t.Fatalf("Load: %+v %v", l, err)
			}
			if w, err := s.Where(); err != nil || w != tt.wantWhere {
				t.Errorf("Where: %q %v", w, err)
			}
			if err := s.Clear(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the login file outlived Clear: %v", err)
			}
			if tt.keyring != nil && tt.keyring.Err == nil && tt.keyring.Len() != 0 {
				t.Errorf("the keyring outlived Clear: %d secrets", tt.keyring.Len())
			}
			if w, err := s.Where(); err != nil || w != "" {
				t.Errorf("Where after Clear: %q %v", w, err)
			}
		})
	}
}

// A token the keyring lost reads as no token, not as an error.
func TestStoreKeyringLostToken(t *testing.T) {
	k := &MemoryKeyring{}
	s := &Store{Path: filepath.Join(t.TempDir(), "login.json"), Keyring: k}
	if _, _, err := s.Save("http://127.0.0.1:8080", "tok"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(KeyringService, "http://127.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	l, err := s.Load()
	if err != nil || l.Server != "http://127.0.0.1:8080" || l.Token != "" {
		t.Fatalf("Load: %+v %v", l, err)
	}
	if w, _ := s.Where(); w != "" {
		t.Errorf("Where = %q", w)
	}
}

// A damaged login file is an error naming the file.
func TestStoreDamagedFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "login.json")
	if err := os.WriteFile(p, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := (&Store{Path: p}).Load()
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("Load of a damaged file: %v", err)
	}
}

// GANTRY_KEYRING=off turns the system keyring off without touching it.
func TestSystemKeyringOff(t *testing.T) {
	t.Setenv("GANTRY_KEYRING", "off")
	if err := System().Set(KeyringService, "http://x", "y"); err == nil || !strings.Contains(err.Error(), "GANTRY_KEYRING") {
		t.Fatalf("Set with the keyring off: %v", err)
	}
}
