//go:build !production

package main

import "io/fs"

// assets is empty outside production builds: a dev build serves the UI from -assetdir.
var assets fs.FS
