// Package config owns the server's configuration: its defaults, the optional
// YAML file (unknown keys are an error), the LIVENESS_* environment overrides
// and validation. Precedence, lowest first: defaults, file, environment, flags.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/lockout"
	"github.com/livenessd/livenessd/rtc"
)

// Config is everything `livenessd serve` can be told.
type Config struct {
	Addr            string        `yaml:"addr"`
	DataDir         string        `yaml:"data_dir"`
	LogLevel        string        `yaml:"log_level"`  // debug, info, warn, error
	LogFormat       string        `yaml:"log_format"` // json or text
	RequestTimeout  time.Duration `yaml:"request_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`

	Limits   Limits     `yaml:"limits"`
	Sessions Sessions   `yaml:"sessions"`
	WebRTC   rtc.Config `yaml:"webrtc"`
	// Demo serves POST /demo/sessions, which creates sessions for the demo
	// page as client "demo" without a token. Never in production.
	Demo      bool             `yaml:"demo"`
	Auth      Auth             `yaml:"auth"`
	Store     Store            `yaml:"store"`
	Node      Node             `yaml:"node"`
	Models    Models           `yaml:"models"`
	Inference inference.Config `yaml:"inference"`
	// Lockout refuses checks for a user_id after repeated failures.
	Lockout lockout.Config `yaml:"lockout"`
}

// Limits bound what one request may ask for.
type Limits struct {
	MaxImages     int   `yaml:"max_images"`      // per batch request
	MaxImageBytes int   `yaml:"max_image_bytes"` // per image, after base64 decoding
	MaxBodyBytes  int64 `yaml:"max_body_bytes"`  // whole request body
	MaxPixels     int   `yaml:"max_pixels"`      // width*height, read from the image header
	// MaxRequestPixels bounds the pixels of one request's images together,
	// and MaxPixelsInFlight those being decoded and analysed at once across
	// every request (a request waits for room, then gets a 503). A decoded
	// pixel costs 4 bytes, and up to twice that while it is decoded: the
	// defaults keep batch images under about 1 GB of memory.
	MaxRequestPixels  int `yaml:"max_request_pixels"`
	MaxPixelsInFlight int `yaml:"max_pixels_in_flight"`
	// MaxConnections bounds open client connections; one more is answered
	// 503 at once and closed (idle keep-alive connections close after 30 s).
	MaxConnections int `yaml:"max_connections"`
	// ClientRate is the authenticated API requests per second one client
	// may make on average, ClientBurst how many at once; beyond them a 429
	// with Retry-After, so that one client cannot take every worker.
	ClientRate  float64 `yaml:"client_rate"`
	ClientBurst int     `yaml:"client_burst"`
}

// Sessions configures interactive liveness sessions.
type Sessions struct {
	TTL     time.Duration `yaml:"ttl"`      // from creation to expiry
	MaxLive int           `yaml:"max_live"` // sessions not yet finished
	// MaxLivePerClient bounds one client's share of max_live, so that one
	// client cannot lock the others out (429 with Retry-After).
	MaxLivePerClient int `yaml:"max_live_per_client"`
	MaxFrameBytes    int `yaml:"max_frame_bytes"` // one WebSocket message (one JPEG frame)
	// MaxFramePixels bounds a camera frame's width*height, read from its
	// header: a camera needs at most about 1920x1080 (2.1 MP); a 40 MP JPEG
	// of a few hundred kB sent as frames would cost 160 MB per session.
	MaxFramePixels int `yaml:"max_frame_pixels"`
	// PublicURL is the server's address as devices reach it (for example
	// https://liveness.example.com behind a proxy); ws_url is built from it.
	// Empty: from the creating request's Host. With several nodes, each
	// node's own URL: a session's stream must reach the node that owns it.
	PublicURL string `yaml:"public_url"`
	// Lease is how long a node's claim on its unfinished sessions lasts
	// unless renewed (every lease/3). Once it has passed, any node on the
	// store ends the session as "node lost": a dead node's sessions end
	// within about 4/3 of a lease.
	Lease time.Duration `yaml:"lease"`
}

// Node names this server among several on one store.
type Node struct {
	// ID is the node's name in the store and in errors. Default: the
	// host name. Two live nodes must never share one.
	ID string `yaml:"id"`
}

// Auth lists who may call the API.
type Auth struct {
	// APITokens are static tokens, each mapped to the client it stands for.
	APITokens []APIToken `yaml:"api_tokens"`
	// Clients may exchange their id and secret for an expiring token at
	// POST /oauth/token (OAuth 2.0 client credentials).
	Clients []Client `yaml:"clients"`
	// TokenTTL is the lifetime of issued tokens.
	TokenTTL time.Duration `yaml:"token_ttl"`
	// SigningKeyFile holds the HMAC key that signs issued tokens; it is
	// created (0600) when missing. Default: <data_dir>/oauth-signing.key
	// on SQLite; on PostgreSQL the key lives in the database, so that a
	// token one node issued is valid on every node.
	SigningKeyFile string `yaml:"signing_key_file"`
}

// APIToken maps a static token to a client id.
type APIToken struct {
	Client string `yaml:"client"`
	Token  string `yaml:"token"`
}

// Client is an OAuth client; only a bcrypt hash of its secret is configured
// (make one with `livenessd hash-secret`).
type Client struct {
	ID         string `yaml:"id"`
	SecretHash string `yaml:"secret_hash"`
}

// Store chooses where galleries and sessions live.
type Store struct {
	// Driver is sqlite (one file, one machine; the default) or postgres
	// (one database that several nodes share).
	Driver string `yaml:"driver"`
	// DSN is the PostgreSQL connection string (postgres://user:pass@host/db).
	DSN string `yaml:"dsn"`
	// Path of the SQLite database. Default: <data_dir>/livenessd.db.
	Path string `yaml:"path"`
	// KeepPhotos stores enrolment photos beside the embeddings. Off by
	// default: an embedding is all verification needs, and less is kept.
	KeepPhotos bool `yaml:"keep_photos"`
	// MaxBytes caps the SQLite file (0: the disk's size). Past it writes
	// answer 507 as on a full disk, and reads and deletes go on.
	MaxBytes int64 `yaml:"max_bytes"`
}

// Models says where the models and ONNX Runtime come from.
type Models struct {
	Cache  string `yaml:"cache"`   // default models/cache
	Mirror string `yaml:"mirror"`  // offline mirror, default ../shared/models
	ORTLib string `yaml:"ort_lib"` // an ONNX Runtime library to use instead of the fetched one
}

// Default is the configuration with nothing set.
func Default() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "data",
		LogLevel:        "info",
		LogFormat:       "json",
		RequestTimeout:  30 * time.Second,
		ShutdownTimeout: 15 * time.Second,
		Limits: Limits{
			MaxImages:     16,
			MaxImageBytes: 10 << 20,
			MaxBodyBytes:  64 << 20,
			MaxPixels:     inference.DefaultDecodeLimits.MaxPixels,
			// Two 40 MP photos per request, three in flight: 480 MB decoded.
			MaxRequestPixels:  80_000_000,
			MaxPixelsInFlight: 120_000_000,
			MaxConnections:    4096,
			ClientRate:        50,
			ClientBurst:       100,
		},
		Sessions: Sessions{TTL: 3 * time.Minute, MaxLive: 256, MaxLivePerClient: 64, MaxFrameBytes: 2 << 20,
			MaxFramePixels: 2_500_000, Lease: 15 * time.Second},
		Store:     Store{Driver: "sqlite"},
		Node:      Node{ID: hostname()},
		Auth:      Auth{TokenTTL: time.Hour},
		Inference: defaultInference(),
		Lockout:   lockout.DefaultConfig(),
	}
}

// Load reads the YAML file at path (none when path is "") over the defaults,
// then applies the environment. It does not validate: flags come after.
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := decodeStrict(f, &c); err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	return c, nil
}

// decodeStrict rejects unknown keys, so a misspelt threshold is an error
// instead of a silently ignored line.
func decodeStrict(r io.Reader, c *Config) error {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(c)
}

// hostname is the default node id.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "livenessd"
	}
	return h
}

// SigningKeyInStore reports whether the OAuth signing key comes from the
// store rather than a file: on PostgreSQL, unless a file is named.
func (c Config) SigningKeyInStore() bool {
	return c.Store.Driver == "postgres" && c.Auth.SigningKeyFile == ""
}

// StorePath is the database file, defaulted into the data dir.
func (c Config) StorePath() string {
	if c.Store.Path != "" {
		return c.Store.Path
	}
	return filepath.Join(c.DataDir, "livenessd.db")
}

// SigningKeyPath is the token signing key file, defaulted into the data dir.
func (c Config) SigningKeyPath() string {
	if c.Auth.SigningKeyFile != "" {
		return c.Auth.SigningKeyFile
	}
	return filepath.Join(c.DataDir, "oauth-signing.key")
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("log_format %q: want json or text", c.LogFormat))
	}
	if c.RequestTimeout <= 0 || c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("request_timeout and shutdown_timeout must be > 0"))
	}
	l := c.Limits
	if l.MaxImages < 1 || l.MaxImages > 256 {
		errs = append(errs, fmt.Errorf("limits.max_images %d: want 1..256", l.MaxImages))
	}
	if l.MaxImages > c.Inference.QueueSize {
		// A larger batch could never be admitted: it would always be a 503.
		errs = append(errs, fmt.Errorf("limits.max_images %d: want <= inference.queue_size %d", l.MaxImages, c.Inference.QueueSize))
	}
	if l.MaxImageBytes < 1024 {
		errs = append(errs, fmt.Errorf("limits.max_image_bytes %d: want >= 1024", l.MaxImageBytes))
	}
	if l.MaxBodyBytes < int64(l.MaxImageBytes) {
		errs = append(errs, fmt.Errorf("limits.max_body_bytes %d: want >= max_image_bytes", l.MaxBodyBytes))
	}
	if l.MaxPixels < 64*64 {
		errs = append(errs, fmt.Errorf("limits.max_pixels %d: want >= 4096", l.MaxPixels))
	}
	if l.ClientRate <= 0 || l.ClientBurst < 1 {
		errs = append(errs, fmt.Errorf("limits.client_rate %v (want > 0), client_burst %d (want >= 1)", l.ClientRate, l.ClientBurst))
	}
	if l.MaxConnections < 16 {
		errs = append(errs, fmt.Errorf("limits.max_connections %d: want >= 16", l.MaxConnections))
	}
	if l.MaxRequestPixels < l.MaxPixels || l.MaxPixelsInFlight < l.MaxRequestPixels {
		errs = append(errs, fmt.Errorf("limits: want max_pixels %d <= max_request_pixels %d <= max_pixels_in_flight %d",
			l.MaxPixels, l.MaxRequestPixels, l.MaxPixelsInFlight))
	}
	if c.Sessions.MaxLivePerClient < 1 || c.Sessions.MaxLivePerClient > c.Sessions.MaxLive {
		errs = append(errs, fmt.Errorf("sessions.max_live_per_client %d: want 1..max_live", c.Sessions.MaxLivePerClient))
	}
	if c.Sessions.MaxFramePixels < 64*64 || c.Sessions.MaxFramePixels > l.MaxPixels {
		errs = append(errs, fmt.Errorf("sessions.max_frame_pixels %d: want 4096..max_pixels", c.Sessions.MaxFramePixels))
	}
	if c.Sessions.TTL < 10*time.Second || c.Sessions.TTL > 30*time.Minute {
		errs = append(errs, fmt.Errorf("sessions.ttl %v: want 10s..30m", c.Sessions.TTL))
	}
	if c.Sessions.MaxLive < 1 {
		errs = append(errs, fmt.Errorf("sessions.max_live %d: want >= 1", c.Sessions.MaxLive))
	}
	if c.Sessions.MaxFrameBytes < 64<<10 {
		errs = append(errs, fmt.Errorf("sessions.max_frame_bytes %d: want >= 65536", c.Sessions.MaxFrameBytes))
	}
	if p := c.WebRTC.UDPPort; p < 0 || p > 65535 {
		errs = append(errs, fmt.Errorf("webrtc.udp_port %d: want 0..65535", p))
	}
	for i, ip := range c.WebRTC.PublicIPs {
		if net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("webrtc.public_ips[%d] %q: not an IP address", i, ip))
		}
	}
	for i, srv := range c.WebRTC.ICEServers {
		for _, u := range srv.URLs {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				errs = append(errs, fmt.Errorf("webrtc.ice_servers[%d] %q: want a stun:, turn: or turns: URL", i, u))
			}
		}
	}
	if u := c.Sessions.PublicURL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		errs = append(errs, fmt.Errorf("sessions.public_url %q: want an http:// or https:// URL", u))
	}
	switch {
	case c.Store.Driver == "sqlite":
	case c.Store.Driver == "postgres" && c.Store.DSN == "":
		errs = append(errs, errors.New("store.dsn is empty: the postgres driver needs one (LIVENESS_STORE_DSN)"))
	case c.Store.Driver == "postgres" && c.Store.MaxBytes != 0:
		errs = append(errs, errors.New("store.max_bytes applies to sqlite only: size a PostgreSQL database in PostgreSQL"))
	case c.Store.Driver != "postgres":
		errs = append(errs, fmt.Errorf("store.driver %q: want sqlite or postgres", c.Store.Driver))
	}
	if c.Node.ID == "" || len(c.Node.ID) > 128 {
		errs = append(errs, fmt.Errorf("node.id %q: want 1..128 characters", c.Node.ID))
	}
	if c.Sessions.Lease < 3*time.Second || c.Sessions.Lease > 5*time.Minute {
		errs = append(errs, fmt.Errorf("sessions.lease %v: want 3s..5m", c.Sessions.Lease))
	}
	errs = append(errs, c.Auth.validate())
	if lo := c.Lockout; lo.MaxFailures < 0 || lo.MaxFailures > 1000 || (lo.MaxFailures > 0 && (lo.Window <= 0 || lo.Duration <= 0)) {
		errs = append(errs, fmt.Errorf("lockout: max_failures %d (want 0..1000, 0: off), window %v and duration %v (want > 0)",
			lo.MaxFailures, lo.Window, lo.Duration))
	}
	if err := liveness.ValidateFusion(c.Inference.PAD.Fusion); err != nil {
		errs = append(errs, fmt.Errorf("inference.%w", err))
	}
	if err := c.Inference.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("inference: %w", err))
	}
	return errors.Join(errs...)
}

func (a Auth) validate() error {
	var errs []error
	if len(a.APITokens) == 0 && len(a.Clients) == 0 {
		errs = append(errs, errors.New("auth: no api_tokens and no clients: nobody could call the API (set LIVENESS_API_TOKENS=client:token)"))
	}
	seen := map[string]bool{}
	for i, t := range a.APITokens {
		if t.Client == "" || len(t.Token) < 16 {
			errs = append(errs, fmt.Errorf("auth.api_tokens[%d]: want a client id and a token of at least 16 characters", i))
		}
		if seen[t.Token] {
			errs = append(errs, fmt.Errorf("auth.api_tokens[%d]: token used twice", i))
		}
		seen[t.Token] = true
	}
	ids := map[string]bool{}
	for i, c := range a.Clients {
		if c.ID == "" || c.SecretHash == "" {
			errs = append(errs, fmt.Errorf("auth.clients[%d]: want id and secret_hash", i))
		}
		if ids[c.ID] {
			errs = append(errs, fmt.Errorf("auth.clients[%d]: id %q used twice", i, c.ID))
		}
		ids[c.ID] = true
	}
	if a.TokenTTL < time.Minute || a.TokenTTL > 24*time.Hour {
		errs = append(errs, fmt.Errorf("auth.token_ttl %v: want 1m..24h", a.TokenTTL))
	}
	return errors.Join(errs...)
}

// defaultInference is the engine's defaults with the judge's PAD fusion rule.
func defaultInference() inference.Config {
	c := inference.DefaultConfig()
	c.PAD.Fusion = liveness.FuseMax
	return c
}
