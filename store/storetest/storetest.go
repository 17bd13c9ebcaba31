// Package storetest is the contract of store.Store: one suite of tests that
// every backend runs against a real database of its kind (store/sqlite on a
// file, store/postgres on a server), so that callers can rely on the same
// behaviour, sentinel errors and concurrency guarantees from either.
package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livenessd/livenessd/store"
)

// Backend is what the suite needs of a store implementation.
type Backend struct {
	// NewDatabase makes an empty database for one test and returns its
	// address (a file path, a DSN), which Open and helper processes take.
	NewDatabase func(tb testing.TB) string
	// Open opens a store on the database at addr, migrating it.
	Open func(addr string) (store.Store, error)
	// Schema returns the database's record of applied migrations, one
	// "version@applied_at" per row, as an operator's shell would read it.
	Schema func(t *testing.T, addr string) []string
	// Intact, if set, checks the database's own consistency after a crash.
	Intact func(t *testing.T, addr string)
}

// Run runs the contract against b. The backend's test package must also
// have a TestHelperProcess that calls HelperProcess(t, b): the tests that
// need a second process (a writer killed mid-write, two writers at once)
// run the test binary again, and that test is what it runs.
func Run(t *testing.T, b Backend) {
	for _, c := range []struct {
		name string
		test func(*testing.T)
	}{
		{"RoundTrip", b.testRoundTrip},
		{"SentinelErrors", b.testSentinelErrors},
		{"ClientIsolation", b.testClientIsolation},
		{"Reopen", b.testReopen},
		{"CancelledContext", b.testCancelledContext},
		{"ConcurrentUse", b.testConcurrentUse},
		{"SessionRoundTrip", b.testSessionRoundTrip},
		{"SessionSentinelErrors", b.testSessionSentinelErrors},
		{"SessionBadArguments", b.testSessionBadArguments},
		{"SessionStates", b.testSessionStates},
		{"AbandonSessions", b.testAbandonSessions},
		{"AuditImages", b.testAuditImages},
		{"SessionsReopen", b.testSessionsReopen},
		{"ConcurrentFinish", b.testConcurrentFinish},
		{"Leases", b.testLeases},
		{"AbandonRacesFinish", b.testAbandonRacesFinish},
		{"SigningKey", b.testSigningKey},
		{"TwoProcesses", b.testTwoProcesses},
		{"CrashDurability", b.testCrashDurability},
	} {
		t.Run(c.name, c.test)
	}
}

// open opens the store at addr, closing it when the test ends.
func (b Backend) open(t *testing.T, addr string) store.Store {
	t.Helper()
	db, err := b.Open(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// fresh opens a store on a new, empty database.
func (b Backend) fresh(t *testing.T) store.Store {
	return b.open(t, b.NewDatabase(t))
}

// Ctx bounds every store call of a test, so a lock wait that never ends
// fails the test instead of hanging it.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Must fails the test on err.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Embedding returns an n-d vector whose first values are the float32s a
// lossy encoding would mangle: -0, ±Inf, a NaN with a payload, a subnormal.
func Embedding(n int, seed float32) []float32 {
	e := make([]float32, n)
	for i := range e {
		e[i] = seed + float32(i)/float32(n)
	}
	special := []float32{
		float32(math.Copysign(0, -1)),
		float32(math.Inf(1)),
		float32(math.Inf(-1)),
		math.Float32frombits(0x7fc0_1234),
		math.Float32frombits(1),
	}
	copy(e, special)
	return e
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool {
		return math.Float32bits(x) == math.Float32bits(y)
	})
}

func galleryIDs(gs []store.Gallery) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = fmt.Sprintf("%s:%d", g.ID, g.Faces)
	}
	return ids
}

func userIDs(fs []store.Face) []string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.UserID
	}
	return ids
}

// NewSession returns a created session whose fields are all set and
// distinct, its times deliberately not in UTC and finer than a millisecond.
func NewSession(id string) store.Session {
	hash := sha256.Sum256([]byte("token of " + id))
	zone := time.FixedZone("CET", 3600)
	created := time.Date(2024, 2, 29, 12, 30, 45, 123_456_789, zone)
	return store.Session{
		ID:         id,
		ClientID:   "acme",
		TrxID:      "trx-" + id,
		TokenHash:  hash[:],
		State:      store.SessionCreated,
		Request:    []byte(`{"actions":["blink","turn_left"],"note":"\u0000 and \ud83d\ude00"}`),
		CreatedAt:  created,
		ExpiresAt:  created.Add(2*time.Minute + 500*time.Microsecond),
		Node:       "node-a",
		NodeURL:    "https://a.example:8443",
		LeaseUntil: created.Add(15*time.Second + 250*time.Microsecond),
	}
}

// sameSession reports how got differs from want, or "" if it does not: the
// fields must match exactly (times to the millisecond) and times be UTC.
func sameSession(got, want store.Session) string {
	var diffs []string
	field := func(name string, equal bool, g, w any) {
		if !equal {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", name, g, w))
		}
	}
	sameBytes := func(a, b []byte) bool { return slices.Equal(a, b) && (a == nil) == (b == nil) }
	sameTime := func(g, w time.Time) bool {
		return g.Equal(w.Truncate(time.Millisecond)) && (g.IsZero() || g.Location() == time.UTC)
	}
	field("ID", got.ID == want.ID, got.ID, want.ID)
	field("ClientID", got.ClientID == want.ClientID, got.ClientID, want.ClientID)
	field("TrxID", got.TrxID == want.TrxID, got.TrxID, want.TrxID)
	field("TokenHash", slices.Equal(got.TokenHash, want.TokenHash), got.TokenHash, want.TokenHash)
	field("State", got.State == want.State, got.State, want.State)
	field("Reason", got.Reason == want.Reason, got.Reason, want.Reason)
	field("Request", slices.Equal(got.Request, want.Request), got.Request, want.Request)
	field("Result", sameBytes(got.Result, want.Result), got.Result, want.Result)
	field("CreatedAt", sameTime(got.CreatedAt, want.CreatedAt), got.CreatedAt, want.CreatedAt)
	field("ExpiresAt", sameTime(got.ExpiresAt, want.ExpiresAt), got.ExpiresAt, want.ExpiresAt)
	field("FinishedAt", sameTime(got.FinishedAt, want.FinishedAt), got.FinishedAt, want.FinishedAt)
	field("Node", got.Node == want.Node, got.Node, want.Node)
	field("NodeURL", got.NodeURL == want.NodeURL, got.NodeURL, want.NodeURL)
	field("LeaseUntil", sameTime(got.LeaseUntil, want.LeaseUntil), got.LeaseUntil, want.LeaseUntil)
	return strings.Join(diffs, "; ")
}

// BenchmarkEnroll measures one durable enrolment: a transaction with a 128-d
// embedding and a 20 kB photo, committed (fsynced on SQLite).
func BenchmarkEnroll(b *testing.B, be Backend) {
	db, err := be.Open(be.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := b.Context()
	Must(b, db.CreateGallery(ctx, "acme", "staff"))
	f := store.Face{ClientID: "acme", GalleryID: "staff", Embedding: Embedding(128, 1), Photo: make([]byte, 20<<10)}
	for i := 0; b.Loop(); i++ {
		f.UserID = fmt.Sprintf("user-%d", i)
		Must(b, db.EnrollFace(ctx, f))
	}
}
