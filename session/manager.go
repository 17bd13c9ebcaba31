// Package session owns interactive liveness sessions: creating them, the
// order of their steps, sampling the frames a transport delivers, judging
// each sampled frame with the liveness judge, telling the user what to do,
// and recording the outcome through store.Sessions. One goroutine owns each
// session's state; transports (WebSocket and WebRTC) attach to a
// session through a Conn and never see how it works. It knows nothing of
// HTTP.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/store"
)

// Errors a transport maps to its own refusals.
var (
	ErrNotFound  = errors.New("session not found")
	ErrBadToken  = errors.New("session token invalid for this session")
	ErrConnected = errors.New("the session already has a live connection")
	ErrFinished  = errors.New("the session has finished")
	ErrTooMany   = errors.New("too many live sessions; retry shortly")
	// ErrClientLimit is wrapped by a *ClientLimitError: one client holds its
	// share of live sessions, so that it cannot lock the others out.
	ErrClientLimit = errors.New("this client has too many live sessions")
	ErrClosed      = errors.New("the session engine is shutting down")
	// ErrElsewhere is wrapped by an *ElsewhereError: the session is live on
	// another node, and its stream must go there.
	ErrElsewhere = errors.New("the session is owned by another node")
)

// ElsewhereError names the node that owns a session this node was asked to
// stream.
type ElsewhereError struct {
	Node string
	URL  string // the owner's public URL; "" if it has none configured
}

func (e *ElsewhereError) Error() string {
	if e.URL == "" {
		return fmt.Sprintf("%v: node %q; stream to the ws_url or webrtc_url the session was created with", ErrElsewhere, e.Node)
	}
	return fmt.Sprintf("%v: node %q at %s; stream to the ws_url or webrtc_url the session was created with", ErrElsewhere, e.Node, e.URL)
}

func (e *ElsewhereError) Unwrap() error { return ErrElsewhere }

// Analyzer is what sessions need of the inference engine.
type Analyzer interface {
	AnalyzeWith(ctx context.Context, img *image.NRGBA, want inference.Want) (*inference.FaceAnalysis, error)
}

// Config sizes the engine.
type Config struct {
	TTL     time.Duration // from creation to expiry
	MaxLive int           // sessions not yet finished
	// MaxLivePerClient bounds one client's share of MaxLive.
	MaxLivePerClient int
	Decode           inference.DecodeLimits // what a frame may be, as for batch images
	// Node is this node's id in the store, NodeURL its public URL (may be
	// ""). Lease is how long its claim on a session lasts unless renewed;
	// it is renewed every Lease/3, and every Lease/3 the sessions whose
	// lease has passed, of any node, are ended as lost.
	Node    string
	NodeURL string
	Lease   time.Duration
}

// Option adjusts a Manager.
type Option func(*Manager)

// WithAnalysisObserver is called with every frame's analysis, for metrics.
func WithAnalysisObserver(f func(*inference.FaceAnalysis)) Option {
	return func(m *Manager) { m.observe = f }
}

// WithOutcomeObserver is called with every finished session's client, plan
// and final state (for the failed-attempt lockout).
func WithOutcomeObserver(f func(clientID string, plan liveness.Plan, state string)) Option {
	return func(m *Manager) { m.outcome = f }
}

// Manager creates sessions and hands them to transports.
type Manager struct {
	cfg     Config
	judge   liveness.Judge
	engine  Analyzer
	store   store.Sessions
	log     *slog.Logger
	metrics *metrics
	observe func(*inference.FaceAnalysis)
	outcome func(clientID string, plan liveness.Plan, state string)

	ctx    context.Context // ends at Close: every session is cancelled
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	live map[string]*Session
}

// NewManager starts the engine and its lease keeper. Sessions this node's
// previous process left unfinished are marked cancelled: their frames and
// state died with it.
func NewManager(cfg Config, engine Analyzer, judge liveness.Judge, st store.Sessions, log *slog.Logger, opts ...Option) (*Manager, error) {
	if cfg.Lease <= 0 {
		return nil, errors.New("session: Config.Lease must be > 0")
	}
	const cut = "the server restarted before the session finished"
	n, err := st.AbandonSessions(context.Background(), store.Orphans{Node: cfg.Node}, cut, time.Now(), func(request []byte) []byte {
		return abandonedResult(request, cut)
	})
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if n > 0 {
		log.Warn("sessions cancelled by a restart", "count", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{cfg: cfg, judge: judge, engine: engine, store: st, log: log, observe: func(*inference.FaceAnalysis) {},
		outcome: func(string, liveness.Plan, string) {},
		ctx:     ctx, cancel: cancel, live: map[string]*Session{}}
	m.metrics = newMetrics(m.Live)
	for _, o := range opts {
		o(m)
	}
	m.wg.Go(m.keepLeases)
	return m, nil
}

// lostReason is the stored reason of a session whose node stopped renewing
// its lease.
const lostReason = "node lost"

// keepLeases renews this node's leases and ends the sessions of nodes that
// stopped renewing theirs, every Lease/3, until Close.
func (m *Manager) keepLeases() {
	tick := time.NewTicker(m.cfg.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.Lease/3)
		now := time.Now()
		if _, err := m.store.RenewLeases(ctx, m.cfg.Node, now.Add(m.cfg.Lease)); err != nil {
			m.log.Error("renewing session leases failed: other nodes will end this node's sessions once they lapse", "err", err)
		}
		n, err := m.store.AbandonSessions(ctx, store.Orphans{LeaseEndedBy: now}, lostReason, now, func(request []byte) []byte {
			return abandonedResult(request, lostReason)
		})
		cancel()
		switch {
		case err != nil && m.ctx.Err() == nil:
			m.log.Error("ending the sessions of lost nodes failed", "err", err)
		case n > 0:
			m.log.Warn("sessions ended: their node stopped renewing its lease", "count", n)
		}
	}
}

// abandonedResult is the stored result of a session a crash or restart cut
// off: every step failed with reason, so that it reads back as a 200 with
// state cancelled like any other finished session. A request that cannot be
// read (never written by this server) gets an empty object, still JSON.
func abandonedResult(request []byte, reason string) []byte {
	var rec record
	if err := json.Unmarshal(request, &rec); err != nil {
		return []byte(`{}`)
	}
	results := make(liveness.Results, len(rec.Plan.Parameters))
	for k, p := range rec.Plan.Parameters {
		results[k] = liveness.ImageResult{FaceParameter: p, Reasons: []string{reason}}
	}
	body, err := json.Marshal(liveness.NewResponse(rec.Plan, liveness.Verdict{Liveness: liveness.Failed, Results: results, Reasons: []string{reason}}))
	if err != nil {
		return []byte(`{}`)
	}
	return body
}

// Created is what the creator of a session hands to the user's device.
type Created struct {
	ID        string
	Token     string // authenticates the device's stream; valid for this session only
	ExpiresAt time.Time
	Order     []liveness.Parameter // the parameters in the order they will be asked
}

// record is the creating request as stored, enough to describe the session
// after a restart.
type record struct {
	Plan        liveness.Plan `json:"plan"`
	Order       []int         `json:"order"` // indexes into Plan.Parameters, in asking order
	StepTimeout time.Duration `json:"step_timeout"`
	SampleFPS   int           `json:"sample_fps"`
	AuditImages bool          `json:"audit_images"`
}

// Create starts a session for clientID. enrolled is the gallery face to
// verify against (nil: the session's first good frontal frame).
func (m *Manager) Create(ctx context.Context, clientID string, spec Spec, enrolled []float32) (Created, error) {
	if m.ctx.Err() != nil {
		return Created{}, ErrClosed
	}
	id, token := "ses_"+randomHex(16), randomToken()
	order := make([]int, len(spec.Parameters))
	for i := range order {
		order[i] = i
	}
	if spec.RandomizeOrder {
		mrand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	now := time.Now()
	rec := record{Plan: spec.Plan, Order: order, StepTimeout: spec.StepTimeout, SampleFPS: spec.SampleFPS, AuditImages: spec.AuditImages}
	reqJSON, err := json.Marshal(rec)
	if err != nil {
		return Created{}, err
	}
	hash := sha256.Sum256([]byte(token))
	s := newSession(m, id, clientID, spec, order, enrolled, hash, now.Add(m.cfg.TTL))

	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.live) >= m.cfg.MaxLive {
		return Created{}, ErrTooMany
	}
	if err := m.clientLimit(clientID, now); err != nil {
		return Created{}, err
	}
	err = m.store.CreateSession(ctx, store.Session{ID: id, ClientID: clientID, TrxID: spec.TrxID, TokenHash: hash[:],
		State: store.SessionCreated, Request: reqJSON, CreatedAt: now, ExpiresAt: s.expiresAt,
		Node: m.cfg.Node, NodeURL: m.cfg.NodeURL, LeaseUntil: now.Add(m.cfg.Lease)})
	if err != nil {
		return Created{}, err
	}
	m.live[id] = s
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		s.run(m.ctx)
		m.mu.Lock()
		delete(m.live, id)
		m.mu.Unlock()
	}()
	s.log.Info("session created", "steps", len(order), "success_threshold", spec.SuccessThreshold,
		"spoof_detection", spec.SpoofDetection, "gallery", spec.GalleryID != "")
	asked := make([]liveness.Parameter, len(order))
	for i, k := range order {
		asked[i] = spec.Parameters[k]
	}
	return Created{ID: id, Token: token, ExpiresAt: s.expiresAt, Order: asked}, nil
}

// ClientLimitError says a client holds MaxLivePerClient live sessions, and
// when the first of them expires at the latest.
type ClientLimitError struct {
	Live int
	Wait time.Duration // until the client's first live session expires
}

func (e *ClientLimitError) Error() string {
	return fmt.Sprintf("%v: %d not finished; finish or cancel one, or retry in %v", ErrClientLimit, e.Live, e.Wait.Round(time.Second))
}

// RetryAfter is when a slot frees at the latest.
func (e *ClientLimitError) RetryAfter() time.Duration { return e.Wait }

func (e *ClientLimitError) Unwrap() error { return ErrClientLimit }

// clientLimit refuses a new session for a client at its limit; m.mu is held.
func (m *Manager) clientLimit(clientID string, now time.Time) error {
	n, first := 0, time.Time{}
	for _, s := range m.live {
		if s.clientID != clientID {
			continue
		}
		n++
		if first.IsZero() || s.expiresAt.Before(first) {
			first = s.expiresAt
		}
	}
	if n < m.cfg.MaxLivePerClient {
		return nil
	}
	return &ClientLimitError{Live: n, Wait: max(first.Sub(now), time.Second)}
}

// Attach connects a transport to a session, checking its token. A session
// takes one connection in its life: a second is refused while the first is
// live, and a finished session takes none.
func (m *Manager) Attach(ctx context.Context, id, token string) (*Conn, error) {
	hash := sha256.Sum256([]byte(token))
	m.mu.Lock()
	s := m.live[id]
	m.mu.Unlock()
	if s == nil {
		stored, err := m.store.Session(ctx, id)
		switch {
		case errors.Is(err, store.ErrSessionNotFound):
			return nil, ErrNotFound
		case err != nil:
			return nil, err
		case subtle.ConstantTimeCompare(stored.TokenHash, hash[:]) != 1:
			return nil, ErrBadToken
		case !store.Final(stored.State) && stored.Node != m.cfg.Node:
			return nil, &ElsewhereError{Node: stored.Node, URL: stored.NodeURL}
		}
		return nil, fmt.Errorf("%w: it is %s", ErrFinished, stored.State)
	}
	if subtle.ConstantTimeCompare(s.tokenHash[:], hash[:]) != 1 {
		return nil, ErrBadToken
	}
	return s.attach(ctx)
}

// Live is the number of sessions not yet finished.
func (m *Manager) Live() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.live)
}

// Close cancels every live session (their transports are told, with close
// code 1001) and waits for them to finish.
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
