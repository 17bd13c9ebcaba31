package main

import (
	"context"
	"encoding/json"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/protocol"
)

func webrtcArgs(f *fakeServer, dir string, extra ...string) []string {
	return append([]string{"webrtc", "--server", f.URL, "--token", fakeToken, "--source", dir}, extra...)
}

// rtcPassAfter answers frames 1 to n-1 with feedback and passes the step at
// frame n, by the fake's own count of decoded frames.
func rtcPassAfter(n int) func(p *rtcPeer) {
	return func(p *rtcPeer) {
		p.expectHello()
		p.send(promptMessage())
		for {
			fr, ok := p.frame()
			switch {
			case !ok:
				return
			case fr.n < n:
				p.send(feedbackMessage(fr.n))
			default:
				p.finish(true, fr.n)
				return
			}
		}
	}
}

func TestWebRTCRunsASessionAndAnswersPictureLoss(t *testing.T) {
	const pliAt = 3
	type seen struct {
		frames      []rtcFrame
		keyAfterPLI int // the first key frame decoded after the PLI
	}
	got := make(chan seen, 1)
	f := newFakeServer(t)
	f.rtcConverse = func(p *rtcPeer) {
		var s seen
		defer func() { got <- s }()
		p.expectHello()
		p.send(promptMessage())
		for {
			fr, ok := p.frame()
			if !ok {
				return
			}
			s.frames = append(s.frames, fr)
			switch {
			case fr.n < pliAt:
				p.send(feedbackMessage(fr.n))
			case fr.n == pliAt:
				p.send(feedbackMessage(fr.n))
				if err := p.pli(); err != nil {
					t.Errorf("PLI: %v", err)
				}
			case fr.key && s.keyAfterPLI == 0:
				s.keyAfterPLI = fr.n
			case s.keyAfterPLI != 0 || fr.n > 50:
				p.finish(s.keyAfterPLI != 0, fr.n)
				return
			}
		}
	}
	code, stdout, stderr := runCLI(t, webrtcArgs(f, jpegDir(t, 5), "--fps", "50", "--loop", "--bitrate", "300")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	s := <-got
	for _, line := range []string{
		"session s1: steps front (8s each), 5 frames/s judged, expires ",
		"prompt 1/1: look straight at the camera (front)\n",
		"feedback step 1, frame 1: look at the camera (not_yet)\n",
		"feedback step 1, frame 2: look at the camera (not_yet)\n",
		"feedback step 1, frame 3: look at the camera (not_yet)\n",
		"step 1 passed at frame ",
		"result passed: session s1 in ",
	} {
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr)
		}
	}
	var resp liveness.Response
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil || resp.Liveness != liveness.Passed {
		t.Errorf("stdout is not the passed response (%v):\n%s", err, stdout)
	}
	_, _, hellos := f.received()
	if hello := hellos[0]; hello.Client != "testclient" || hello.Width != 32 || hello.Height != 24 {
		t.Errorf("hello %+v, want testclient 32x24", hello)
	}
	first := s.frames[0]
	if !first.key || first.size != image.Pt(32, 24) {
		t.Errorf("first frame %+v, want a 32x24 key frame", first)
	}
	for _, fr := range s.frames[1:pliAt] {
		if fr.key {
			t.Errorf("frame %d is a key frame before any was asked for", fr.n)
		}
	}
	// The PLI leaves when frame 3 is decoded; frames already encoded by the
	// time it arrives are not key frames.
	if s.keyAfterPLI == 0 || s.keyAfterPLI > pliAt+5 {
		t.Errorf("key frame after the PLI at frame %d: %d, want one within 5 frames", pliAt, s.keyAfterPLI)
	}
}

func TestWebRTCSendsCancelOnInterrupt(t *testing.T) {
	f := newFakeServer(t)
	f.rtcConverse = func(p *rtcPeer) {
		p.expectHello()
		p.send(promptMessage())
		for {
			typ, _, ok := p.text()
			if !ok {
				return
			}
			if typ == protocol.TypeCancel {
				p.send(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorCancelled, Message: "cancelled by the client"})
				resp := liveness.Response{Status: "200", StatusMessage: "Success", Liveness: liveness.Failed, TrxID: "t"}
				p.send(protocol.Result{Type: protocol.TypeResult, SessionID: p.id, State: outcomeCancelled, Response: &resp})
				return // the result leaves before the fake closes the connection
			}
		}
	}
	c, err := loadClip(jpegDir(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	interrupt, ctrlC := context.WithCancel(context.Background())
	defer ctrlC()
	var seen []string
	out := runSession(context.Background(), interrupt, sessionPlan{
		api:     newAPIClient(f.URL, fakeToken, time.Second),
		request: sessionRequest{livenessFields: livenessFields{TrxID: "t", FaceParameters: []string{"front"}}},
		clip:    c,
		fps:     50,
		loop:    true,
		connect: rtcOptions{bitrate: 300, allowLoopback: true}.connector(50),
		observe: func(msg any) {
			seen = append(seen, describe(msg))
			if _, ok := msg.(*protocol.Prompt); ok {
				ctrlC()
			}
		},
	})
	if out.outcome != outcomeCancelled || out.result == nil || out.err != nil {
		t.Errorf("outcome %q, result %v, err %v; want a cancelled result", out.outcome, out.result, out.err)
	}
	if want := "error cancelled: cancelled by the client"; !strings.Contains(strings.Join(seen, "\n"), want) {
		t.Errorf("messages %q lack %q", seen, want)
	}
}

func TestWebRTCReportsAnEndWithoutResult(t *testing.T) {
	hangUp := func(p *rtcPeer) {
		p.expectHello()
		p.send(promptMessage())
		p.frame()
		p.hangUp()
	}
	ignore := func(p *rtcPeer) {
		p.expectHello()
		<-p.done
	}
	for name, tc := range map[string]struct {
		converse func(*rtcPeer)
		refuse   int
		extra    []string
		want     []string
	}{
		"hung up": {converse: hangUp, want: []string{"session error without a result after ", ": the data channel closed"}},
		"refused": {refuse: 409, want: []string{"session error without a result",
			"connect: HTTP 409: status 409: a connection is already live"}},
		"timeout": {converse: ignore, extra: []string{"--timeout", "5s"}, want: []string{"no result within --timeout 5s"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeServer(t)
			f.rtcConverse, f.refuseRTC = tc.converse, tc.refuse
			start := time.Now()
			code, stdout, stderr := runCLI(t, webrtcArgs(f, jpegDir(t, 3), append([]string{"--fps", "50", "--loop"}, tc.extra...)...)...)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("the client took %v to notice the end", d)
			}
		})
	}
}

func TestLoadOverWebRTCPairsFeedbackWithFrames(t *testing.T) {
	f := newFakeServer(t)
	f.rtcConverse = rtcPassAfter(3)
	code, stdout, stderr := runCLI(t, loadArgs(f, jpegDir(t, 4), "--transport", "webrtc", "--sessions", "2",
		"--fps", "50", "--loop", "--json")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var s loadSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	// Frames 1 to 3 of each session are answered, by the server's numbers.
	if s.Completed != 2 || s.Outcomes.Passed != 2 || s.FeedbackLatency.Samples != 6 || s.FramesSent < 6 {
		t.Errorf("summary %+v", s)
	}
}
