//go:build production

package main

import (
	"embed"
	"io/fs"
)

//go:embed all:frontend/dist
var dist embed.FS

// assets is the built web UI.
var assets, _ = fs.Sub(dist, "frontend/dist")
