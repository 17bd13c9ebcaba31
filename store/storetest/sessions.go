package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/livenessd/livenessd/store"
)

func (b Backend) testSessionRoundTrip(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	want := NewSession("s1")
	Must(t, db.CreateSession(ctx, want))
	got, err := db.Session(ctx, "s1")
	Must(t, err)
	if d := sameSession(got, want); d != "" {
		t.Errorf("created session: %s", d)
	}

	Must(t, db.StartSession(ctx, "s1"))
	want.State = store.SessionInProgress
	got, err = db.Session(ctx, "s1")
	Must(t, err)
	if d := sameSession(got, want); d != "" {
		t.Errorf("started session: %s", d)
	}

	finished := time.Date(2024, 2, 29, 12, 31, 10, 987_654_321, time.FixedZone("EST", -5*3600))
	result := []byte(`{"passed":false,"score":0.125}`)
	Must(t, db.FinishSession(ctx, "s1", store.SessionFailed, "spoof suspected", result, finished))
	want.State, want.Reason, want.Result, want.FinishedAt = store.SessionFailed, "spoof suspected", result, finished
	got, err = db.Session(ctx, "s1")
	Must(t, err)
	if d := sameSession(got, want); d != "" {
		t.Errorf("finished session: %s", d)
	}

	// A zero CreatedAt is set by the store; empty blobs and strings are kept.
	before := time.Now().Truncate(time.Millisecond)
	bare := store.Session{ID: "s2", State: store.SessionCreated, ExpiresAt: before.Add(time.Minute)}
	Must(t, db.CreateSession(ctx, bare))
	got, err = db.Session(ctx, "s2")
	Must(t, err)
	if got.CreatedAt.Before(before) || time.Since(got.CreatedAt) > time.Minute || got.CreatedAt.Location() != time.UTC {
		t.Errorf("store-set CreatedAt = %v, want a recent UTC time", got.CreatedAt)
	}
	bare.CreatedAt = got.CreatedAt
	got.TokenHash, got.Request = nil, nil // empty either way
	if d := sameSession(got, bare); d != "" {
		t.Errorf("bare session: %s", d)
	}
	// A zero at means now.
	Must(t, db.FinishSession(ctx, "s2", store.SessionExpired, "timed out", nil, time.Time{}))
	got, err = db.Session(ctx, "s2")
	Must(t, err)
	if got.FinishedAt.Before(before) || time.Since(got.FinishedAt) > time.Minute || got.Result != nil {
		t.Errorf("finished with a zero time and no result: FinishedAt %v, Result %q", got.FinishedAt, got.Result)
	}
}

func (b Backend) testSessionSentinelErrors(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	Must(t, db.CreateSession(ctx, NewSession("live")))
	Must(t, db.CreateSession(ctx, NewSession("done")))
	Must(t, db.FinishSession(ctx, "done", store.SessionPassed, "", []byte(`{"first":true}`), time.Now()))
	Must(t, db.PutAuditImage(ctx, "live", 1, []byte("jpeg")))

	dup := NewSession("live")
	dup.ClientID = "other"
	getSession := func(id string) error {
		_, err := db.Session(ctx, id)
		return err
	}
	getImage := func(id string, image int) error {
		_, err := db.AuditImage(ctx, id, image)
		return err
	}
	listImages := func(id string) error {
		_, err := db.AuditImages(ctx, id)
		return err
	}
	deleteImages := func(id string) error {
		_, err := db.DeleteAuditImages(ctx, id)
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"create existing session", db.CreateSession(ctx, dup), store.ErrSessionExists},
		{"get missing session", getSession("ghost"), store.ErrSessionNotFound},
		{"start missing session", db.StartSession(ctx, "ghost"), store.ErrSessionNotFound},
		{"start finished session", db.StartSession(ctx, "done"), store.ErrSessionFinished},
		{"finish missing session", db.FinishSession(ctx, "ghost", store.SessionFailed, "", nil, time.Now()), store.ErrSessionNotFound},
		{"finish finished session", db.FinishSession(ctx, "done", store.SessionFailed, "again", []byte(`{}`), time.Now()), store.ErrSessionFinished},
		{"put image of missing session", db.PutAuditImage(ctx, "ghost", 1, []byte("jpeg")), store.ErrSessionNotFound},
		{"get image of missing session", getImage("ghost", 1), store.ErrSessionNotFound},
		{"get missing image", getImage("live", 2), store.ErrAuditImageNotFound},
		{"get image of a session without images", getImage("done", 1), store.ErrAuditImageNotFound},
		{"list images of missing session", listImages("ghost"), store.ErrSessionNotFound},
		{"delete images of missing session", deleteImages("ghost"), store.ErrSessionNotFound},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
		}
	}

	// The failed calls changed nothing.
	live, err := db.Session(ctx, "live")
	Must(t, err)
	if d := sameSession(live, NewSession("live")); d != "" {
		t.Errorf("session after the duplicate create: %s", d)
	}
	done, err := db.Session(ctx, "done")
	Must(t, err)
	if done.State != store.SessionPassed || done.Reason != "" || string(done.Result) != `{"first":true}` {
		t.Errorf("finished session changed by the later calls: %+v", done)
	}
	if _, err := db.Session(ctx, "ghost"); !errors.Is(err, store.ErrSessionNotFound) {
		t.Errorf("a failed call created the session: err = %v", err)
	}
}

// TestSessionBadArguments checks the calls that a caller's bug makes: they
// fail, with no sentinel to mistake for an outcome, and change nothing.
func (b Backend) testSessionBadArguments(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	Must(t, db.CreateSession(ctx, NewSession("s1")))
	sentinels := []error{store.ErrSessionNotFound, store.ErrSessionExists, store.ErrSessionFinished, store.ErrAuditImageNotFound}

	finishedAtBirth := NewSession("s2")
	finishedAtBirth.State = store.SessionPassed
	for _, c := range []struct {
		name string
		err  error
	}{
		{"create in a state other than created", db.CreateSession(ctx, finishedAtBirth)},
		{"finish to in_progress", db.FinishSession(ctx, "s1", store.SessionInProgress, "", nil, time.Now())},
		{"finish to created", db.FinishSession(ctx, "s1", store.SessionCreated, "", nil, time.Now())},
		{"finish to an unknown state", db.FinishSession(ctx, "s1", "won", "", nil, time.Now())},
		{"put image 0", db.PutAuditImage(ctx, "s1", 0, []byte("jpeg"))},
		{"put image -1", db.PutAuditImage(ctx, "s1", -1, []byte("jpeg"))},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, s := range sentinels {
			if errors.Is(c.err, s) {
				t.Errorf("%s: err = %v, a sentinel", c.name, c.err)
			}
		}
	}

	if _, err := db.Session(ctx, "s2"); !errors.Is(err, store.ErrSessionNotFound) {
		t.Errorf("session created in a final state was stored: err = %v", err)
	}
	s1, err := db.Session(ctx, "s1")
	Must(t, err)
	if s1.State != store.SessionCreated || !s1.FinishedAt.IsZero() {
		t.Errorf("session after the refused finishes: %+v", s1)
	}
	images, err := db.AuditImages(ctx, "s1")
	Must(t, err)
	if len(images) != 0 {
		t.Errorf("refused images were stored: %v", images)
	}
}

func (b Backend) testSessionStates(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	state := func(id string) string {
		t.Helper()
		s, err := db.Session(ctx, id)
		Must(t, err)
		return s.State
	}

	// created -> in_progress (twice: a no-op) -> passed.
	Must(t, db.CreateSession(ctx, NewSession("s1")))
	Must(t, db.StartSession(ctx, "s1"))
	Must(t, db.StartSession(ctx, "s1"))
	if got := state("s1"); got != store.SessionInProgress {
		t.Fatalf("after StartSession, state = %s", got)
	}
	at := time.Now()
	Must(t, db.FinishSession(ctx, "s1", store.SessionPassed, "", []byte(`{"first":true}`), at))

	// The first finish wins: a second one fails and keeps nothing of its own.
	err := db.FinishSession(ctx, "s1", store.SessionCancelled, "client left", []byte(`{"second":true}`), at.Add(time.Hour))
	if !errors.Is(err, store.ErrSessionFinished) {
		t.Errorf("second finish: err = %v, want ErrSessionFinished", err)
	}
	if err := db.StartSession(ctx, "s1"); !errors.Is(err, store.ErrSessionFinished) {
		t.Errorf("starting a finished session: err = %v, want ErrSessionFinished", err)
	}
	s1, err := db.Session(ctx, "s1")
	Must(t, err)
	if s1.State != store.SessionPassed || s1.Reason != "" || string(s1.Result) != `{"first":true}` ||
		!s1.FinishedAt.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("after the refused calls, session = %+v, want the first finish", s1)
	}

	// Every final state is reachable from created and from in_progress, and
	// is final.
	for _, final := range []string{store.SessionPassed, store.SessionFailed, store.SessionExpired, store.SessionCancelled} {
		for _, start := range []bool{false, true} {
			id := fmt.Sprintf("%s-%t", final, start)
			Must(t, db.CreateSession(ctx, NewSession(id)))
			if start {
				Must(t, db.StartSession(ctx, id))
			}
			Must(t, db.FinishSession(ctx, id, final, "because", nil, at))
			if got := state(id); got != final {
				t.Errorf("%s: state = %s, want %s", id, got, final)
			}
			if err := db.StartSession(ctx, id); !errors.Is(err, store.ErrSessionFinished) {
				t.Errorf("%s: start: err = %v, want ErrSessionFinished", id, err)
			}
			if err := db.FinishSession(ctx, id, store.SessionPassed, "", nil, at); !errors.Is(err, store.ErrSessionFinished) {
				t.Errorf("%s: finish again: err = %v, want ErrSessionFinished", id, err)
			}
		}
	}
}

func (b Backend) testAbandonSessions(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	earlier := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"created", "started", "passed", "expired"} {
		Must(t, db.CreateSession(ctx, NewSession(id)))
	}
	Must(t, db.StartSession(ctx, "started"))
	Must(t, db.FinishSession(ctx, "passed", store.SessionPassed, "", []byte(`{"ok":true}`), earlier))
	Must(t, db.FinishSession(ctx, "expired", store.SessionExpired, "too slow", nil, earlier))

	restart := time.Date(2024, 3, 1, 8, 0, 0, 5_000_000, time.UTC)
	// The result is built from the stored request: here the request itself.
	echo := func(request []byte) []byte { return append([]byte(`{"cut":`), append(request, '}')...) }
	n, err := db.AbandonSessions(ctx, store.Orphans{}, "server restarted", restart, echo)
	Must(t, err)
	if n != 2 {
		t.Errorf("AbandonSessions = %d, want 2", n)
	}
	for id, want := range map[string]struct {
		state, reason, result string
		at                    time.Time
	}{
		"created": {store.SessionCancelled, "server restarted", `{"cut":` + string(NewSession("created").Request) + `}`, restart},
		"started": {store.SessionCancelled, "server restarted", `{"cut":` + string(NewSession("started").Request) + `}`, restart},
		"passed":  {store.SessionPassed, "", `{"ok":true}`, earlier},
		"expired": {store.SessionExpired, "too slow", "", earlier},
	} {
		s, err := db.Session(ctx, id)
		Must(t, err)
		if s.State != want.state || s.Reason != want.reason || string(s.Result) != want.result || !s.FinishedAt.Equal(want.at) {
			t.Errorf("%s: state %s, reason %q, result %q, finished %v; want %s, %q, %q, %v",
				id, s.State, s.Reason, s.Result, s.FinishedAt, want.state, want.reason, want.result, want.at)
		}
	}

	n, err = db.AbandonSessions(ctx, store.Orphans{}, "again", time.Now(), echo)
	Must(t, err)
	if n != 0 {
		t.Errorf("second AbandonSessions = %d, want 0", n)
	}
	if err := db.StartSession(ctx, "created"); !errors.Is(err, store.ErrSessionFinished) {
		t.Errorf("starting an abandoned session: err = %v, want ErrSessionFinished", err)
	}
}

func (b Backend) testAuditImages(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	Must(t, db.CreateSession(ctx, NewSession("s1")))
	Must(t, db.CreateSession(ctx, NewSession("s2")))

	images, err := db.AuditImages(ctx, "s1")
	Must(t, err)
	if len(images) != 0 {
		t.Fatalf("new session lists images %v", images)
	}
	jpeg := func(s string) []byte { return []byte("\xff\xd8" + s + "\x00\xff\xd9") }
	Must(t, db.PutAuditImage(ctx, "s1", 3, jpeg("three")))
	Must(t, db.PutAuditImage(ctx, "s1", 1, jpeg("one")))
	Must(t, db.PutAuditImage(ctx, "s1", 3, jpeg("three, retaken")))
	Must(t, db.PutAuditImage(ctx, "s2", 2, jpeg("other session")))
	// Images may be stored once the session has ended.
	Must(t, db.FinishSession(ctx, "s1", store.SessionPassed, "", nil, time.Now()))
	Must(t, db.PutAuditImage(ctx, "s1", 10, jpeg("ten")))

	images, err = db.AuditImages(ctx, "s1")
	Must(t, err)
	if want := []int{1, 3, 10}; !slices.Equal(images, want) {
		t.Fatalf("images = %v, want %v", images, want)
	}
	for image, want := range map[int][]byte{1: jpeg("one"), 3: jpeg("three, retaken"), 10: jpeg("ten")} {
		got, err := db.AuditImage(ctx, "s1", image)
		Must(t, err)
		if !slices.Equal(got, want) {
			t.Errorf("image %d = %q, want %q", image, got, want)
		}
	}
	if _, err := db.AuditImage(ctx, "s1", 2); !errors.Is(err, store.ErrAuditImageNotFound) {
		t.Errorf("s2's image read through s1: err = %v", err)
	}

	n, err := db.DeleteAuditImages(ctx, "s1")
	Must(t, err)
	if n != 3 {
		t.Errorf("DeleteAuditImages = %d, want 3", n)
	}
	images, err = db.AuditImages(ctx, "s1")
	Must(t, err)
	if len(images) != 0 {
		t.Errorf("after DeleteAuditImages, images = %v", images)
	}
	if _, err := db.AuditImage(ctx, "s1", 1); !errors.Is(err, store.ErrAuditImageNotFound) {
		t.Errorf("deleted image: err = %v, want ErrAuditImageNotFound", err)
	}
	n, err = db.DeleteAuditImages(ctx, "s1")
	Must(t, err)
	if n != 0 {
		t.Errorf("second DeleteAuditImages = %d, want 0", n)
	}
	// The session itself and the other session's images are untouched.
	if _, err := db.Session(ctx, "s1"); err != nil {
		t.Errorf("session after DeleteAuditImages: %v", err)
	}
	got, err := db.AuditImage(ctx, "s2", 2)
	Must(t, err)
	if !slices.Equal(got, jpeg("other session")) {
		t.Errorf("s2's image = %q", got)
	}
}

func (b Backend) testSessionsReopen(t *testing.T) {
	ctx := Ctx(t)
	addr := b.NewDatabase(t)
	db, err := b.Open(addr)
	Must(t, err)
	want := NewSession("s1")
	Must(t, db.CreateSession(ctx, want))
	Must(t, db.StartSession(ctx, "s1"))
	Must(t, db.CreateSession(ctx, NewSession("s2")))
	at := time.Now()
	Must(t, db.FinishSession(ctx, "s2", store.SessionPassed, "", []byte(`{"ok":true}`), at))
	Must(t, db.PutAuditImage(ctx, "s2", 1, []byte("jpeg")))
	Must(t, db.Close())

	// What a restart does: abandon what the previous process left running.
	db = b.open(t, addr)
	n, err := db.AbandonSessions(ctx, store.Orphans{}, "restart", at, func([]byte) []byte { return []byte(`{}`) })
	Must(t, err)
	if n != 1 {
		t.Errorf("AbandonSessions after reopening = %d, want 1", n)
	}
	got, err := db.Session(ctx, "s1")
	Must(t, err)
	want.State, want.Reason, want.Result, want.FinishedAt = store.SessionCancelled, "restart", []byte(`{}`), at
	if d := sameSession(got, want); d != "" {
		t.Errorf("s1 after reopening: %s", d)
	}
	s2, err := db.Session(ctx, "s2")
	Must(t, err)
	if s2.State != store.SessionPassed || string(s2.Result) != `{"ok":true}` {
		t.Errorf("s2 after reopening = %+v", s2)
	}
	image, err := db.AuditImage(ctx, "s2", 1)
	Must(t, err)
	if string(image) != "jpeg" {
		t.Errorf("audit image after reopening = %q", image)
	}
}

// TestConcurrentFinish races finishes of one session: exactly one wins, and
// the session holds the winner's outcome.
func (b Backend) testConcurrentFinish(t *testing.T) {
	const workers = 8
	ctx, db := Ctx(t), b.fresh(t)
	Must(t, db.CreateSession(ctx, NewSession("s1")))
	Must(t, db.StartSession(ctx, "s1"))

	states := []string{store.SessionPassed, store.SessionFailed, store.SessionExpired, store.SessionCancelled}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			<-start
			result := fmt.Appendf(nil, `{"worker":%d}`, w)
			errs[w] = db.FinishSession(ctx, "s1", states[w%len(states)], fmt.Sprint("worker ", w), result, time.Now())
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for w, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("workers %d and %d both finished the session", winner, w)
		case err == nil:
			winner = w
		case !errors.Is(err, store.ErrSessionFinished):
			t.Errorf("worker %d: err = %v, want ErrSessionFinished", w, err)
		}
	}
	if winner < 0 {
		t.Fatal("no worker finished the session")
	}
	s, err := db.Session(ctx, "s1")
	Must(t, err)
	if s.State != states[winner%len(states)] || s.Reason != fmt.Sprint("worker ", winner) ||
		string(s.Result) != fmt.Sprintf(`{"worker":%d}`, winner) {
		t.Errorf("session = %+v, want worker %d's outcome", s, winner)
	}
}
