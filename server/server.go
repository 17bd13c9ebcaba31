// Package server owns the HTTP API: routing, access tokens, JSON bodies, error
// statuses, metrics, logs and graceful shutdown. It turns requests into calls
// on the liveness judge, the inference engine and the store, and knows
// nothing of how any of them work inside.
package server

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/livenessd/livenessd/auth"
	"github.com/livenessd/livenessd/config"
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/lockout"
	"github.com/livenessd/livenessd/rtc"
	"github.com/livenessd/livenessd/session"
	"github.com/livenessd/livenessd/store"
)

// Analyzer is what the server needs of the inference engine.
type Analyzer interface {
	Analyze(ctx context.Context, img *image.NRGBA) (*inference.FaceAnalysis, error)
	AnalyzeWith(ctx context.Context, img *image.NRGBA, want inference.Want) (*inference.FaceAnalysis, error)
	AnalyzeBatch(ctx context.Context, imgs []*image.NRGBA) ([]*inference.FaceAnalysis, error)
	QueueDepth() int
	QueueFree() int
	Thresholds() inference.Thresholds
}

// Server serves the API. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg      config.Config
	engine   Analyzer
	store    store.Store
	auth     *auth.Authority
	judge    liveness.Judge
	log      *slog.Logger
	metrics  *metrics
	decode   inference.DecodeLimits
	pixels   *semaphore.Weighted // decoded pixels in flight, limits.max_pixels_in_flight
	admitted *semaphore.Weighted // REST images being decoded, queued or analysed
	imaging  chan struct{}       // REST requests with images in flight (see gate)
	lockout  *lockout.Limiter    // failed checks per user_id
	guesses  *lockout.Limiter    // wrong OAuth client secrets, per client_id and per address
	rates    *clientRates        // API requests per client, limits.client_rate
	sessions *session.Manager
	rtc      *rtc.Receiver
	sockets  sync.WaitGroup // session WebSockets: hijacked, so http.Server does not track them
	draining atomic.Bool    // set at shutdown so /readyz takes the node out of rotation
	handler  http.Handler
}

// New wires a server and its session engine. It owns the session engine
// (Serve closes it) but none of its arguments (the caller closes them).
func New(cfg config.Config, engine Analyzer, st store.Store, au *auth.Authority, log *slog.Logger) (*Server, error) {
	s := &Server{
		cfg:     cfg,
		engine:  engine,
		store:   st,
		auth:    au,
		judge:   liveness.Judge{T: engine.Thresholds(), Fusion: cfg.Inference.PAD.Fusion},
		log:     log,
		metrics: newMetrics(engine.QueueDepth),
		decode:  inference.DecodeLimits{MaxPixels: cfg.Limits.MaxPixels, MinSide: inference.DefaultDecodeLimits.MinSide},
	}
	var err error
	s.pixels = semaphore.NewWeighted(int64(cfg.Limits.MaxPixelsInFlight))
	s.admitted = semaphore.NewWeighted(int64(cfg.Inference.QueueSize + cfg.Inference.Workers))
	s.imaging = make(chan struct{}, gateSize(cfg.Inference.Workers))
	s.lockout = lockout.New(cfg.Lockout, nil)
	s.guesses = lockout.New(tokenGuesses, nil)
	s.rates = newClientRates(cfg.Limits.ClientRate, cfg.Limits.ClientBurst)
	frames := inference.DecodeLimits{MaxPixels: cfg.Sessions.MaxFramePixels, MinSide: s.decode.MinSide}
	s.sessions, err = session.NewManager(session.Config{TTL: cfg.Sessions.TTL, MaxLive: cfg.Sessions.MaxLive,
		MaxLivePerClient: cfg.Sessions.MaxLivePerClient, Decode: frames,
		Node: cfg.Node.ID, NodeURL: cfg.Sessions.PublicURL, Lease: cfg.Sessions.Lease},
		engine, s.judge, st, log, session.WithAnalysisObserver(s.metrics.observeAnalysis),
		session.WithOutcomeObserver(s.sessionOutcome))
	if err != nil {
		return nil, err
	}
	s.metrics.reg.MustRegister(s.sessions.Collectors()...)
	if s.rtc, err = rtc.New(cfg.WebRTC, log); err != nil {
		s.sessions.Close()
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP makes the server an http.Handler (tests use it with httptest).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// it stops accepting, reports not-ready, and gives in-flight requests up to
// the configured shutdown timeout to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// A request's body must arrive within request_timeout (set per
		// request in observe); an idle keep-alive connection is closed after
		// idleTimeout, so that thousands of idle clients cannot pile up.
		IdleTimeout: idleTimeout,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	ln = newConnLimit(ln, s.cfg.Limits.MaxConnections, s.log)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down: finishing in-flight requests", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc // Serve returned ErrServerClosed as soon as Shutdown began
	// Live sessions end as cancelled; their sockets are told (1001) and closed.
	s.sessions.Close()
	s.sockets.Wait()
	s.rtc.Close()
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		return errors.New("shutdown timeout: in-flight requests were cut off")
	}
	return err
}
