package node

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gantry-dev/gantry/sync/protocol"
)

// stateFormat tags the state file; a file of another format is not loaded.
const stateFormat = "gantry-node-state/1"

// stateFile is the name of the last good snapshot in the state folder.
const stateFile = "snapshot.json"

// State is what a node last applied: a catalog's snapshot at one sequence.
type State struct {
	// Catalog is the catalog's name.
	Catalog string
	// Sequence is the catalog sequence the snapshot is at.
	Sequence int64
	// Snapshot is the catalog's state.
	Snapshot *protocol.Snapshot
}

// envelope is the state file: the snapshot's JSON and its checksum.
type envelope struct {
	Format   string          `json:"format"`
	Catalog  string          `json:"catalog"`
	Sequence int64           `json:"sequence"`
	SHA256   string          `json:"sha256"` // hex SHA-256 of Snapshot's bytes as written
	Snapshot json.RawMessage `json:"snapshot"`
}

// SaveState writes st to dir/snapshot.json atomically: a temporary file in dir, synced,
// renamed over the old one, and the folder synced, so that a crash leaves the old file or
// the new one, never a torn one. The folder is created with mode 0700.
func SaveState(dir string, st *State) error {
	snap, err := json.Marshal(st.Snapshot)
	if err != nil {
		return fmt.Errorf("saving node state: %w", err)
	}
	sum := sha256.Sum256(snap)
	b, err := json.Marshal(envelope{Format: stateFormat, Catalog: st.Catalog, Sequence: st.Sequence, SHA256: hex.EncodeToString(sum[:]), Snapshot: snap})
	if err != nil {
		return fmt.Errorf("saving node state: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving node state: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+stateFile+".*")
	if err != nil {
		return fmt.Errorf("saving node state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("saving node state to %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("saving node state to %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving node state to %s: %w", tmp, err)
	}
	path := filepath.Join(dir, stateFile)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("saving node state to %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported everywhere; the rename is done either way
		d.Close()
	}
	return nil
}

// ErrNoState is returned by LoadState when the folder holds no state.
var ErrNoState = errors.New("no saved node state")

// LoadState reads and verifies the state saved in dir: its format, its checksum and every
// frame rule a snapshot keeps. A missing file is ErrNoState.
func LoadState(dir string) (*State, error) {
	path := filepath.Join(dir, stateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoState
	}
	if err != nil {
		return nil, fmt.Errorf("loading node state: %w", err)
	}
	st, err := decodeState(b)
	if err != nil {
		return nil, fmt.Errorf("loading node state %s: %w", path, err)
	}
	return st, nil
}

// decodeState verifies and decodes a state file's content.
func decodeState(b []byte) (*State, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if env.Format != stateFormat {
		return nil, fmt.Errorf("format %q, want %q", env.Format, stateFormat)
	}
	sum := sha256.Sum256(env.Snapshot)
	if hex.EncodeToString(sum[:]) != env.SHA256 {
		return nil, errors.New("checksum mismatch: the file is damaged")
	}
	if env.Catalog == "" || env.Sequence < 0 {
		return nil, fmt.Errorf("catalog %q at sequence %d", env.Catalog, env.Sequence)
	}
	var snap protocol.Snapshot
	if err := json.Unmarshal(env.Snapshot, &snap); err != nil {
		return nil, fmt.Errorf("decoding the snapshot: %w", err)
	}
	f := protocol.Frame{Type: protocol.FrameSnapshot, Sequence: env.Sequence, Snapshot: &snap}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &State{Catalog: env.Catalog, Sequence: env.Sequence, Snapshot: &snap}, nil
}
