//go:build !production

package main

import (
	"io/fs"
	"os"
)

// assets is the built UI on disk outside production builds; a dev build serves the folder
// given by -assetdir instead.
var assets fs.FS = os.DirFS("frontend/dist")
