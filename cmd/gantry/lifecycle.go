package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// newLifecycleCmds returns deprecate, retire and reinstate: the commands that move an API
// of a catalog through its lifecycle.
func newLifecycleCmds(g *globals) []*cobra.Command {
	return []*cobra.Command{
		newLifecycleCmd(g, store.LifecycleDeprecated, "deprecate API --catalog CATALOG [--sunset DATE]",
			"Deprecate an API in a catalog: its gateways add Deprecation (and Sunset) headers to every answer"),
		newLifecycleCmd(g, store.LifecycleRetired, "retire API --catalog CATALOG",
			"Retire an API in a catalog: its gateways answer every request with 410 Gone"),
		newLifecycleCmd(g, store.LifecyclePublished, "reinstate API --catalog CATALOG",
			"Make a deprecated or retired API of a catalog plainly published again"),
	}
}

func newLifecycleCmd(g *globals, state, use, short string) *cobra.Command {
	var rf remoteFlags
	var catalog, sunset, reason string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := protocol.LifecycleRequest{State: state, Reason: reason}
			if sunset != "" {
				t, err := parseSunset(sunset)
				if err != nil {
					return err
				}
				req.Sunset = &t
			}
			c, _, err := rf.client(g)
			if err != nil {
				return err
			}
			a, err := c.SetLifecycle(cmd.Context(), catalog, args[0], req)
			if err != nil {
				return remoteError(g, fmt.Sprintf("setting %s in %s to %s", args[0], catalog, state), err)
			}
			fmt.Fprintf(g.stdout, "%s in %s is %s (revision %d)", a.Name, a.Catalog, a.State, a.Revision)
			if !a.Sunset.IsZero() {
				fmt.Fprintf(g.stdout, "; sunset %s", a.Sunset.UTC().Format(time.RFC3339))
			}
			fmt.Fprintln(g.stdout)
			return nil
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVar(&catalog, "catalog", "", "catalog the API is in (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why; kept in the audit log")
	if state == store.LifecycleDeprecated {
		cmd.Flags().StringVar(&sunset, "sunset", "", "when the API will be retired: a date (2027-06-30, midnight UTC) or an RFC 3339 time")
	}
	_ = cmd.MarkFlagRequired("catalog")
	return cmd
}

// parseSunset reads --sunset: an RFC 3339 time or a date, taken as midnight UTC.
func parseSunset(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--sunset %q: want a date (2027-06-30) or an RFC 3339 time (2027-06-30T12:00:00Z)", v)
}
