package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/internal/testkit/pgtest"
)

// nodeLease is the sessions.lease of the two-node test: short, so that a
// lost node's sessions end within seconds.
const nodeLease = 3 * time.Second

// startNode serves node id on its own loopback port, on the PostgreSQL
// database dsn, with its own public URL and data dir.
func startNode(t *testing.T, id, dsn string) serverProcess {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "livenessd.yaml")
	yaml := fmt.Sprintf("sessions:\n  lease: %v\n  public_url: http://%s\n", nodeLease, addr)
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return serverProcess{testkit.StartLivenessd(t, filepath.Join(dir, "data"), []string{
		"LIVENESS_OAUTH_CLIENTS=backend:" + hashSecret(t, backendSecret),
		"LIVENESS_API_TOKENS=other:other-client-token-0123456789",
	}, "--workers", "1", "--addr", addr, "--config", conf,
		"--store-driver", "postgres", "--store-dsn", dsn, "--node-id", id)}
}

// get is a GET with token, decoded.
func (p serverProcess) get(t *testing.T, token, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", p.URL+path, nil)
	req.Header.Set("Accesstoken", token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestTwoNodesOnOnePostgres runs two `livenessd serve` processes on one
// PostgreSQL database: what one node writes the other reads, a token one
// issues the other accepts, a stream sent to the wrong node is refused with
// the owner's name, and a killed node's sessions end as "node lost" within
// the lease.
func TestTwoNodesOnOnePostgres(t *testing.T) {
	cliEnv(t)
	dsn := pgtest.NewDatabase(t)
	a := startNode(t, "node-a", dsn)
	b := startNode(t, "node-b", dsn)

	// A token issued by A works on B; a gallery enrolled on A verifies on B.
	token := a.oauthToken(t, backendSecret)
	a.post(t, token, "/face-api/facegallery/create-facegallery", map[string]any{"trx_id": "n1", "facegallery_id": "kyc"})
	a.post(t, token, "/face-api/facegallery/enroll-face", map[string]any{"trx_id": "n2", "facegallery_id": "kyc",
		"user_id": "obama", "image": photo(t, "fr_obama_obama.jpg")})
	verdict := b.post(t, token, "/face-api/facegallery/verify-face", map[string]any{"trx_id": "n3", "facegallery_id": "kyc",
		"user_id": "obama", "image": photo(t, "fr_obama_obama2.jpg")})
	if verdict["verified"] != true {
		t.Errorf("verify on B of a face enrolled on A: %v", verdict)
	}

	// A session created on A streams to A and reads back from B.
	created := a.post(t, token, "/liveness-api/sessions", map[string]any{"trx_id": "n4", "face_parameters": []string{"front"}})
	id, _ := created["session_id"].(string)
	wsURL, _ := created["ws_url"].(string)
	if !strings.HasPrefix(wsURL, strings.Replace(a.URL, "http://", "ws://", 1)+"/") {
		t.Errorf("ws_url %q does not point at node A (%s)", wsURL, a.URL)
	}
	if code, got := b.get(t, token, "/liveness-api/sessions/"+id); code != 200 || got["state"] != "created" {
		t.Errorf("B reading A's session: %d %v", code, got)
	}
	// Client isolation holds across nodes.
	if code, _ := b.get(t, "other-client-token-0123456789", "/liveness-api/sessions/"+id); code != 404 {
		t.Errorf("another client reading the session on B: %d, want 404", code)
	}

	// The stream sent to B is refused, naming A.
	wrong := strings.Replace(wsURL, strings.TrimPrefix(a.URL, "http://"), strings.TrimPrefix(b.URL, "http://"), 1)
	ctx := t.Context()
	c, resp, err := websocket.Dial(ctx, wrong+"?session_token="+fmt.Sprint(created["session_token"]), nil)
	if err == nil {
		c.CloseNow()
		t.Fatal("B accepted the stream of A's session")
	}
	if resp == nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("stream to B: %v, %v; want 421", resp, err)
	}
	var refusal map[string]any
	json.NewDecoder(resp.Body).Decode(&refusal)
	if msg := fmt.Sprint(refusal["status_message"]); !strings.Contains(msg, `"node-a"`) || !strings.Contains(msg, a.URL) {
		t.Errorf("refusal does not name the owner: %v", refusal)
	}

	// The testclient streams a session to A (it creates it and follows its
	// ws_url); B reads the result.
	clip := filepath.Join(testkit.Shared(t, "testdata/video"), "live_mouth_open_640x480_15fps.mjpeg")
	run := exec.Command(testkit.Binary(t, "github.com/livenessd/livenessd/testclient"), "ws", "--server", a.URL,
		"--token", token, "--source", clip, "--fps", "15", "--loop", "--params", "front", "--step-timeout", "20s")
	var stderr strings.Builder
	run.Stderr = &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("testclient ws against node A: %v\n%s", err, stderr.String())
	}
	streamed := regexp.MustCompile(`session (ses_[0-9a-f]+) in`).FindStringSubmatch(stderr.String())
	if streamed == nil {
		t.Fatalf("testclient named no session:\n%s", stderr.String())
	}
	if code, got := b.get(t, token, "/liveness-api/sessions/"+streamed[1]); code != 200 ||
		got["state"] != "passed" || got["liveness"] != "passed" {
		t.Errorf("B reading the session streamed to A: %d %v", code, got)
	}

	// A dies; B ends its session as lost within the lease and a sweep.
	a.Kill(t)
	killed := time.Now()
	deadline := killed.Add(nodeLease*4/3 + 2*time.Second)
	for {
		code, got := b.get(t, token, "/liveness-api/sessions/"+id)
		if code == 200 && got["state"] == "cancelled" {
			if got["reason"] != "node lost" || got["liveness"] != "failed" {
				t.Errorf("the lost session reads %v", got)
			}
			t.Logf("node A killed: its session ended as %q after %v (lease %v)", got["reason"], time.Since(killed).Round(100*time.Millisecond), nodeLease)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after node A was killed its session is %v", time.Since(killed), got["state"])
		}
		time.Sleep(200 * time.Millisecond)
	}
}
