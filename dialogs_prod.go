//go:build !dev

package main

import (
	"context"

	"github.com/gantry-dev/gantry/app"
)

// dialogs returns the platform's file dialogs.
func dialogs(ctx context.Context) app.Dialogs { return wailsDialogs{ctx} }
