package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/declarative"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/admin"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/builtin"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit/redislimit"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// gatewayFlags are the options of `gantry gateway`.
type gatewayFlags struct {
	config string
	env    string
	listen string
	admin  string
	// redis is the URL of the Redis that rate limits and quotas are shared through; ""
	// counts them in this process (quotas saved to the workspace).
	redis string
	// redisFailClosed refuses requests (503) while Redis is unreachable instead of
	// falling back to per-node limits.
	redisFailClosed bool
	recordFlags
	nodeFlags
}

func newGatewayCmd(g *globals) *cobra.Command {
	var f gatewayFlags
	cmd := &cobra.Command{
		Use:   "gateway --config gantry.yaml",
		Short: "Run the gateway: proxy and mock APIs with policies, admin endpoints on a second listener",
		Long: "Serve the APIs a gantry.yaml declares: each proxied to its upstream or mocked from its spec,\n" +
			"behind its policies (authentication, rate limits, CORS, transforms, caching...). The admin\n" +
			"listener serves /healthz, /readyz, /metrics and /traffic/stream. The configuration and the\n" +
			"specs are watched; an edit (or SIGHUP) reloads them without dropping requests, and a broken\n" +
			"edit keeps the last good configuration. Without --config, the workspace's configuration\n" +
			"(`gantry config import`) is served.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runGateway(cmd.Context(), g, f) },
	}
	cmd.Flags().StringVar(&f.config, "config", "", "gateway configuration file (gantry.yaml)")
	cmd.Flags().StringVar(&f.env, "env", "", "environment whose variables fill the configuration's {{name}} placeholders")
	cmd.Flags().StringVar(&f.listen, "listen", "", "address to serve APIs on (default: the configuration's listen, else 127.0.0.1:8080)")
	cmd.Flags().StringVar(&f.admin, "admin", "", "address of the admin listener (default: the configuration's admin; \"off\" for none)")
	cmd.Flags().StringVar(&f.redis, "redis", "", "share rate limits and quotas with the other gateway nodes through this Redis (redis://host:6379/0)")
	cmd.Flags().BoolVar(&f.redisFailClosed, "redis-fail-closed", false, "while Redis is unreachable, refuse rate-limited requests (503) instead of limiting them per node")
	f.recordFlags.register(cmd)
	f.nodeFlags.register(cmd)
	return cmd
}

func runGateway(ctx context.Context, g *globals, f gatewayFlags) error {
	if f.controlPlane != "" {
		return runNodeGateway(ctx, g, f)
	}
	log := g.logger()
	start := time.Now()
	st, dbPath, err := g.openStore()
	if err != nil {
		return err
	}
	defer st.Close()

	// The first load decides the listeners; later loads only change what is served.
	doc, err := loadGatewayDoc(ctx, st, f.config)
	if err != nil {
		return err
	}
	listen := firstNonEmpty(f.listen, doc.Config.Listen, "127.0.0.1:8080")
	adminAddr := firstNonEmpty(f.admin, doc.Config.Admin)
	if adminAddr == "off" {
		adminAddr = ""
	}
	srvTLS, err := listenerTLS(doc)
	if err != nil {
		return err
	}
	limits := doc.Config.Limits
	if limits == nil {
		limits = &model.ListenerLimits{}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	defer ln.Close()
	var adminLn net.Listener
	if adminAddr != "" {
		if adminLn, err = net.Listen("tcp", adminAddr); err != nil {
			return fmt.Errorf("admin listener on %s: %w", adminAddr, err)
		}
		defer adminLn.Close()
	}

	var rec *capture.Recorder
	if !f.noRecord {
		rec = capture.New(st, capture.Options{Logger: log})
		defer flushRecorder(g, rec)
	}
	counters, registry, closeCounters, err := rateLimitStores(ctx, g, st, f)
	if err != nil {
		return err
	}
	defer closeCounters()
	var applied atomic.Bool
	adm := admin.New(admin.Options{Recorder: rec, Store: st, Logger: log, Version: versionString(), Registry: registry,
		Ready: func() error {
			if !applied.Load() {
				return errors.New("no configuration applied yet")
			}
			return nil
		}})
	metrics := adm.Metrics()
	policies := builtin.RegistryWith(counters)
	shared := &policy.Shared{}
	gw := gateway.New(gateway.Options{
		Logger:       log,
		Recorder:     rec,
		Policies:     policies,
		Shared:       shared,
		MaxBodyBytes: limits.MaxBodyBytes,
		Capture:      capture.CaptureOptions{BodyLimit: f.bodyLimit},
		Observe: func(api, mode string, status int, d time.Duration) {
			metrics.ObserveRequest(api, mode, status, d)
			if status == http.StatusTooManyRequests {
				metrics.ObserveRateLimitRejection(api, "rateLimit")
			}
		},
		UpstreamError: metrics.ObserveUpstreamError,
	})

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	src := &config.FileSource{
		Build: gatewaySnapshot(ctx, g, st, f.config, f.env, func(s *config.Snapshot) []gateway.Issue {
			if s.Revision <= 1 {
				return gateway.Check(s, policies) // at start, every problem located
			}
			// On reloads only the cheap, located part: Apply checks the rest, and a full
			// Check would compile every API a second time.
			return gateway.CheckPolicies(s, policies, shared)
		}),
		Reload: reload,
		Logger: log,
		OnError: func(err error) {
			metrics.ObserveConfigReloadError()
			fmt.Fprintf(g.stderr, "reload failed, still serving the last good configuration:\n%v\n", err)
		},
	}
	return serve(ctx, g, serveOptions{
		gateway:           gw,
		source:            src,
		listener:          ln,
		recorder:          rec,
		admin:             adm,
		adminListener:     adminLn,
		tls:               srvTLS,
		readHeaderTimeout: parseDurationOr(limits.ReadHeaderTimeout),
		idleTimeout:       parseDurationOr(limits.IdleTimeout),
		maxHeaderBytes:    limits.MaxHeaderBytes,
		onApply: func(s *config.Snapshot, err error) {
			if err != nil {
				metrics.ObserveConfigReloadError()
				return
			}
			applied.Store(true)
			metrics.SetConfigRevision(s.Revision)
		},
		ready: func(first *config.Snapshot, base string) {
			for _, a := range first.APIs {
				mode := a.Mode
				if mode == "" {
					mode = model.ModeMock
				}
				fmt.Fprintf(g.stdout, "Serving %s (%s, %d ops, %s) at %s%s/\n", a.Name, a.Definition.Title,
					len(a.Definition.Operations), mode, base, a.BasePath)
			}
			if adminLn != nil {
				fmt.Fprintf(g.stdout, "Admin (health, metrics, live traffic) at http://%s/\n", adminLn.Addr())
			}
			if rec != nil {
				fmt.Fprintf(g.stdout, "Recording exchanges in %s\n", dbPath)
			}
			fmt.Fprintf(g.stdout, "Ready in %s. Press Ctrl-C to stop; SIGHUP reloads.\n", time.Since(start).Round(time.Millisecond))
		},
	})
}

// rateLimitStores returns where the rateLimit and quota policies count, the metrics
// registry for the admin listener (nil for its default), and a function that releases
// them. With --redis the counters are shared through Redis (and /metrics reports the
// fallbacks); without it rate limits are counted in memory and quotas in memory, saved
// to the workspace every second so that they survive restarts.
func rateLimitStores(ctx context.Context, g *globals, st *sqlite.Store, f gatewayFlags) (ratelimit.Stores, admin.Registry, func(), error) {
	log := g.logger()
	if f.redis == "" {
		quotas, err := ratelimit.NewPersistentQuota(ctx, st, 0, log)
		if err != nil {
			return ratelimit.Stores{}, nil, nil, err
		}
		return ratelimit.Stores{Quotas: quotas}, nil, func() {
			closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := quotas.Close(closeCtx); err != nil {
				log.Error("saving quota counters", "err", err)
			}
		}, nil
	}
	opts, err := redislimit.ParseURL(f.redis)
	if err != nil {
		return ratelimit.Stores{}, nil, nil, fmt.Errorf("--redis: %w", err)
	}
	rdb := redis.NewClient(opts)
	mode := "fail open: per-node limits while it is unreachable"
	if f.redisFailClosed {
		mode = "fail closed: 503 while it is unreachable"
	}
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		// Serve anyway: the nodes must work while Redis is down, and the policies fall
		// back until it answers.
		log.Warn("Redis for shared rate limits does not answer yet", "addr", opts.Addr, "error", err)
	}
	metrics := redislimit.NewMetrics()
	reg := redisRegistry(metrics)
	backend := redislimit.New(rdb, redislimit.Options{FailClosed: f.redisFailClosed, Metrics: metrics, Logger: log})
	fmt.Fprintf(g.stdout, "Sharing rate limits and quotas through Redis at %s (%s)\n", opts.Addr, mode)
	return backend.Stores(), reg, func() { _ = rdb.Close() }, nil
}

// redisRegistry returns the admin listener's metrics registry with the Redis backend's
// metrics beside the Go and process collectors.
func redisRegistry(metrics *redislimit.Metrics) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), metrics)
	return reg
}

// nodeRateLimitStores returns where a control-plane node's rateLimit and quota policies
// count, the metrics registry for its admin listener, the node.Options.OnCluster callback
// that follows the control plane's cluster settings, and a function that releases them.
// A node's own --redis wins: it counts there and ignores the control plane's Redis.
// Without --redis the node counts in memory until a snapshot names a Redis, then in that
// Redis, and in memory again when a later snapshot names none; /metrics reports the Redis
// backend's metrics either way.
func nodeRateLimitStores(ctx context.Context, g *globals, f gatewayFlags) (ratelimit.Stores, admin.Registry, func(protocol.Cluster), func(), error) {
	log := g.logger()
	if f.redis != "" {
		counters, reg, closeCounters, err := rateLimitStores(ctx, g, nil, f)
		if err != nil {
			return ratelimit.Stores{}, nil, nil, nil, err
		}
		var once sync.Once
		onCluster := func(c protocol.Cluster) {
			if c.Redis != "" {
				once.Do(func() {
					log.Info("the control plane names a Redis for shared rate limits; this node's --redis wins")
				})
			}
		}
		return counters, reg, onCluster, closeCounters, nil
	}
	metrics := redislimit.NewMetrics()
	cr := &clusterRedis{log: log, sw: ratelimit.NewSwitch(ratelimit.Stores{}), metrics: metrics, grace: clusterRedisGrace}
	return cr.sw.Stores(), redisRegistry(metrics), cr.apply, cr.close, nil
}

// clusterRedisGrace is how long a Redis client the node switched away from stays open, so
// that the requests it was deciding finish (its round trips are bounded far below that).
const clusterRedisGrace = 2 * time.Second

// clusterRedis moves a node's rate-limit and quota counters to the Redis the control plane
// names, and back to per-node memory when it names none.
type clusterRedis struct {
	log     *slog.Logger
	sw      *ratelimit.Switch
	metrics *redislimit.Metrics
	grace   time.Duration

	mu     sync.Mutex
	cur    protocol.Cluster
	rdb    *redis.Client // nil while counting in memory
	closed bool
}

// apply switches the counters to what c names; it is node.Options.OnCluster.
func (cr *clusterRedis) apply(c protocol.Cluster) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.closed || c == cr.cur {
		return
	}
	prev := cr.cur
	cr.cur = c
	var next ratelimit.Stores // zero: the switch's per-node memory
	var rdb *redis.Client
	if c.Redis != "" {
		opts, err := redislimit.ParseURL(c.Redis)
		if err != nil {
			cr.log.Error("ignoring the control plane's Redis; counting rate limits and quotas per node", "err", err)
		} else {
			rdb = redis.NewClient(opts)
			local := cr.sw.Local() // during an outage, count where this node counted alone
			next = redislimit.New(rdb, redislimit.Options{FailClosed: c.RedisFailClosed, Metrics: cr.metrics, Logger: cr.log,
				Local: local.Limiter, LocalQuotas: local.Quotas}).Stores()
			mode := "fail open: per-node limits while it is unreachable"
			if c.RedisFailClosed {
				mode = "fail closed: 503 while it is unreachable"
			}
			cr.log.Info("sharing rate limits and quotas through the Redis the control plane names", "addr", opts.Addr, "mode", mode)
		}
	}
	if rdb == nil && prev.Redis != "" {
		cr.log.Info("counting rate limits and quotas per node: the control plane no longer names a Redis")
		cr.metrics.NoRedis()
	}
	cr.sw.Set(next)
	if old := cr.rdb; old != nil {
		time.AfterFunc(cr.grace, func() { _ = old.Close() })
	}
	cr.rdb = rdb
}

// close stops following the control plane and closes the current Redis client.
func (cr *clusterRedis) close() {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	cr.closed = true
	cr.sw.Set(ratelimit.Stores{})
	if cr.rdb != nil {
		_ = cr.rdb.Close()
		cr.rdb = nil
	}
}

// listenerTLS builds the listener's TLS configuration (nil for plain HTTP); files are
// relative to the configuration file. Changing it takes a restart.
func listenerTLS(doc *declarative.Document) (*tls.Config, error) {
	t := doc.Config.TLS
	if t == nil {
		return nil, nil
	}
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(doc.Dir, p)
	}
	cert, err := tls.LoadX509KeyPair(rel(t.Cert), rel(t.Key))
	if err != nil {
		return nil, doc.Problem("tls.cert", "loading the certificate and key: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCA != "" {
		pemBytes, err := os.ReadFile(rel(t.ClientCA))
		if err != nil {
			return nil, doc.Problem("tls.clientCA", "%v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, doc.Problem("tls.clientCA", "no PEM certificate in %s", t.ClientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if t.ClientAuth == "require" {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return cfg, nil
}

// parseDurationOr parses a duration the configuration already checked; "" is 0.
func parseDurationOr(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// recordFlags are the capture options of the commands that serve traffic.
type recordFlags struct {
	noRecord  bool
	bodyLimit int64
}

func (f *recordFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.noRecord, "no-record", false, "do not record exchanges in the workspace")
	cmd.Flags().Int64Var(&f.bodyLimit, "capture-body-limit", capture.DefaultBodyLimit, "bytes of each body to record (0: the default, negative: none)")
}

// flushRecorder closes rec with its own time budget and says what was recorded.
func flushRecorder(g *globals, rec *capture.Recorder) {
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rec.Close(closeCtx); err != nil {
		g.logger().Error("flushing recorder", "err", err)
	}
	s := rec.Stats()
	fmt.Fprintf(g.stderr, "stopped: recorded %d exchange%s (%d written, %d dropped, %d failed)\n",
		s.Recorded, plural(int(s.Recorded)), s.Written, s.Dropped, s.Failed)
}

// loadGatewayDoc loads the configuration file, or the workspace's configuration when
// path is "".
func loadGatewayDoc(ctx context.Context, st *sqlite.Store, path string) (*declarative.Document, error) {
	if path != "" {
		return declarative.Load(path)
	}
	c, rev, err := st.LatestGatewayConfig(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errors.New("no gateway configuration: give one with --config gantry.yaml, or store one with `gantry config import FILE`")
	}
	if err != nil {
		return nil, err
	}
	out, err := declarative.Marshal(c)
	if err != nil {
		return nil, err
	}
	return declarative.Parse(fmt.Sprintf("workspace gateway configuration (revision %d)", rev), out)
}

// gatewaySnapshot returns the FileSource build function for a configuration: load the
// file (or the workspace's configuration), its specs and workspace APIs.
func gatewaySnapshot(ctx context.Context, g *globals, st *sqlite.Store, path, env string, check func(*config.Snapshot) []gateway.Issue) func(rev uint64) (*config.Snapshot, []string, error) {
	return func(rev uint64) (*config.Snapshot, []string, error) {
		var watch []string
		if path != "" {
			abs, err := filepath.Abs(path)
			if err == nil {
				watch = append(watch, abs)
			}
		}
		doc, err := loadGatewayDoc(ctx, st, path)
		if err != nil {
			return nil, watch, err
		}
		snap, files, err := doc.Snapshot(rev, declarative.Loaders{
			Environment: env,
			Spec:        loadSpecFile(g),
			Workspace:   workspaceDefinition(ctx, st),
		})
		watch = append(watch, files...)
		if err != nil {
			return nil, watch, err
		}
		if issues := check(snap); len(issues) > 0 {
			return nil, watch, issueProblems(doc, issues)
		}
		return snap, watch, nil
	}
}

// workspaceDefinition resolves `api:` entries from the workspace.
func workspaceDefinition(ctx context.Context, st *sqlite.Store) func(name string) (*apidef.Definition, string, error) {
	return func(name string) (*apidef.Definition, string, error) {
		def, rev, err := workspace.Definition(ctx, st, name)
		if err != nil {
			return nil, "", err
		}
		return def, rev.Hash, nil
	}
}

// issueProblems locates the gateway's issues in the configuration file.
func issueProblems(doc *declarative.Document, issues []gateway.Issue) declarative.Problems {
	ps := make(declarative.Problems, 0, len(issues))
	for _, is := range issues {
		field := ""
		if is.API >= 0 {
			field = fmt.Sprintf("apis[%d]", is.API)
			if is.Field != "" {
				field += "." + is.Field
			}
		} else if is.Field != "" {
			field = is.Field
		}
		ps = append(ps, doc.Problem(field, "%s", is.Message))
	}
	return ps
}
