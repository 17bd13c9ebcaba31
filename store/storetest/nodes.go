package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livenessd/livenessd/store"
)

// testLeases: a node renews its own unfinished sessions only; ending lost
// sessions takes exactly those whose lease ended, whoever owns them; and a
// restarting node ends only its own.
func (b Backend) testLeases(t *testing.T) {
	ctx, db := Ctx(t), b.fresh(t)
	now := time.Now()
	for _, s := range []struct {
		id, node string
		lease    time.Time
	}{
		{"a-live", "node-a", now.Add(time.Minute)},
		{"a-done", "node-a", now.Add(-time.Minute)},
		{"b-lost", "node-b", now.Add(-time.Second)},
		{"b-started-lost", "node-b", now.Add(-time.Hour)},
		{"b-live", "node-b", now.Add(time.Minute)},
		{"c-live", "node-c", now.Add(time.Minute)},
	} {
		ses := NewSession(s.id)
		ses.Node, ses.NodeURL, ses.LeaseUntil = s.node, "https://"+s.node+".example", s.lease
		Must(t, db.CreateSession(ctx, ses))
	}
	Must(t, db.StartSession(ctx, "b-started-lost"))
	Must(t, db.FinishSession(ctx, "a-done", store.SessionPassed, "", []byte(`{"ok":true}`), now))

	until := now.Add(2 * time.Minute)
	n, err := db.RenewLeases(ctx, "node-a", until)
	Must(t, err)
	if n != 1 {
		t.Errorf("RenewLeases(node-a) = %d, want 1 (its finished session keeps its lease)", n)
	}
	lease := func(id string) time.Time {
		t.Helper()
		s, err := db.Session(ctx, id)
		Must(t, err)
		return s.LeaseUntil
	}
	if got := lease("a-live"); !got.Equal(until.Truncate(time.Millisecond)) {
		t.Errorf("a-live lease = %v, want %v", got, until)
	}
	if got := lease("b-live"); !got.Equal(now.Add(time.Minute).Truncate(time.Millisecond)) {
		t.Errorf("node-a's renewal moved node-b's lease to %v", got)
	}

	lost := func(request []byte) []byte { return []byte(`{"lost":true}`) }
	n, err = db.AbandonSessions(ctx, store.Orphans{LeaseEndedBy: now}, "node lost", now, lost)
	Must(t, err)
	if n != 2 {
		t.Errorf("ending lost sessions = %d, want 2 (b-lost, b-started-lost)", n)
	}
	for id, want := range map[string]string{
		"a-live": store.SessionCreated, "a-done": store.SessionPassed, "b-lost": store.SessionCancelled,
		"b-started-lost": store.SessionCancelled, "b-live": store.SessionCreated, "c-live": store.SessionCreated,
	} {
		s, err := db.Session(ctx, id)
		Must(t, err)
		if s.State != want {
			t.Errorf("%s: state %s, want %s", id, s.State, want)
		}
		if want == store.SessionCancelled && (s.Reason != "node lost" || string(s.Result) != `{"lost":true}`) {
			t.Errorf("%s: reason %q, result %q", id, s.Reason, s.Result)
		}
	}

	n, err = db.AbandonSessions(ctx, store.Orphans{Node: "node-b"}, "restart", now, lost)
	Must(t, err)
	if n != 1 {
		t.Errorf("node-b restarting ended %d sessions, want 1 (b-live)", n)
	}
	if s, err := db.Session(ctx, "c-live"); err != nil || s.State != store.SessionCreated {
		t.Errorf("node-b's restart touched node-c's session: %+v, %v", s, err)
	}
}

// testAbandonRacesFinish races the owner finishing its sessions against
// another node ending them as lost: every session is finished exactly once,
// by one side or the other.
func (b Backend) testAbandonRacesFinish(t *testing.T) {
	const sessions = 40
	ctx, db := Ctx(t), b.fresh(t)
	past := time.Now().Add(-time.Minute)
	for i := range sessions {
		s := NewSession(fmt.Sprint("s", i))
		s.LeaseUntil = past
		Must(t, db.CreateSession(ctx, s))
	}
	var (
		wg        sync.WaitGroup
		finished  int
		abandoned [4]int
		errs      = make(chan error, 8)
	)
	start := make(chan struct{})
	wg.Go(func() {
		<-start
		for i := range sessions {
			err := db.FinishSession(ctx, fmt.Sprint("s", i), store.SessionPassed, "", []byte(`{"by":"owner"}`), time.Time{})
			switch {
			case err == nil:
				finished++
			case !errors.Is(err, store.ErrSessionFinished):
				errs <- err
			}
		}
	})
	for k := range abandoned {
		wg.Go(func() {
			<-start
			n, err := db.AbandonSessions(ctx, store.Orphans{LeaseEndedBy: time.Now()}, "node lost", time.Time{},
				func([]byte) []byte { return []byte(`{"by":"sweeper"}`) })
			abandoned[k] = n
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := finished
	for _, n := range abandoned {
		total += n
	}
	if total != sessions {
		t.Errorf("owner finished %d, sweepers ended %v: %d finishes for %d sessions", finished, abandoned, total, sessions)
	}
	for i := range sessions {
		s, err := db.Session(ctx, fmt.Sprint("s", i))
		Must(t, err)
		if (s.State == store.SessionPassed) != (string(s.Result) == `{"by":"owner"}`) || !store.Final(s.State) {
			t.Errorf("s%d: state %s with result %s", i, s.State, s.Result)
		}
	}
}

// testSigningKey: the first key stored wins, for every caller and every
// store opened on the same database, however many ask at once.
func (b Backend) testSigningKey(t *testing.T) {
	ctx, addr := Ctx(t), b.NewDatabase(t)
	first, other := b.open(t, addr), b.open(t, addr)
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		db := first
		if i%2 == 1 {
			db = other
		}
		wg.Go(func() {
			k, err := db.SigningKey(ctx, bytes.Repeat([]byte{byte(i + 1)}, 32))
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("caller %d got key %x, caller 0 %x: want one key for all", i, k, keys[0])
		}
	}
	again, err := b.open(t, addr).SigningKey(ctx, bytes.Repeat([]byte{0xee}, 32))
	Must(t, err)
	if !bytes.Equal(again, keys[0]) {
		t.Errorf("a later store got key %x, want the stored %x", again, keys[0])
	}
}
