package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livenessd/livenessd/internal/testkit"
)

// serverProcess is `livenessd serve` in a child process, so that it can be
// signalled and restarted.
type serverProcess struct{ *testkit.Server }

// startServe serves dataDir with the OAuth client "backend" whose secret
// hash is given.
func startServe(t *testing.T, dataDir, secretHash string) serverProcess {
	t.Helper()
	return serverProcess{testkit.StartLivenessd(t, dataDir, []string{"LIVENESS_OAUTH_CLIENTS=backend:" + secretHash}, "--workers", "1")}
}

func (p serverProcess) post(t *testing.T, token, path string, body map[string]any) map[string]any {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", p.URL+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accesstoken", token)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s: %d %v %v", path, resp.StatusCode, out, err)
	}
	return out
}

// backendSecret is the secret of the OAuth client "backend".
const backendSecret = "backend-secret-0123456789"

// hashSecret is `livenessd hash-secret` of secret, checked to be bcrypt.
func hashSecret(t *testing.T, secret string) string {
	t.Helper()
	cmd := exec.Command(testkit.LivenessdBinary(t), "hash-secret")
	cmd.Stdin = strings.NewReader(secret + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hash-secret: %v", err)
	}
	hash := strings.TrimSpace(string(out))
	if !strings.HasPrefix(hash, "$2a$") {
		t.Fatalf("hash-secret printed %q, want a bcrypt hash", hash)
	}
	return hash
}

// photo is a sample photo, base64-encoded for a request.
func photo(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(sample(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(data)
}

// oauthToken exchanges the client credentials for a token.
func (p serverProcess) oauthToken(t *testing.T, secret string) string {
	t.Helper()
	resp, err := http.PostForm(p.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"backend"}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return out.AccessToken
}

// TestServeRestart: a face enrolled before a SIGTERM is there after a
// restart, and a token issued before it is still valid (the signing key is
// kept in the data dir). The OAuth client is configured with the output of
// `livenessd hash-secret`.
func TestServeRestart(t *testing.T) {
	cliEnv(t)
	dataDir := t.TempDir()
	hash := hashSecret(t, backendSecret)

	first := startServe(t, dataDir, hash)
	token := first.oauthToken(t, backendSecret)
	first.post(t, token, "/face-api/facegallery/create-facegallery", map[string]any{"trx_id": "r1", "facegallery_id": "kyc"})
	first.post(t, token, "/face-api/facegallery/enroll-face", map[string]any{"trx_id": "r2", "facegallery_id": "kyc",
		"user_id": "obama", "image": photo(t, "fr_obama_obama.jpg")})
	first.Stop(t)

	second := startServe(t, dataDir, hash)
	verdict := second.post(t, token, "/face-api/facegallery/verify-face", map[string]any{"trx_id": "r3", "facegallery_id": "kyc",
		"user_id": "obama", "image": photo(t, "fr_obama_obama2.jpg")})
	if verdict["verified"] != true {
		t.Errorf("after restart: %v", verdict)
	}
	second.Stop(t)
	for _, f := range []string{"livenessd.db", "oauth-signing.key"} {
		if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
			t.Errorf("data dir lacks %s: %v", f, err)
		}
	}
}

// TestServeRefusesBadConfiguration: configuration mistakes stop serve before
// anything starts, with exit 2 and every problem named.
func TestServeRefusesBadConfiguration(t *testing.T) {
	t.Setenv("LIVENESS_API_TOKENS", "")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("adr: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"serve"}, []string{"LIVENESS_API_TOKENS"}},
		{[]string{"serve", "--config", bad}, []string{"field adr not found"}},
		{[]string{"serve", "--workers", "0", "--log-level", "loud"}, []string{"workers 0", `log_level "loud"`}},
		{[]string{"serve", "--workers", "many"}, []string{"invalid value"}},
		{[]string{"serve", "extra"}, []string{"usage: livenessd serve"}},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, stderr)
			}
		}
	}
}

// TestSessionCutByACrashReadsBackCancelled: sessions unfinished when the
// server is killed (kill -9) answer 200 after the restart, as cancelled with
// the restart as their reason and a result in the documented shape.
func TestSessionCutByACrashReadsBackCancelled(t *testing.T) {
	cliEnv(t)
	dataDir := t.TempDir()
	first := serverProcess{testkit.StartLivenessd(t, dataDir, nil, "--workers", "1")}
	created := first.post(t, testkit.LivenessdToken, "/liveness-api/sessions",
		map[string]any{"trx_id": "crash", "face_parameters": []string{"front", "left"}})
	id, _ := created["session_id"].(string)
	first.Kill(t)

	second := serverProcess{testkit.StartLivenessd(t, dataDir, nil, "--workers", "1")}
	defer second.Stop(t)
	req, _ := http.NewRequest("GET", second.URL+"/liveness-api/sessions/"+id, nil)
	req.Header.Set("Accesstoken", testkit.LivenessdToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET the cut session: %d %v %v", resp.StatusCode, got, err)
	}
	results, _ := got["results"].(map[string]any)
	if got["state"] != "cancelled" || !strings.Contains(fmt.Sprint(got["reason"]), "restarted") ||
		got["liveness"] != "failed" || len(results) != 2 {
		t.Errorf("after the crash: %v", got)
	}
}
