package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// DBEnv is the environment variable that names the workspace database when no flag does.
const DBEnv = "GANTRY_DB"

// DefaultPath returns the per-user workspace database path:
// $XDG_DATA_HOME/gantry/workspace.db (else ~/.local/share/gantry/workspace.db) on Linux and
// other Unix systems, ~/Library/Application Support/Gantry/workspace.db on macOS and
// %AppData%\Gantry\workspace.db on Windows.
func DefaultPath() (string, error) {
	return defaultPath(runtime.GOOS, os.Getenv, os.UserHomeDir)
}

// ResolvePath picks the workspace database path: flag if not empty, else $GANTRY_DB if set,
// else DefaultPath().
func ResolvePath(flag string) (string, error) {
	return resolvePath(flag, runtime.GOOS, os.Getenv, os.UserHomeDir)
}

func resolvePath(flag, goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if p := getenv(DBEnv); p != "" {
		return p, nil
	}
	return defaultPath(goos, getenv, home)
}

func defaultPath(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	const file = "workspace.db"
	switch goos {
	case "windows":
		dir := getenv("AppData")
		if dir == "" {
			return "", errors.New("locating the workspace database: %AppData% is not set")
		}
		return filepath.Join(dir, "Gantry", file), nil
	case "darwin", "ios":
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("locating the workspace database: %w", err)
		}
		return filepath.Join(h, "Library", "Application Support", "Gantry", file), nil
	default:
		// The XDG spec says relative values are invalid and must be ignored.
		if dir := getenv("XDG_DATA_HOME"); dir != "" && filepath.IsAbs(dir) {
			return filepath.Join(dir, "gantry", file), nil
		}
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("locating the workspace database: %w", err)
		}
		return filepath.Join(h, ".local", "share", "gantry", file), nil
	}
}
