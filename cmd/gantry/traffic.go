package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/atomicfile"
	"github.com/gantry-dev/gantry/core/har"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
)

// trafficFlags are the filters shared by the traffic commands.
type trafficFlags struct {
	limit    int
	api      string
	method   string
	status   string
	path     string
	consumer string
}

func (f *trafficFlags) register(cmd *cobra.Command, defaultLimit int) {
	cmd.Flags().IntVar(&f.limit, "limit", defaultLimit, "at most this many exchanges, newest first (0: all)")
	cmd.Flags().StringVar(&f.api, "api", "", "only exchanges served by this API")
	cmd.Flags().StringVar(&f.method, "method", "", "only this HTTP method")
	cmd.Flags().StringVar(&f.status, "status", "", "only this status (404) or class (4xx)")
	cmd.Flags().StringVar(&f.path, "path", "", "only URLs containing this text")
	cmd.Flags().StringVar(&f.consumer, "consumer", "", "only exchanges of this consumer")
}

func (f *trafficFlags) filter() (store.TrafficFilter, error) {
	tf := store.TrafficFilter{Limit: f.limit, API: f.api, Method: f.method, PathContains: f.path, Consumer: f.consumer}
	if f.limit < 0 {
		return tf, fmt.Errorf("--limit %d: must be 0 or more", f.limit)
	}
	if s := strings.ToLower(f.status); s != "" {
		if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
			tf.StatusMin = int(s[0]-'0') * 100
			tf.StatusMax = tf.StatusMin + 99
		} else if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 {
			tf.StatusMin, tf.StatusMax = n, n
		} else {
			return tf, fmt.Errorf("--status %q: give a status such as 404 or a class such as 4xx", f.status)
		}
	}
	return tf, nil
}

func newTrafficCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "traffic", Short: "Inspect the exchanges the gateway captured"}
	var lf trafficFlags
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List captured exchanges, newest first",
		Args:  cobra.NoArgs,
		RunE: g.withStore(func(cmd *cobra.Command, _ []string, st *sqlite.Store) error {
			tf, err := lf.filter()
			if err != nil {
				return err
			}
			xs, err := st.ListExchanges(cmd.Context(), tf)
			if err != nil {
				return err
			}
			if asJSON {
				if xs == nil {
					xs = []*model.Exchange{}
				}
				return writeJSON(g, xs)
			}
			if len(xs) == 0 {
				fmt.Fprintln(g.stderr, "no exchanges captured yet: serve an API with `gantry mock SPEC` and send it requests")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTIME\tMETHOD\tURL\tSTATUS\tDURATION\tAPI\tOPERATION\tNOTES")
			for _, x := range xs {
				notes := ""
				if n := len(x.Violations); n > 0 {
					notes = fmt.Sprintf("%d violation%s", n, plural(n))
				}
				if n := len(x.Warnings); n > 0 {
					if notes != "" {
						notes += ", "
					}
					notes += fmt.Sprintf("%d warning%s", n, plural(n))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", x.ID, x.StartedAt.Local().Format("15:04:05.000"),
					x.Method, x.URL, x.Status, x.Duration.Round(time.Microsecond), x.API, x.Operation, notes)
			}
			return tw.Flush()
		}),
	}
	lf.register(list, 50)
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")

	var ef trafficFlags
	var harPath string
	export := &cobra.Command{
		Use:   "export --har FILE",
		Short: "Export captured exchanges (filtered) as HAR 1.2",
		Args:  cobra.NoArgs,
		RunE: g.withStore(func(cmd *cobra.Command, _ []string, st *sqlite.Store) error {
			if harPath == "" {
				return fmt.Errorf("--har FILE is required")
			}
			tf, err := ef.filter()
			if err != nil {
				return err
			}
			xs, err := st.ListExchanges(cmd.Context(), tf)
			if err != nil {
				return err
			}
			// The store lists newest first; HAR entries are chronological.
			for i, j := 0, len(xs)-1; i < j; i, j = i+1, j-1 {
				xs[i], xs[j] = xs[j], xs[i]
			}
			doc := har.FromExchanges(xs, versionString())
			if harPath == "-" {
				return har.Write(g.stdout, doc)
			}
			if err := atomicfile.Write(harPath, 0o644, func(w io.Writer) error { return har.Write(w, doc) }); err != nil {
				return fmt.Errorf("writing %s: %w", harPath, err)
			}
			fmt.Fprintf(g.stderr, "wrote %d exchange%s to %s\n", len(xs), plural(len(xs)), harPath)
			return nil
		}),
	}
	ef.register(export, 0)
	export.Flags().StringVar(&harPath, "har", "", "HAR file to write (- for standard output)")

	var cf trafficFlags
	clear := &cobra.Command{
		Use:   "clear",
		Short: "Delete captured exchanges (all, or those matching the filters)",
		Args:  cobra.NoArgs,
		RunE: g.withStore(func(cmd *cobra.Command, _ []string, st *sqlite.Store) error {
			tf, err := cf.filter()
			if err != nil {
				return err
			}
			n, err := st.DeleteExchanges(cmd.Context(), tf)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "deleted %d exchange%s\n", n, plural(n))
			return nil
		}),
	}
	cf.register(clear, 0)
	cmd.AddCommand(list, export, clear,
		newTrafficTailCmd(g), newTrafficShowCmd(g), newTrafficCurlCmd(g), newTrafficReplayCmd(g))
	return cmd
}
