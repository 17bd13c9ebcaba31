package lockout

import (
	"testing"
	"time"
)

func TestFiveFailuresLockTheUserOut(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l := New(DefaultConfig(), func() time.Time { return now })
	for i := range 4 {
		if s := l.Fail("bank", "alice"); s.Locked(now) || s.Failures != i+1 {
			t.Fatalf("failure %d: %+v", i+1, s)
		}
		now = now.Add(30 * time.Second)
	}
	if s := l.State("bank", "bob"); s.Locked(now) {
		t.Error("another user is locked")
	}
	if s := l.State("other-client", "alice"); s.Locked(now) {
		t.Error("the same user id of another client is locked")
	}
	s := l.Fail("bank", "alice")
	if !s.Locked(now) || !s.LockedUntil.Equal(now.Add(30*time.Minute)) {
		t.Fatalf("fifth failure within 3 min: %+v", s)
	}
	now = now.Add(30*time.Minute + time.Second)
	if l.State("bank", "alice").Locked(now) {
		t.Error("still locked after the lockout")
	}
}

func TestFailuresOutsideTheWindowDoNotCount(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l := New(DefaultConfig(), func() time.Time { return now })
	for range 10 {
		if s := l.Fail("bank", "alice"); s.Locked(now) {
			t.Fatalf("locked by failures a minute apart: %+v", s)
		}
		now = now.Add(time.Minute) // at most 3 in any 3-minute window
	}
}

func TestOffAndAnonymous(t *testing.T) {
	now := time.Now()
	off := New(Config{}, nil)
	for range 10 {
		off.Fail("bank", "alice")
	}
	if off.State("bank", "alice").Locked(now) {
		t.Error("max_failures 0 locked a user")
	}
	on := New(DefaultConfig(), nil)
	for range 10 {
		on.Fail("bank", "")
	}
	if on.State("bank", "").Locked(now) {
		t.Error("checks without a user_id locked everyone without one")
	}
}
