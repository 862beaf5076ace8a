package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedpg"
	"github.com/gantry-dev/gantry/core/store/hostedsqlite"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit/redislimit"
	"github.com/gantry-dev/gantry/sync/protocol"
	"github.com/gantry-dev/gantry/sync/server"
)

// bootstrapTokenEnv names the first admin's token on an empty server store.
const bootstrapTokenEnv = "GANTRY_BOOTSTRAP_TOKEN"

func newServerCmd(g *globals) *cobra.Command {
	var listen, db, postgres string
	var cluster protocol.Cluster
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the hosted management server (catalogs, publishing, audit) on SQLite or PostgreSQL",
		Long: "Run the management API under /api/v1 (its OpenAPI document is at /api/v1/openapi.yaml).\n" +
			"On an empty database the first admin's token is $" + bootstrapTokenEnv + " if set, else a\n" +
			"generated one, printed once on standard error. With --postgres, any number of server\n" +
			"processes can share one database. With --redis, the gateway nodes that follow the server\n" +
			"(`gantry gateway --control-plane`) and have no --redis of their own share rate limits and\n" +
			"quotas through that Redis.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if postgres != "" && cmd.Flags().Changed("db") {
				return errors.New("--db and --postgres exclude each other: choose SQLite or PostgreSQL")
			}
			if cluster.RedisFailClosed && cluster.Redis == "" {
				return errors.New("--redis-fail-closed needs --redis")
			}
			return runServer(cmd.Context(), g, listen, db, postgres, cluster)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9090", "address to serve the management API on")
	cmd.Flags().StringVar(&db, "db", "", "server database (SQLite; default: server.db in the user's data dir)")
	// No default from the environment: a bare `gantry server` is always the embedded SQLite.
	cmd.Flags().StringVar(&postgres, "postgres", "", "PostgreSQL connection URL instead of SQLite (postgres://user@host:5432/db)")
	cmd.Flags().StringVar(&cluster.Redis, "redis", "", "Redis that the catalogs' gateway nodes without a --redis of their own share rate limits and quotas through (redis://host:6379/0)")
	cmd.Flags().BoolVar(&cluster.RedisFailClosed, "redis-fail-closed", false, "make those nodes refuse rate-limited requests (503) while Redis is unreachable instead of limiting them per node")
	return cmd
}

// defaultServerDB returns server.db beside the default workspace database.
func defaultServerDB() (string, error) {
	p, err := sqlite.DefaultPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(p), "server.db"), nil
}

// serverStore is a management-plane store that can be closed.
type serverStore interface {
	store.HostedStore
	Close() error
}

func runServer(ctx context.Context, g *globals, listen, db, postgres string, cluster protocol.Cluster) error {
	log := g.logger()
	if err := checkClusterRedis(ctx, g, cluster); err != nil {
		return err
	}
	var st serverStore
	var err error
	where := db
	if postgres != "" {
		st, err = hostedpg.Open(ctx, postgres, hostedpg.Options{Logger: log})
		where = "PostgreSQL"
	} else {
		if db == "" {
			if db, err = defaultServerDB(); err != nil {
				return err
			}
			where = db
		}
		st, err = hostedsqlite.Open(db, hostedsqlite.Options{Logger: log})
	}
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := server.New(server.Options{Store: st, Logger: log, BootstrapToken: os.Getenv(bootstrapTokenEnv), Cluster: cluster})
	if err != nil {
		return err
	}
	tok, created, err := srv.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("creating the first admin: %w", err)
	}
	if created && os.Getenv(bootstrapTokenEnv) == "" {
		fmt.Fprintf(g.stderr, "first admin created; its token (shown only now):\n\n  %s\n\n", tok)
	} else if created {
		fmt.Fprintf(g.stderr, "first admin created with the token from $%s\n", bootstrapTokenEnv)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	// Feed streams never go idle: end them on shutdown, their nodes reconnect elsewhere or later.
	hs.RegisterOnShutdown(srv.CloseStreams)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(g.stderr, "management server on http://%s/api/v1 (database %s)\n", ln.Addr(), where)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkClusterRedis checks the server's --redis: the URL must parse (else the command
// fails naming the flag); a Redis that does not answer within 2 s is only warned about,
// since the nodes fall back to per-node limits until it does.
func checkClusterRedis(ctx context.Context, g *globals, cluster protocol.Cluster) error {
	if cluster.Redis == "" {
		return nil
	}
	opts, err := redislimit.ParseURL(cluster.Redis)
	if err != nil {
		return fmt.Errorf("--redis: %w", err)
	}
	if err := cluster.Validate(); err != nil {
		return fmt.Errorf("--redis: %w", err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		g.logger().Warn("Redis for the nodes' shared rate limits does not answer yet", "addr", opts.Addr, "error", err)
	}
	mode := "fail open: per-node limits while it is unreachable"
	if cluster.RedisFailClosed {
		mode = "fail closed: 503 while it is unreachable"
	}
	fmt.Fprintf(g.stderr, "gateway nodes without --redis share rate limits and quotas through Redis at %s (%s)\n", opts.Addr, mode)
	return nil
}
