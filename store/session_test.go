package store_test

import (
	"testing"

	"github.com/livenessd/livenessd/store"
)

func TestFinal(t *testing.T) {
	for state, want := range map[string]bool{
		store.SessionCreated:    false,
		store.SessionInProgress: false,
		store.SessionPassed:     true,
		store.SessionFailed:     true,
		store.SessionExpired:    true,
		store.SessionCancelled:  true,
		"":                      false,
		"PASSED":                false,
	} {
		if got := store.Final(state); got != want {
			t.Errorf("Final(%q) = %t, want %t", state, got, want)
		}
	}
}
