package server

import (
	"image/jpeg"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestSessionCreateRefusals: creation is validated like the batch endpoint.
func TestSessionCreateRefusals(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	ok := sessionBody("s", "front")
	for _, tc := range []struct {
		name    string
		token   string
		body    map[string]any
		status  int
		message string
	}{
		{"no token", "", ok, 401, "access token missing"},
		{"no trx_id", tokenA, with(ok, "trx_id", ""), 400, "trx_id: is required"},
		{"no parameters", tokenA, map[string]any{"trx_id": "s"}, 400, "face_parameters: is required"},
		{"bad parameter", tokenA, with(ok, "face_parameters", []string{"wink"}), 400, `face_parameters[0]: "wink" is not a face parameter`},
		{"images are for the batch endpoint", tokenA, with(ok, "images", []string{"x"}), 400, `unknown field "images"`},
		{"step timeout too short", tokenA, with(ok, "step_timeout_ms", 100), 400, "step_timeout_ms: is 100; want 1000 to 60000"},
		{"sample_fps 0", tokenA, with(ok, "sample_fps", 0), 400, "sample_fps: is 0; want 1 to 30"},
		{"threshold too high", tokenA, with(ok, "success_threshold", 2), 400, "success_threshold: is 2"},
		{"unknown gallery", tokenA, with(ok, "facegallery_id", "nope", "user_id", "u"), 404, "face gallery not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := ts.call(t, "POST", "/liveness-api/sessions", tc.token, tc.body)
			if code != tc.status || out["status"] != strconv.Itoa(tc.status) {
				t.Errorf("%d %v, want %d", code, out, tc.status)
			}
			if msg, _ := out["status_message"].(string); !strings.Contains(msg, tc.message) {
				t.Errorf("status_message %q lacks %q", msg, tc.message)
			}
		})
	}
}

// TestSessionOwnership: only the creating client sees a session and its
// audit images; the owner can download and delete them.
func TestSessionOwnership(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	c := ts.createSession(t, tokenA, sessionBody("own", "front", "mouth open"))
	if !strings.HasPrefix(c.WSURL, "ws://127.0.0.1:") || len(c.Order) != 2 {
		t.Errorf("created: %+v", c)
	}
	if code, st := ts.call(t, "GET", "/liveness-api/sessions/"+c.SessionID, tokenA, nil); code != 200 || st["state"] != "created" || st["liveness"] != nil {
		t.Errorf("before streaming: %d %v", code, st)
	}
	o := stream(t, c, clipFrames(t, "live_mouth_open_640x480_15fps.mjpeg"), 15, true)
	if o.result == nil || o.result.State != "passed" {
		t.Fatalf("result %+v", o.result)
	}

	base := "/liveness-api/sessions/" + c.SessionID
	if code, _ := ts.call(t, "GET", base, tokenB, nil); code != 404 {
		t.Errorf("client B reads client A's session: %d", code)
	}
	if code, _ := ts.call(t, "GET", base+"/images/1", tokenB, nil); code != 404 {
		t.Errorf("client B downloads client A's audit image: %d", code)
	}
	if code, _ := ts.call(t, "DELETE", base+"/images", tokenB, nil); code != 404 {
		t.Errorf("client B deletes client A's audit images: %d", code)
	}

	req, _ := http.NewRequest("GET", ts.url+base+"/images/2", nil)
	req.Header.Set("Accesstoken", tokenA)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(resp.Body)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || img.Bounds().Dx() != 640 {
		t.Errorf("audit image 2: %d %v", resp.StatusCode, err)
	}
	if code, out := ts.call(t, "DELETE", base+"/images", tokenA, nil); code != 200 || out["deleted"] != 2.0 {
		t.Errorf("delete: %d %v", code, out)
	}
	if code, _ := ts.call(t, "GET", base+"/images/2", tokenA, nil); code != 404 {
		t.Errorf("audit image after delete: %d", code)
	}
	// The result survives the images.
	if _, st := ts.call(t, "GET", base, tokenA, nil); st["liveness"] != "passed" || len(st["audit_images"].([]any)) != 0 {
		t.Errorf("after delete: %v", st)
	}
}

// TestSessionsOutliveARestart: a finished session's result is read from the
// database by the next process; one left unfinished is marked cancelled.
func TestSessionsOutliveARestart(t *testing.T) {
	cfg := testConfig(t.TempDir())
	first := startServer(t, cfg)
	done := first.createSession(t, tokenA, sessionBody("before", "front"))
	if o := stream(t, done, clipFrames(t, "live_mouth_open_640x480_15fps.mjpeg"), 15, true); o.result == nil || o.result.State != "passed" {
		t.Fatalf("result %+v", o.result)
	}
	open := first.createSession(t, tokenA, sessionBody("left-open", "front"))
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := startServer(t, cfg)
	if _, st := second.call(t, "GET", "/liveness-api/sessions/"+done.SessionID, tokenA, nil); st["state"] != "passed" || st["liveness"] != "passed" {
		t.Errorf("finished session after restart: %v", st)
	}
	// The first server's shutdown cancelled it; a crash would leave it to the
	// next start, which cancels it with "restarted".
	if _, st := second.call(t, "GET", "/liveness-api/sessions/"+open.SessionID, tokenA, nil); st["state"] != "cancelled" {
		t.Errorf("unfinished session after restart: %v", st)
	}
}

// TestSessionsPerClientLimit: a client at sessions.max_live_per_client gets
// 429 with Retry-After (until its first session expires), and another
// client can still create sessions.
func TestSessionsPerClientLimit(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Sessions.MaxLivePerClient = 2
	ts := startServer(t, cfg)
	for range 2 {
		ts.createSession(t, tokenA, sessionBody("mine", "front"))
	}
	resp := ts.postForHeaders(t, "/liveness-api/sessions", tokenA, sessionBody("one-too-many", "front"))
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 429 || retry < 1 || retry > int(cfg.Sessions.TTL.Seconds()) {
		t.Errorf("third session: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	ts.createSession(t, tokenB, sessionBody("theirs", "front"))
}
