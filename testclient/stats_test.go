package main

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/livenessd/livenessd/protocol"
)

func TestPercentileIsNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	rand.Shuffle(len(hundred), func(i, j int) { hundred[i], hundred[j] = hundred[j], hundred[i] })
	ten := []time.Duration{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	for _, tc := range []struct {
		values []time.Duration
		p      float64
		want   time.Duration
	}{
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 95, 95 * time.Millisecond},
		{hundred, 100, 100 * time.Millisecond},
		{hundred, 0.5, 1 * time.Millisecond},
		{ten, 50, 5},
		{ten, 95, 10}, // rank ceil(9.5) = 10
		{ten, 90, 9},
		{[]time.Duration{7}, 50, 7},
		{[]time.Duration{7}, 95, 7},
		{nil, 50, 0},
	} {
		if got := percentile(tc.values, tc.p); got != tc.want {
			t.Errorf("p%v of %d values = %v, want %v", tc.p, len(tc.values), got, tc.want)
		}
	}
}

func TestMillisRoundsToATenth(t *testing.T) {
	if got := millis(1234567 * time.Nanosecond); got != 1.2 {
		t.Errorf("millis(1.234567ms) = %v, want 1.2", got)
	}
	if got := millis(1250 * time.Microsecond); got != 1.3 {
		t.Errorf("millis(1.25ms) = %v, want 1.3", got)
	}
}

func TestSummarizeCountsOutcomesAndListsTheFirstErrors(t *testing.T) {
	result := func(state string, d time.Duration, lat ...time.Duration) sessionOutcome {
		return sessionOutcome{outcome: state, result: &protocol.Result{State: state}, duration: d,
			framesSent: 10, framesSkipped: 1, latencies: lat}
	}
	outcomes := []sessionOutcome{
		result(outcomePassed, 2*time.Second, 10*time.Millisecond, 30*time.Millisecond),
		result(outcomeFailed, 4*time.Second, 20*time.Millisecond),
		result(outcomeExpired, 6*time.Second),
		{outcome: outcomeCancelled, err: errors.New("cancelled"), duration: time.Hour, framesSent: 3},
	}
	for i := range 6 {
		outcomes = append(outcomes, sessionOutcome{outcome: outcomeError, err: errors.New("refused " + string(rune('a'+i)))})
	}
	s := summarize(outcomes)
	if s.Sessions != 10 || s.Completed != 3 {
		t.Errorf("sessions %d completed %d, want 10 and 3", s.Sessions, s.Completed)
	}
	if want := (outcomeCounts{Passed: 1, Failed: 1, Expired: 1, Cancelled: 1, Error: 6}); s.Outcomes != want {
		t.Errorf("outcomes %+v, want %+v", s.Outcomes, want)
	}
	// Only sessions with a result have a duration: the hour is left out.
	if s.DurationMS != (durationStats{P50: 4000, P95: 6000}) {
		t.Errorf("durations %+v", s.DurationMS)
	}
	if s.FeedbackLatency != (latencyStats{P50: 20, P95: 30, Max: 30, Samples: 3}) {
		t.Errorf("latency %+v", s.FeedbackLatency)
	}
	if s.FramesSent != 33 || s.FramesSkipped != 3 {
		t.Errorf("frames sent %d skipped %d, want 33 and 3", s.FramesSent, s.FramesSkipped)
	}
	if len(s.Errors) != maxListedErrors || s.Errors[0] != "session 5: refused a" {
		t.Errorf("errors %q", s.Errors)
	}
	var text strings.Builder
	s.print(&text)
	for _, want := range []string{"3/10 completed", "expired 1", "error 6", "p50 20ms, p95 30ms, max 30ms (3 frames)", "session 9: refused e"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text summary lacks %q:\n%s", want, text.String())
		}
	}
}
