package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/internal/testkit/clip"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/protocol"
)

// clipFrames reads every JPEG frame of a clip in ../shared/testdata/video.
// clipFrames reads a clip of ../shared/testdata/video, or of another folder
// of testdata when name has one ("camera/video/...").
func clipFrames(t testing.TB, name string) [][]byte {
	t.Helper()
	dir := "testdata/video"
	if strings.Contains(name, "/") {
		dir = "testdata"
	}
	return clip.Frames(t, filepath.Join(testkit.Shared(t, dir), name))
}

// created is the answer to POST /liveness-api/sessions.
type created struct {
	SessionID    string   `json:"session_id"`
	SessionToken string   `json:"session_token"`
	WSURL        string   `json:"ws_url"`
	Order        []string `json:"face_parameters"`
}

func (ts *testServer) createSession(t *testing.T, token string, body map[string]any) created {
	t.Helper()
	code, out := ts.call(t, "POST", "/liveness-api/sessions", token, body)
	if code != 200 {
		t.Fatalf("create session: %d %v", code, out)
	}
	raw, _ := json.Marshal(out)
	var c created
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// outcome is what a streaming client saw.
type outcome struct {
	messages  []map[string]any
	result    *protocol.Result
	closeCode websocket.StatusCode
}

func (o outcome) count(typ string) int {
	n := 0
	for _, m := range o.messages {
		if m["type"] == typ {
			n++
		}
	}
	return n
}

// stream plays frames at fps (looping when loop is set) over the session's
// WebSocket until the server closes it, and collects what it said.
func stream(t *testing.T, c created, frames [][]byte, fps int, loop bool) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, c.WSURL+"?session_token="+c.SessionToken, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	got := make(chan outcome, 1)
	go func() {
		var o outcome
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				o.closeCode = websocket.CloseStatus(err)
				got <- o
				return
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("server sent non-JSON: %q", data)
				continue
			}
			o.messages = append(o.messages, m)
			if m["type"] == protocol.TypeResult {
				var r protocol.Result
				if err := json.Unmarshal(data, &r); err != nil {
					t.Errorf("result: %v", err)
				}
				o.result = &r
			}
		}
	}()
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	for i := 0; ; i++ {
		if i == len(frames) {
			if !loop {
				break
			}
			i = 0
		}
		select {
		case o := <-got:
			return o
		case <-tick.C:
		}
		if err := ws.Write(ctx, websocket.MessageBinary, frames[i]); err != nil {
			break
		}
	}
	select {
	case o := <-got:
		return o
	case <-ctx.Done():
		t.Fatal("no result within 2 minutes")
	}
	return outcome{}
}

// sessionBody is a session request whose device gets the full results
// (device_results), as the tests of the judging read them from the stream;
// TestSessionDeviceGetsNoScores checks the default.
func sessionBody(trx string, params ...string) map[string]any {
	return map[string]any{"trx_id": trx, "face_parameters": params, "device_results": true}
}

// TestSessionDeviceGetsNoScores: by default the device hears per-step
// passed/failed and the final state, never a score or a reason (a tuning
// oracle for an attacker); the backend reads the full result.
func TestSessionDeviceGetsNoScores(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	body := map[string]any{"trx_id": "oracle", "face_parameters": []string{"front"}, "step_timeout_ms": 3000}
	c := ts.createSession(t, tokenA, body)
	o := stream(t, c, clipFrames(t, "nuaa_print_0001_640x480_10fps.mjpeg"), 10, true)
	if o.result == nil || o.result.State != "failed" {
		t.Fatalf("result %+v", o.result)
	}
	for _, m := range o.messages {
		raw, _ := json.Marshal(m)
		for _, leak := range []string{"spoof", "score", "reasons", "similarity", `"result":{`, `"response"`} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("the device was told %q: %s", leak, raw)
			}
		}
	}
	code, got := ts.call(t, "GET", "/liveness-api/sessions/"+c.SessionID, tokenA, nil)
	if code != 200 || got["session_spoof_score"] == nil || got["results"] == nil {
		t.Errorf("the backend's view lacks the result: %d %v", code, got)
	}
}

func TestSessionMouthOpen(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	c := ts.createSession(t, tokenA, sessionBody("mouth", "front", "mouth open"))
	o := stream(t, c, clipFrames(t, "live_mouth_open_640x480_15fps.mjpeg"), 15, true)
	if o.result == nil || o.result.State != "passed" || o.closeCode != websocket.StatusNormalClosure {
		t.Fatalf("state %v, close %v; messages: %v", o.result, o.closeCode, o.messages)
	}
	rs := o.result.Response.Results
	if len(rs) != 2 || !rs[1].Match || rs[1].Mouth != "open" {
		t.Errorf("results: %+v", rs)
	}
	if o.count(protocol.TypePrompt) != 2 || o.count(protocol.TypeStep) != 2 {
		t.Errorf("%d prompts, %d steps", o.count(protocol.TypePrompt), o.count(protocol.TypeStep))
	}
	// The creating client reads the same result, and the accepted frames.
	code, st := ts.call(t, "GET", "/liveness-api/sessions/"+c.SessionID, tokenA, nil)
	if code != 200 || st["state"] != "passed" || st["liveness"] != "passed" || st["trx_id"] != "mouth" {
		t.Errorf("status: %d %v", code, st)
	}
	if imgs := st["audit_images"].([]any); len(imgs) != 2 {
		t.Errorf("audit images %v, want [1 2]", imgs)
	}
}

// TestSessionHeadPose: the selfie clip, looped (its mirroring is unknown, so
// both turns must recur), passes every pose with spoof detection on (the
// default), and each accepted frame's angles agree with its parameter.
func TestSessionHeadPose(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	body := with(sessionBody("pose", "front", "left", "right", "down", "up"), "step_timeout_ms", 30000)
	c := ts.createSession(t, tokenA, body)
	o := stream(t, c, clipFrames(t, "live_selfie_headpose_480x640_15fps.mjpeg"), 15, true)
	if o.result == nil || o.result.State != "passed" {
		t.Fatalf("result %+v; messages: %v", o.result, o.messages)
	}
	th := sharedEngine(t).Thresholds()
	for _, r := range o.result.Response.Results {
		ok := map[string]bool{
			"front": abs(r.Yaw) <= th.FrontYaw && abs(r.Pitch) <= th.FrontPitch,
			"left":  r.Yaw >= th.TurnYaw, "right": r.Yaw <= -th.TurnYaw,
			"down": r.Pitch <= -th.TiltPitch, "up": r.Pitch >= th.TiltPitch,
		}[string(r.FaceParameter)]
		if !ok || !r.Match || !r.Verified || !r.Passed {
			t.Errorf("%s accepted at yaw %.1f pitch %.1f: %+v", r.FaceParameter, r.Yaw, r.Pitch, r)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestSessionEyesClosed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	c := ts.createSession(t, tokenA, with(sessionBody("blink", "front", "eyes closed"), "step_timeout_ms", 20000))
	o := stream(t, c, clipFrames(t, "live_blink_closed_eyes_640x480_15fps.mjpeg"), 15, true)
	if o.result == nil || o.result.State != "passed" {
		t.Fatalf("result %+v; messages: %v", o.result, o.messages)
	}
	if r := o.result.Response.Results[1]; r.LeftEye != "closed" || r.RightEye != "closed" {
		t.Errorf("eyes closed accepted with %s/%s", r.LeftEye, r.RightEye)
	}
}

// TestSessionPrintAttackFails: a printed photo moved before the camera does
// the step, but the session's PAD verdict over its frames refuses it.
func TestSessionPrintAttackFails(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	c := ts.createSession(t, tokenA, with(sessionBody("print", "front"), "step_timeout_ms", 3000))
	o := stream(t, c, clipFrames(t, "nuaa_print_0001_640x480_10fps.mjpeg"), 10, true)
	if o.result == nil || o.result.State != "failed" {
		t.Fatalf("result %+v", o.result)
	}
	resp := o.result.Response
	if !strings.Contains(strings.Join(resp.Reasons, ";"), "presentation attack") {
		t.Errorf("reasons %q, want the session's PAD verdict", resp.Reasons)
	}
	th := inference.DefaultThresholds().Spoof
	if resp.SessionSpoofScore == nil || *resp.SessionSpoofScore < th || resp.SessionPADFrames == nil || *resp.SessionPADFrames < liveness.MinPADFrames {
		t.Errorf("session_spoof_score %v over %v frames, want >= %.2f over >= %d", resp.SessionSpoofScore, resp.SessionPADFrames, th, liveness.MinPADFrames)
	}
	code, got := ts.call(t, "GET", "/liveness-api/sessions/"+c.SessionID, tokenA, nil)
	if code != 200 || got["session_spoof_score"] == nil || got["session_pad_frames"] == nil ||
		!strings.Contains(fmt.Sprint(got["reason"]), "presentation attack") {
		t.Errorf("GET the session: %d %v", code, got)
	}
}

// TestSessionPersonSwapFails: the person who passed the first step is not
// the one who shows the second.
func TestSessionPersonSwapFails(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	first := clipFrames(t, "live_mouth_open_640x480_15fps.mjpeg")[:20] // frontal, neutral
	second := clipFrames(t, "live_blink_closed_eyes_640x480_15fps.mjpeg")
	spliced := append(append([][]byte{}, first...), second...)
	c := ts.createSession(t, tokenA, with(sessionBody("swap", "front", "eyes closed"), "step_timeout_ms", 12000))
	o := stream(t, c, spliced, 15, false)
	if o.result == nil || o.result.State != "failed" {
		t.Fatalf("result %+v", o.result)
	}
	rs := o.result.Response.Results
	if !rs[0].Passed || rs[1].Verified || rs[1].Passed {
		t.Errorf("front %+v\neyes closed %+v", rs[0], rs[1])
	}
}

// TestSessionFailsEarly: once success_threshold is out of reach the session
// ends without asking the remaining steps.
func TestSessionFailsEarly(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	// The mouth never opens in the head-pose clip.
	c := ts.createSession(t, tokenA, with(sessionBody("early", "front", "mouth open", "eyes open"),
		"step_timeout_ms", 2000, "spoof_detection", false))
	o := stream(t, c, clipFrames(t, "live_selfie_headpose_480x640_15fps.mjpeg"), 15, true)
	if o.result == nil || o.result.State != "failed" {
		t.Fatalf("result %+v", o.result)
	}
	if n := o.count(protocol.TypePrompt); n != 2 {
		t.Errorf("%d prompts, want 2: the third step cannot change the outcome", n)
	}
	rs := o.result.Response.Results
	if !rs[0].Passed || rs[1].Passed || !strings.Contains(strings.Join(rs[1].Reasons, ";"), "timed out") ||
		!strings.Contains(strings.Join(rs[2].Reasons, ";"), "not asked") {
		t.Errorf("results: %+v", rs)
	}
	_, st := ts.call(t, "GET", "/liveness-api/sessions/"+c.SessionID, tokenA, nil)
	if !strings.Contains(st["reason"].(string), "can no longer be met") {
		t.Errorf("reason: %v", st["reason"])
	}
}

// TestSessionSingleOutlierFrameCannotPass: a "right" step over a stream in
// which one frame in six shows the head turned right never passes (no two
// consecutive sampled frames hold the pose; frames dropped while the server
// is busy would have to drop five in a row to join two), while the turned photo held
// still passes, with the frames that held it in the step result.
func TestSessionSingleOutlierFrameCannotPass(t *testing.T) {
	t.Parallel()
	ts := startServer(t, testConfig(t.TempDir()))
	decode := func(name string) []byte {
		data, err := base64.StdEncoding.DecodeString(photo(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	front, right := decode("fr_kit_harington_john1.jpeg"), decode("fr_kit_harington_john2.jpeg")
	body := with(sessionBody("outlier", "right"), "step_timeout_ms", 3000, "sample_fps", 10, "spoof_detection", false)
	o := stream(t, ts.createSession(t, tokenA, body), [][]byte{front, front, front, front, front, right}, 10, true)
	if o.result == nil || o.result.State != "failed" {
		t.Fatalf("an isolated turned frame passed the step: %+v", o.result)
	}
	o = stream(t, ts.createSession(t, tokenA, body), [][]byte{right}, 10, true)
	if o.result == nil || o.result.State != "passed" {
		t.Fatalf("the turned photo held still: %+v", o.result)
	}
	if r := o.result.Response.Results[0]; len(r.Frames) != 2 || r.Frames[1] <= r.Frames[0] {
		t.Errorf("step result frames %v, want the two sampled frames that held the pose", r.Frames)
	}
}

// TestSessionFlatPrintFails: the printed photo moved about in
// nuaa_print_0001, with spoof detection off, fails on the flat-picture
// check: its landmarks move like one plane.
//
// Not parallel: only frames that still verify as the first frame's face
// count (the tilted print's embedding drifts), and a server loaded by the
// other tests drops frames; at 10 judged frames a second over 15 s it sees
// enough of them.
func TestSessionFlatPrintFails(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	body := with(sessionBody("flat", "front", "up"), "step_timeout_ms", 15000, "sample_fps", 10, "spoof_detection", false)
	o := stream(t, ts.createSession(t, tokenA, body), clipFrames(t, "nuaa_print_0001_640x480_10fps.mjpeg"), 10, true)
	if o.result == nil || o.result.Response == nil || o.result.State != "failed" {
		t.Fatalf("result %+v", o.result)
	}
	resp := o.result.Response
	t.Logf("parallax ratio %v over %v pairs", deref(resp.ParallaxRatio), deref(resp.ParallaxPairs))
	if !strings.Contains(strings.Join(resp.Reasons, ";"), "flat picture") || resp.ParallaxRatio == nil || *resp.ParallaxRatio >= 0.55 {
		t.Errorf("reasons %q, parallax_ratio %v over %v pairs: want the flat-picture reason", resp.Reasons, deref(resp.ParallaxRatio), deref(resp.ParallaxPairs))
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestSessionPhoneReplayFails: with the device check on and spoof detection
// off, a session over a phone held up to the camera fails because a phone
// surrounds the face, however the steps went, while a live phone selfie on
// the same server passes.
func TestSessionPhoneReplayFails(t *testing.T) {
	man, paths := testkit.Models(t)
	icfg := inference.DefaultConfig()
	icfg.Workers, icfg.DeviceCheck = 1, true
	eng, err := inference.New(icfg, man, paths, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ts := startServerWith(t, testConfig(t.TempDir()), eng)
	body := with(sessionBody("phone", "front"), "step_timeout_ms", 4000, "sample_fps", 5, "spoof_detection", false)
	o := stream(t, ts.createSession(t, tokenA, body), clipFrames(t, "camera/video/wingscape_replay_phone_640x360_10fps.mjpeg"), 10, true)
	if o.result == nil || o.result.Response == nil || o.result.State != "failed" {
		t.Fatalf("result %+v", o.result)
	}
	if reasons := strings.Join(o.result.Response.Reasons, "; "); !strings.Contains(reasons, "phone or screen surrounds the face") {
		t.Errorf("reasons %q: want the device reason", reasons)
	}
	live := with(sessionBody("selfie", "front"), "step_timeout_ms", 8000, "sample_fps", 5, "spoof_detection", false)
	o = stream(t, ts.createSession(t, tokenA, live), clipFrames(t, "camera/video/td_live_621ea6b1_headturns_360x480_10fps.mjpeg"), 10, true)
	if o.result == nil || o.result.State != "passed" {
		t.Errorf("live selfie with the device check on: %+v", o.result)
	}
}
