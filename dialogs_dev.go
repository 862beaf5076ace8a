//go:build dev

package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/gantry-dev/gantry/app"
)

// dialogDirEnv names a folder that answers the file dialogs of a dev build, so that
// browser end-to-end tests, which cannot reach a native dialog, can save and open files.
const dialogDirEnv = "GANTRY_DEV_DIALOG_DIR"

// dialogs returns the platform's file dialogs, or, when $GANTRY_DEV_DIALOG_DIR is set,
// dialogs that answer at once with files in that folder.
func dialogs(ctx context.Context) app.Dialogs {
	if dir := os.Getenv(dialogDirEnv); dir != "" {
		return folderDialogs{dir}
	}
	return wailsDialogs{ctx}
}

// folderDialogs answers every dialog with a file in dir: a save with the suggested name, an
// open with the file named "open" there (cancelled when it does not exist).
type folderDialogs struct{ dir string }

func (d folderDialogs) OpenFile(string, ...string) (string, error) {
	p, err := filepath.EvalSymlinks(filepath.Join(d.dir, "open"))
	if err != nil {
		return "", nil
	}
	return p, nil
}

func (d folderDialogs) SaveFile(_, defaultName string) (string, error) {
	return filepath.Join(d.dir, filepath.Base(defaultName)), nil
}
