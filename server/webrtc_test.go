package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// offer makes a browser-like SDP offer with pion: optionally a VP8 camera
// track, and the "liveness" data channel.
func offer(t *testing.T, video bool) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if video {
		track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "camera")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTrack(track); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pc.CreateDataChannel("liveness", nil); err != nil {
		t.Fatal(err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	return pc.LocalDescription().SDP
}

// postOffer sends an offer and returns the status and body.
func postOffer(t *testing.T, ts *testServer, id, token, contentType, sdp string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.url+"/liveness-api/sessions/"+id+"/webrtc", strings.NewReader(sdp))
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestWebRTCRefusals: every bad offer gets a clear HTTP error and leaves the
// session usable; a good offer is answered once, and a second is refused.
func TestWebRTCRefusals(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	c := ts.createSession(t, tokenA, sessionBody("rtc", "front"))
	other := ts.createSession(t, tokenA, sessionBody("rtc-other", "front"))
	good := offer(t, true)
	for _, tc := range []struct {
		name, token, contentType, sdp string
		status                        int
		message                       string
	}{
		{"no token", "", "application/sdp", good, 401, "session token missing"},
		{"wrong token", "nope", "application/sdp", good, 401, "session token invalid"},
		{"other session's token", other.SessionToken, "application/sdp", good, 401, "session token invalid"},
		{"not SDP", c.SessionToken, "application/sdp", "hello, I am not SDP", 400, "not SDP"},
		{"JSON instead of SDP", c.SessionToken, "application/json", `{"sdp": "v=0"}`, 415, "application/sdp"},
		{"no video", c.SessionToken, "application/sdp", offer(t, false), 400, "no video stream"},
		{"huge offer", c.SessionToken, "application/sdp", strings.Repeat("a", 100<<10), 413, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := postOffer(t, ts, c.SessionID, tc.token, tc.contentType, tc.sdp)
			var e errorBody
			json.Unmarshal([]byte(body), &e)
			if code != tc.status || !strings.Contains(e.StatusMessage, tc.message) {
				t.Errorf("%d %q, want %d with %q", code, body, tc.status, tc.message)
			}
		})
	}

	code, answer := postOffer(t, ts, c.SessionID, c.SessionToken, "application/sdp", good)
	if code != http.StatusCreated || !strings.HasPrefix(answer, "v=0") || !strings.Contains(answer, "VP8/90000") {
		t.Fatalf("good offer: %d %.200q", code, answer)
	}
	if code, body := postOffer(t, ts, c.SessionID, c.SessionToken, "application/sdp", offer(t, true)); code != http.StatusConflict {
		t.Errorf("second offer: %d %s, want 409", code, body)
	}
	// The server is still healthy.
	if code, _ := ts.call(t, "GET", "/readyz", "", nil); code != 200 {
		t.Errorf("readyz after the refusals: %d", code)
	}
}

// TestCrossOriginSDK: a page on another origin may load the SDK and post its
// offer (CORS), and nothing else is opened up.
func TestCrossOriginSDK(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	req, _ := http.NewRequest("OPTIONS", ts.url+"/liveness-api/sessions/ses_x/webrtc", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	for path, shared := range map[string]bool{
		"/sdk/livenessd.js":                  true,
		"/liveness-api/verify-face-liveness": false,
	} {
		resp, err := client.Get(ts.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin") == "*"; got != shared {
			t.Errorf("%s: shared with any origin %v, want %v", path, got, shared)
		}
	}
	head, err := client.Head(ts.url + "/sdk/livenessd.js")
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != 200 {
		t.Errorf("HEAD /sdk/livenessd.js: %d", head.StatusCode)
	}
}
