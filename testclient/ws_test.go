package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/protocol"
)

func wsArgs(f *fakeServer, dir string, extra ...string) []string {
	return append([]string{"ws", "--server", f.URL, "--token", fakeToken, "--source", dir}, extra...)
}

func TestWSRunsASessionAndPrintsTheResponse(t *testing.T) {
	f := newFakeServer(t)
	f.converse = passAfter(3)
	code, stdout, stderr := runCLI(t, wsArgs(f, jpegDir(t, 5), "--fps", "50",
		"--step-timeout", "2s", "--sample-fps", "5", "--randomize")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, line := range []string{
		"session s1: steps front (8s each), 5 frames/s judged, expires ",
		"prompt 1/1: look straight at the camera (front)\n",
		"feedback step 1, frame 1: look at the camera (not_yet)\n",
		"feedback step 1, frame 2: look at the camera (not_yet)\n",
		"step 1 passed at frame 3\n",
		"result passed: session s1 in ",
	} {
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr)
		}
	}
	var resp liveness.Response
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil || resp.Liveness != liveness.Passed || len(resp.Results) != 1 {
		t.Errorf("stdout is not the passed response (%v):\n%s", err, stdout)
	}
	_, sessions, hellos := f.received()
	req := sessions[0]
	if !slices.Equal(req.FaceParameters, []string{"front"}) || req.StepTimeoutMS != 2000 || req.SampleFPS != 5 ||
		!req.RandomizeOrder || req.AuditImages || req.SpoofDetection != nil || req.SuccessThreshold != nil {
		t.Errorf("session request: %+v", req)
	}
	if hello := hellos[0]; hello.Client != "testclient" || hello.Width != 32 || hello.Height != 24 {
		t.Errorf("hello %+v, want testclient 32x24", hello)
	}
}

func TestWSPacesFramesInRealTime(t *testing.T) {
	f := newFakeServer(t)
	frameTimes := make(chan []time.Duration, 1)
	f.converse = func(p *peer) {
		p.expectHello()
		wait := p.collect(nil)
		time.Sleep(500 * time.Millisecond)
		p.finish(true, 1)
		frameTimes <- wait()
	}
	code, _, stderr := runCLI(t, wsArgs(f, jpegDir(t, 3), "--fps", "20", "--loop")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	arrivals := <-frameTimes
	inWindow := 0
	for _, at := range arrivals {
		if at < 500*time.Millisecond {
			inWindow++
		}
	}
	// 20 fps for half a second is 10 frames; the bounds allow for a busy machine.
	if inWindow < 7 || inWindow > 13 {
		t.Errorf("%d frames arrived in 500 ms at --fps 20, want about 10 (at %v)", inWindow, arrivals)
	}
}

func TestWSStopsAtTheEndOfTheClipAndWaitsForTheResult(t *testing.T) {
	f := newFakeServer(t)
	frameTimes := make(chan []time.Duration, 1)
	f.converse = func(p *peer) {
		p.expectHello()
		p.prompt()
		wait := p.collect(nil)
		time.Sleep(400 * time.Millisecond) // the clip lasts 60 ms
		p.finish(false, 0)
		frameTimes <- wait()
	}
	code, stdout, stderr := runCLI(t, wsArgs(f, jpegDir(t, 3), "--fps", "50")...)
	if code != 1 {
		t.Errorf("exit %d for a failed session, want 1", code)
	}
	if arrivals := <-frameTimes; len(arrivals) != 3 {
		t.Errorf("%d frames arrived, want the clip's 3 once", len(arrivals))
	}
	if !strings.Contains(stderr, "step 1 failed: timed out\n") || !strings.Contains(stderr, "result failed: session s1") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, `"liveness": "failed"`) {
		t.Errorf("the response is not printed:\n%s", stdout)
	}
}

func TestWSReportsAnEndWithoutResult(t *testing.T) {
	expire := func(p *peer) {
		p.expectHello()
		p.prompt()
		p.send(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorExpired, Message: "the session expired"})
		p.conn.Close(protocol.CloseExpired, "expired")
	}
	ignore := func(p *peer) {
		p.expectHello()
		p.collect(nil)()
	}
	for name, tc := range map[string]struct {
		converse func(*peer)
		refuse   int
		extra    []string
		want     []string
	}{
		"expired": {converse: expire, want: []string{
			"session expired without a result",
			"server closed the connection with 4001 (session expired): expired",
			"(last error from the server: expired: the session expired)",
		}},
		"refused": {refuse: 409, want: []string{"session error without a result", "HTTP 409: status 409: a connection is already live"}},
		"timeout": {converse: ignore, extra: []string{"--timeout", "300ms"}, want: []string{"no result within --timeout 300ms"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeServer(t)
			f.converse, f.refuseWS = tc.converse, tc.refuse
			code, stdout, stderr := runCLI(t, wsArgs(f, jpegDir(t, 3), append([]string{"--fps", "50", "--loop"}, tc.extra...)...)...)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestSessionSendsCancelOnInterrupt(t *testing.T) {
	f := newFakeServer(t)
	f.converse = passAfter(1 << 30)
	c, err := loadClip(jpegDir(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	interrupt, ctrlC := context.WithCancel(context.Background())
	defer ctrlC()
	out := runSession(context.Background(), interrupt, sessionPlan{
		api:     newAPIClient(f.URL, fakeToken, time.Second),
		request: sessionRequest{livenessFields: livenessFields{TrxID: "t", FaceParameters: []string{"front"}}},
		clip:    c,
		fps:     50,
		loop:    true,
		observe: func(msg any) {
			if _, ok := msg.(*protocol.Prompt); ok {
				ctrlC()
			}
		},
	})
	if out.outcome != outcomeCancelled || out.result != nil {
		t.Errorf("outcome %q, result %v; want cancelled without a result", out.outcome, out.result)
	}
	if out.err == nil || !strings.Contains(out.err.Error(), "4002 (session cancelled)") {
		t.Errorf("err %v, want the server's 4002 close", out.err)
	}
}
