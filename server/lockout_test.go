package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestFailedChecksLockTheUserOut: five failed checks for one user_id (an
// impostor's photo against the enrolled face) lock that user out with 429
// and Retry-After, for batches and new sessions alike; the backend sees the
// state, and another user is unaffected.
func TestFailedChecksLockTheUserOut(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Lockout.MaxFailures = 5
	ts := startServer(t, cfg)
	for _, body := range []map[string]any{
		{"trx_id": "l1", "facegallery_id": "kyc"},
		{"trx_id": "l2", "facegallery_id": "kyc", "user_id": "obama", "image": photo(t, "fr_obama_obama.jpg")},
		{"trx_id": "l3", "facegallery_id": "kyc", "user_id": "biden", "image": photo(t, "fr_biden_biden.jpg")},
	} {
		path := "/face-api/facegallery/create-facegallery"
		if body["image"] != nil {
			path = "/face-api/facegallery/enroll-face"
		}
		if code, out := ts.call(t, "POST", path, tokenA, body); code != 200 {
			t.Fatalf("%s: %d %v", path, code, out)
		}
	}
	impostor := with(batch(t, "attempt", "fr_kit_harington_john1.jpeg", "front"), "facegallery_id", "kyc", "user_id", "obama")
	for i := range 5 {
		if code, out := ts.call(t, "POST", "/liveness-api/verify-face-liveness", tokenA, impostor); code != 200 || out["liveness"] != "failed" {
			t.Fatalf("attempt %d: %d %v", i+1, code, out)
		}
	}
	resp := ts.postForHeaders(t, "/liveness-api/verify-face-liveness", tokenA, impostor)
	if retry, _ := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != 429 || retry < 29*60 || retry > 30*60 {
		t.Errorf("sixth attempt: %d, Retry-After %q; want 429 for the 30 min lockout", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	code, created := ts.call(t, "POST", "/liveness-api/sessions", tokenA, with(sessionBody("s", "front"), "facegallery_id", "kyc", "user_id", "obama"))
	if code != 429 {
		t.Errorf("a session for the locked user: %d %v, want 429", code, created)
	}
	code, st := ts.call(t, "GET", "/liveness-api/lockout?user_id=obama", tokenA, nil)
	if code != 200 || st["locked"] != true || st["locked_until"] == nil {
		t.Errorf("lockout state: %d %v", code, st)
	}
	other := with(batch(t, "other", "fr_biden_biden2.jpg", "front"), "facegallery_id", "kyc", "user_id", "biden")
	if code, out := ts.call(t, "POST", "/liveness-api/verify-face-liveness", tokenA, other); code != 200 {
		t.Errorf("another user: %d %v", code, out)
	}
}

// TestFailedChecksLockTheDeviceOut: a device_id is counted as a user_id is,
// on its own: five failed checks (a frontal photo asked to turn left) lock
// that device out of batches and sessions, while the same photo from no
// named device is still judged.
func TestFailedChecksLockTheDeviceOut(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	wrongTurn := with(batch(t, "turn", "fr_obama_obama.jpg", "left"), "device_id", "phone-1")
	for i := range 5 {
		if code, out := ts.call(t, "POST", "/liveness-api/verify-face-liveness", tokenA, wrongTurn); code != 200 || out["liveness"] != "failed" {
			t.Fatalf("attempt %d: %d %v", i+1, code, out)
		}
	}
	code, out := ts.call(t, "POST", "/liveness-api/verify-face-liveness", tokenA, wrongTurn)
	if msg, _ := out["status_message"].(string); code != 429 || !strings.Contains(msg, "device_id") {
		t.Errorf("sixth attempt: %d %v; want 429 naming the device_id", code, out)
	}
	if code, out := ts.call(t, "POST", "/liveness-api/sessions", tokenA, with(sessionBody("s", "front"), "device_id", "phone-1")); code != 429 {
		t.Errorf("a session from the locked device: %d %v, want 429", code, out)
	}
	if code, out := ts.call(t, "POST", "/liveness-api/verify-face-liveness", tokenA, batch(t, "no-device", "fr_obama_obama.jpg", "left")); code != 200 {
		t.Errorf("no device named: %d %v, want 200", code, out)
	}
	code, st := ts.call(t, "GET", "/liveness-api/lockout?device_id=phone-1", tokenA, nil)
	if code != 200 || st["locked"] != true || st["device_id"] != "phone-1" {
		t.Errorf("lockout state: %d %v", code, st)
	}
	if code, st := ts.call(t, "GET", "/liveness-api/lockout?device_id=phone-1&user_id=x", tokenA, nil); code != 400 {
		t.Errorf("both ids: %d %v, want 400", code, st)
	}
}

// TestTokenGuessesAreLimited: after 10 wrong secrets within a minute,
// /oauth/token refuses that client_id and that address with 429 before
// checking the secret (each check is a bcrypt verification), even the right
// secret, until the minute is over.
func TestTokenGuessesAreLimited(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	try := func(secret string) *http.Response {
		t.Helper()
		resp, err := http.PostForm(ts.url+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {oauthID}, "client_secret": {secret}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 10 {
		if resp := try("wrong-guess"); resp.StatusCode != 401 {
			t.Fatalf("guess %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := try(oauthSecret)
	if retry, _ := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != 429 || retry < 1 || retry > 60 {
		t.Errorf("the right secret after 10 guesses: %d, Retry-After %q; want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
