package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadArgs(f *fakeServer, dir string, extra ...string) []string {
	return append([]string{"load", "--server", f.URL, "--token", fakeToken, "--source", dir, "--trx", "run"}, extra...)
}

func TestLoadRunsConcurrentSessionsAndPrintsJSON(t *testing.T) {
	f := newFakeServer(t)
	f.converse = passAfter(3)
	code, stdout, stderr := runCLI(t, loadArgs(f, jpegDir(t, 4), "--sessions", "3", "--fps", "50", "--loop", "--json")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var s struct {
		Sessions   int                `json:"sessions"`
		Completed  int                `json:"completed"`
		Outcomes   map[string]int     `json:"outcomes"`
		DurationMS map[string]float64 `json:"duration_ms"`
		Latency    map[string]float64 `json:"feedback_latency_ms"`
		FramesSent int                `json:"frames_sent"`
		Errors     []string           `json:"errors"`
	}
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if s.Sessions != 3 || s.Completed != 3 || s.Outcomes["passed"] != 3 || s.Errors == nil || len(s.Errors) != 0 {
		t.Errorf("summary: %s", stdout)
	}
	// Frames 1 to 3 of each session are answered; later ones may be sent
	// before the result arrives, but have no answer.
	// (The fake answers within microseconds: latencies may round to 0.0 ms.)
	if s.FramesSent < 9 || s.Latency["samples"] != 9 || s.Latency["p50"] < 0 || s.DurationMS["p95"] <= 0 {
		t.Errorf("frames and latencies: %s", stdout)
	}
	var trxIDs []string
	_, sessions, _ := f.received()
	for _, req := range sessions {
		trxIDs = append(trxIDs, req.TrxID)
	}
	slices.Sort(trxIDs)
	if !slices.Equal(trxIDs, []string{"run-1", "run-2", "run-3"}) {
		t.Errorf("trx_ids %q, want one per session", trxIDs)
	}
}

func TestLoadCountsSessionsWithoutResults(t *testing.T) {
	f := newFakeServer(t)
	f.converse = func(p *peer) {
		switch p.id {
		case "s1":
			passAfter(2)(p)
		case "s2":
			p.expectHello()
			p.conn.Close(4001, "expired")
		default:
			p.expectHello()
			p.conn.Close(1008, "too many messages")
		}
	}
	code, stdout, _ := runCLI(t, loadArgs(f, jpegDir(t, 4), "--sessions", "3", "--fps", "50", "--loop")...)
	if code != 1 {
		t.Errorf("exit %d with sessions lacking results, want 1", code)
	}
	for _, want := range []string{
		"1/3 completed", "passed 1, failed 0, expired 1, cancelled 0, error 1",
		"errors            1, the first:", "1008 (message flood): too many messages",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

// The server answers frames 1 to 3 after 80 ms each, and frame 1 a second
// time at 300 ms; the result, much later, names frame 3 again. Each frame's
// latency must come from its own first answer.
func TestLoadPairsFeedbackWithFramesByNumber(t *testing.T) {
	const delay = 80 * time.Millisecond
	f := newFakeServer(t)
	f.converse = func(p *peer) {
		p.expectHello()
		p.prompt()
		wait := p.collect(func(frame int) {
			if frame <= 3 {
				time.AfterFunc(delay, func() { p.feedback(frame) })
			}
			if frame == 1 {
				time.AfterFunc(300*time.Millisecond, func() { p.feedback(1) })
			}
		})
		time.Sleep(600 * time.Millisecond)
		p.finish(true, 3)
		wait()
	}
	code, stdout, stderr := runCLI(t, loadArgs(f, jpegDir(t, 4), "--sessions", "2", "--fps", "50", "--json")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var s loadSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	l := s.FeedbackLatency
	if l.Samples != 6 {
		t.Errorf("%d latency samples, want 3 frames in each of 2 sessions", l.Samples)
	}
	if l.P50 < millis(delay) || l.Max >= 280 {
		t.Errorf("latency %+v, want every sample from %v to well under the 300 ms repeat", l, delay)
	}
}
