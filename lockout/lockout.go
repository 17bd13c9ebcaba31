// Package lockout owns the failed-attempt limit of liveness checks: after
// MaxFailures failed checks for one user within Window, further checks for
// that user are refused for Duration. AWS's Face Liveness guidance is the
// model: at most 5 failures in 3 minutes, then a 30-60 minute lockout, so
// that an attacker cannot iterate on a presentation until it passes. State
// is kept in this process's memory: each node counts its own attempts.
package lockout

import (
	"sync"
	"time"
)

// Config sets the limit; MaxFailures 0 turns it off.
type Config struct {
	MaxFailures int           `yaml:"max_failures"`
	Window      time.Duration `yaml:"window"`
	Duration    time.Duration `yaml:"duration"`
}

// DefaultConfig is AWS's recommendation: 5 failures in 3 minutes lock the
// user out for 30 minutes.
func DefaultConfig() Config {
	return Config{MaxFailures: 5, Window: 3 * time.Minute, Duration: 30 * time.Minute}
}

// maxKeys bounds the users tracked (a few hundred bytes each).
const maxKeys = 100_000

// State is what the limiter knows of one user.
type State struct {
	Failures    int       // failed checks within the window
	LockedUntil time.Time // zero when not locked
}

// Locked reports whether the state refuses a check at now.
func (s State) Locked(now time.Time) bool { return now.Before(s.LockedUntil) }

// Limiter counts failures per (client, user). It is safe for concurrent use.
type Limiter struct {
	cfg   Config
	now   func() time.Time
	mu    sync.Mutex
	users map[key]*entry
}

type key struct{ client, user string }

type entry struct {
	failures    []time.Time
	lockedUntil time.Time
	touched     time.Time
}

// New returns a limiter; now is the clock (time.Now when nil).
func New(cfg Config, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{cfg: cfg, now: now, users: map[key]*entry{}}
}

// State is the user's current state.
func (l *Limiter) State(client, user string) State {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.users[key{client, user}]
	if e == nil {
		return State{}
	}
	now := l.now()
	e.prune(now, l.cfg.Window)
	return State{Failures: len(e.failures), LockedUntil: e.lockedUntil}
}

// Fail records a failed check and returns the state after it.
func (l *Limiter) Fail(client, user string) State {
	if l.cfg.MaxFailures == 0 || user == "" {
		return State{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	k := key{client, user}
	e := l.users[k]
	if e == nil {
		if len(l.users) >= maxKeys {
			l.evict()
		}
		e = &entry{}
		l.users[k] = e
	}
	e.prune(now, l.cfg.Window)
	e.failures, e.touched = append(e.failures, now), now
	if len(e.failures) >= l.cfg.MaxFailures {
		e.lockedUntil, e.failures = now.Add(l.cfg.Duration), nil
	}
	return State{Failures: len(e.failures), LockedUntil: e.lockedUntil}
}

// prune forgets failures older than the window.
func (e *entry) prune(now time.Time, window time.Duration) {
	keep := e.failures[:0]
	for _, t := range e.failures {
		if now.Sub(t) < window {
			keep = append(keep, t)
		}
	}
	e.failures = keep
}

// evict makes room: it forgets every unlocked user without a failure in the
// window, or else the unlocked user idle longest. A locked user is never
// forgotten, or flooding the table with new user ids would unlock them.
func (l *Limiter) evict() {
	now := l.now()
	var oldest *key
	var oldestAt time.Time
	freed := false
	for k, e := range l.users {
		if e.lockedUntil.After(now) {
			continue
		}
		if now.Sub(e.touched) >= l.cfg.Window {
			delete(l.users, k)
			freed = true
			continue
		}
		if oldest == nil || e.touched.Before(oldestAt) {
			kk := k
			oldest, oldestAt = &kk, e.touched
		}
	}
	if !freed && oldest != nil {
		delete(l.users, *oldest)
	}
}
