// Package login keeps the management server a user logged in to and its token, shared by
// the CLI (`gantry login`) and the desktop app. The server URL is kept in a file in the
// user's config folder (gantry/login.json, mode 0600); the token goes to the OS keyring
// where one is available and into that file otherwise.
package login

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantry-dev/gantry/core/atomicfile"
)

// Where a token is kept.
const (
	// InKeyring means the OS keyring holds the token.
	InKeyring = "keyring"
	// InFile means the login file holds the token.
	InFile = "file"
)

// Login is a saved server and token.
type Login struct {
	// Server is the management server's URL.
	Server string `json:"server"`
	// Token is the bearer token; "" when it is kept in the keyring.
	Token string `json:"token,omitempty"`
	// Keyring is true when the OS keyring holds the token.
	Keyring bool `json:"keyring,omitempty"`
}

// Keyring keeps secrets in the OS's credential store. Any error (including an
// unavailable store) makes Store fall back to the file.
type Keyring interface {
	// Get returns the secret kept for user of service.
	Get(service, user string) (string, error)
	// Set keeps secret for user of service.
	Set(service, user, secret string) error
	// Delete forgets the secret kept for user of service.
	Delete(service, user string) error
}

// KeyringService is the service name tokens are kept under in the keyring; the user is
// the server URL.
const KeyringService = "gantry"

// Store reads and writes the saved login.
type Store struct {
	// Path is the login file; "" means DefaultPath().
	Path string
	// Keyring keeps tokens; nil keeps them in the file.
	Keyring Keyring
}

// Default returns the store the CLI and the desktop share: the default path and the OS
// keyring (which falls back to the file when unavailable).
func Default() *Store {
	return &Store{Keyring: System()}
}

// DefaultPath returns the user's config folder's gantry/login.json.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("locating the login file: %w", err)
	}
	return filepath.Join(dir, "gantry", "login.json"), nil
}

// File returns the login file's path.
func (s *Store) File() (string, error) {
	if s.Path != "" {
		return s.Path, nil
	}
	return DefaultPath()
}

// Load returns the saved login with its token (read from the keyring when it is kept
// there; a token the keyring lost is ""). No saved login gives the zero value.
func (s *Store) Load() (Login, error) {
	var l Login
	p, err := s.File()
	if err != nil {
		return l, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("reading %s: %w", p, err)
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("reading %s: %w", p, err)
	}
	if l.Keyring && l.Token == "" && s.Keyring != nil && l.Server != "" {
		if tok, err := s.Keyring.Get(KeyringService, l.Server); err == nil {
			l.Token = tok
		}
	}
	return l, nil
}

// Save keeps server and token: the token in the keyring when it takes it, else in the
// file. It returns where the token went (InKeyring or InFile) and the file's path.
func (s *Store) Save(server, token string) (where, path string, err error) {
	path, err = s.File()
	if err != nil {
		return "", "", err
	}
	l := Login{Server: server, Token: token}
	where = InFile
	if s.Keyring != nil && s.Keyring.Set(KeyringService, server, token) == nil {
		l = Login{Server: server, Keyring: true}
		where = InKeyring
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return "", "", err
	}
	if err := WritePrivateFile(path, append(b, '\n')); err != nil {
		if where == InKeyring {
			_ = s.Keyring.Delete(KeyringService, server)
		}
		return "", "", fmt.Errorf("saving the login: %w", err)
	}
	return where, path, nil
}

// Where returns where the saved login's token is kept: InKeyring, InFile or "" (none).
func (s *Store) Where() (string, error) {
	l, err := s.Load()
	switch {
	case err != nil:
		return "", err
	case l.Token == "":
		return "", nil
	case l.Keyring:
		return InKeyring, nil
	}
	return InFile, nil
}

// Clear forgets the saved login: the file and the keyring's token.
func (s *Store) Clear() error {
	p, err := s.File()
	if err != nil {
		return err
	}
	l, _ := s.Load()
	if l.Server != "" && s.Keyring != nil {
		_ = s.Keyring.Delete(KeyringService, l.Server)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the login: %w", err)
	}
	return nil
}

// WritePrivateFile replaces path with data, readable by the user only (0600), creating the
// folder with mode 0700.
func WritePrivateFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o600, data)
}

// keyringOff reports whether GANTRY_KEYRING turns the keyring off ("off", "0", "false").
func keyringOff() bool {
	switch strings.ToLower(os.Getenv("GANTRY_KEYRING")) {
	case "off", "0", "false", "no":
		return true
	}
	return false
}
