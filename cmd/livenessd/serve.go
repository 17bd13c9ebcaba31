package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/livenessd/livenessd/auth"
	"github.com/livenessd/livenessd/config"
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/cli"
	"github.com/livenessd/livenessd/models"
	"github.com/livenessd/livenessd/server"
	"github.com/livenessd/livenessd/store"
	"github.com/livenessd/livenessd/store/postgres"
	"github.com/livenessd/livenessd/store/sqlite"
)

// serveFlags override the configuration file and the environment; only the
// flags actually given are applied, after both. Values are parsed as the
// flags are, so a bad one is a usage error that names the flag.
func serveFlags(fs *flag.FlagSet, overrides *[]func(*config.Config)) *string {
	def := config.Default()
	later := func(apply func(*config.Config)) { *overrides = append(*overrides, apply) }
	text := func(name, usage string, apply func(*config.Config, string)) {
		fs.Func(name, usage, func(v string) error {
			later(func(c *config.Config) { apply(c, v) })
			return nil
		})
	}
	integer := func(name, usage string, apply func(*config.Config, int)) {
		fs.Func(name, usage, func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return errors.New("want a whole number")
			}
			later(func(c *config.Config) { apply(c, n) })
			return nil
		})
	}
	boolean := func(name, usage string, apply func(*config.Config, bool)) {
		fs.BoolFunc(name, usage, func(v string) error {
			on, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("want true or false")
			}
			later(func(c *config.Config) { apply(c, on) })
			return nil
		})
	}
	path := fs.String("config", "", "YAML configuration file (unknown keys are an error)")
	text("addr", "listen address (env LIVENESS_ADDR, default "+def.Addr+")", func(c *config.Config, v string) { c.Addr = v })
	text("data-dir", "directory for the database and signing key (env LIVENESS_DATA_DIR, default "+def.DataDir+")",
		func(c *config.Config, v string) { c.DataDir = v })
	text("device", "execution device: auto, cpu or cuda (env LIVENESS_DEVICE)",
		func(c *config.Config, v string) { c.Inference.Device = inference.Device(v) })
	integer("workers", "model workers, one set of model sessions each (env LIVENESS_WORKERS, default one per core)",
		func(c *config.Config, n int) { c.Inference.Workers = n })
	boolean("dev", "demo mode: the page at / creates sessions without a token (never in production)",
		func(c *config.Config, on bool) { c.Demo = on })
	integer("webrtc-udp-port", "one UDP port for all WebRTC traffic; 0: ephemeral ports (env LIVENESS_WEBRTC_UDP_PORT)",
		func(c *config.Config, n int) { c.WebRTC.UDPPort = n })
	text("webrtc-public-ips", "IPs announced to browsers instead of the host's (1:1 NAT), comma-separated (env LIVENESS_WEBRTC_PUBLIC_IPS)",
		func(c *config.Config, v string) { c.WebRTC.PublicIPs = strings.Split(v, ",") })
	boolean("webrtc-allow-loopback", "gather loopback ICE candidates (a browser on this machine; tests)",
		func(c *config.Config, on bool) { c.WebRTC.AllowLoopback = on })
	text("store-driver", "sqlite (one machine) or postgres (several nodes on one database) (env LIVENESS_STORE_DRIVER)",
		func(c *config.Config, v string) { c.Store.Driver = v })
	text("store-dsn", "PostgreSQL connection string, postgres://user:pass@host:5432/db (env LIVENESS_STORE_DSN)",
		func(c *config.Config, v string) { c.Store.DSN = v })
	text("node-id", "this node's name among several on one store (env LIVENESS_NODE_ID, default the host name)",
		func(c *config.Config, v string) { c.Node.ID = v })
	text("log-level", "debug, info, warn or error (env LIVENESS_LOG_LEVEL)", func(c *config.Config, v string) { c.LogLevel = v })
	text("log-format", "json or text (env LIVENESS_LOG_FORMAT)", func(c *config.Config, v string) { c.LogFormat = v })
	text("ort-lib", "ONNX Runtime library to load instead of the fetched one (env LIVENESS_ORT_LIB)",
		func(c *config.Config, v string) { c.Models.ORTLib = v })
	text("model-cache", "model and runtime cache directory (env LIVENESS_MODEL_CACHE)", func(c *config.Config, v string) { c.Models.Cache = v })
	text("model-mirror", "offline mirror of model files (env LIVENESS_MODEL_MIRROR)", func(c *config.Config, v string) { c.Models.Mirror = v })
	return path
}

// loadServeConfig is defaults < file < environment < flags, validated.
func loadServeConfig(args []string, stderr io.Writer) (config.Config, int) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: livenessd serve [flags]\n\nAPI tokens come from the config file or LIVENESS_API_TOKENS=client:token,...")
		fs.PrintDefaults()
	}
	var overrides []func(*config.Config)
	path := serveFlags(fs, &overrides)
	if err := fs.Parse(args); err != nil {
		return config.Config{}, cli.ParseFailure(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return config.Config{}, 2
	}
	cfg, err := config.Load(*path, os.Getenv)
	for _, o := range overrides {
		o(&cfg)
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(stderr, "livenessd: configuration:", err)
		return cfg, 2
	}
	return cfg, 0
}

func runServe(args []string, stdout, stderr io.Writer) int {
	cfg, code := loadServeConfig(args, stderr)
	if code != 0 {
		return code
	}
	log := newLogger(cfg, stderr)
	raiseFileLimit(log, cfg.Limits.MaxConnections)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, log, stdout); err != nil {
		log.Error("livenessd stopped", "err", err)
		return 1
	}
	return 0
}

// serve opens everything the server needs, serves until ctx ends, and closes
// it all in reverse order.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	st, err := openStore(ctx, cfg.Store, cfg.StorePath())
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := signingKey(ctx, cfg, st)
	if err != nil {
		return err
	}
	tokens := make(map[string]string, len(cfg.Auth.APITokens))
	for _, t := range cfg.Auth.APITokens {
		tokens[t.Token] = t.Client
	}
	clients := make([]auth.Client, len(cfg.Auth.Clients))
	for i, c := range cfg.Auth.Clients {
		clients[i] = auth.Client{ID: c.ID, SecretHash: c.SecretHash}
	}
	au, err := auth.New(tokens, clients, key, cfg.Auth.TokenTTL)
	if err != nil {
		return err
	}
	fetcher := models.NewFetcher()
	fetcher.Log = log
	if cfg.Models.Cache != "" {
		fetcher.CacheDir = cfg.Models.Cache
	}
	if cfg.Models.Mirror != "" {
		fetcher.MirrorDir = cfg.Models.Mirror
	}
	if cfg.Models.ORTLib != "" {
		fetcher.RuntimePath = cfg.Models.ORTLib
	}
	eng, err := startEngine(ctx, cfg.Inference, fetcher, log)
	if err != nil {
		return err
	}
	defer eng.Close()
	srv, err := server.New(cfg, eng, st, au, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	// The one line a script (or a test) waits for to know the port.
	fmt.Fprintf(stdout, "livenessd listening on http://%s\n", ln.Addr())
	return srv.Serve(ctx, ln)
}

// openStore opens the configured store.
func openStore(ctx context.Context, c config.Store, sqlitePath string) (store.Store, error) {
	if c.Driver == "postgres" {
		return postgres.Open(ctx, c.DSN)
	}
	return sqlite.Open(sqlitePath, sqlite.WithMaxBytes(c.MaxBytes))
}

// signingKey is the OAuth signing key: the store's, shared by every node,
// on PostgreSQL, or the key file's.
func signingKey(ctx context.Context, cfg config.Config, st store.Store) ([]byte, error) {
	if !cfg.SigningKeyInStore() {
		return auth.LoadOrCreateKey(cfg.SigningKeyPath())
	}
	fresh := make([]byte, 32)
	rand.Read(fresh) // never fails (crypto/rand panics rather than return an error)
	return st.SigningKey(ctx, fresh)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // Validate accepted it
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// runHashSecret prints the bcrypt hash of a client secret read from stdin,
// for the auth.clients[].secret_hash setting.
func runHashSecret(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hash-secret", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: livenessd hash-secret < secret-file") }
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	secret, err := io.ReadAll(io.LimitReader(os.Stdin, 4096))
	if err != nil {
		fmt.Fprintln(stderr, "livenessd:", err)
		return 1
	}
	h, err := auth.HashSecret(string(trimNewline(secret)))
	if err != nil {
		fmt.Fprintln(stderr, "livenessd:", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// raiseFileLimit lifts the soft limit on open files to the hard one: the
// default soft limit (often 1024) is below limits.max_connections, and a
// server out of descriptors cannot even answer /healthz.
func raiseFileLimit(log *slog.Logger, want int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= lim.Max {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("could not raise the open-file limit", "err", err)
	}
	if lim.Cur < uint64(want)+64 {
		log.Warn("the open-file limit is below limits.max_connections", "limit", lim.Cur, "max_connections", want)
	}
}
