package server

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livenessd/livenessd/inference"
)

// TestGracefulShutdown: a request whose body is still arriving when shutdown
// begins is finished and answered; new connections are refused meanwhile.
func TestGracefulShutdown(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	body, err := json.Marshal(batch(t, "drain", "fr_rose_leslie_img1.jpg", "front", "fr_rose_leslie_img2.jpg", "front"))
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", ts.url+"/liveness-api/verify-face-liveness", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accesstoken", tokenA)
	type reply struct {
		status int
		body   string
		err    error
	}
	replies := make(chan reply, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			replies <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		replies <- reply{resp.StatusCode, string(b), err}
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	// Shut down only once the handler runs: a connection still in the
	// listener's backlog would be reset when the listener closes.
	waitInFlight(t, ts, 2) // the liveness request and the scrape itself

	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop() }()
	addr := strings.TrimPrefix(ts.url, "http://")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break // the listener is closed: shutdown has begun
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 10 s after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}

	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	select {
	case r := <-replies:
		if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"liveness":"passed"`) {
			t.Fatalf("in-flight request: status %d, err %v, body %.300s", r.status, r.err, r.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("in-flight request not answered within 30 s")
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown did not finish")
	}
}

// waitInFlight waits until n requests are in flight.
func waitInFlight(t *testing.T, ts *testServer, n int) {
	t.Helper()
	waitMetric(t, ts, "livenessd_http_requests_in_flight "+strconv.Itoa(n)+"\n")
}

// waitMetric polls /metrics until it holds line, and returns that scrape.
func waitMetric(t *testing.T, ts *testServer, line string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(ts.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		text, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(text), line) {
			return string(text)
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw %q in /metrics", strings.TrimSpace(line))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClientGoneIsNotAServerError: a client that leaves mid-request is
// counted as 499, not as a 5xx. The engine waits for the request to end, so
// the client is sure to leave first on any machine.
func TestClientGoneIsNotAServerError(t *testing.T) {
	ts := startServerWith(t, testConfig(t.TempDir()), untilCancelled{sharedEngine(t)})
	body, err := json.Marshal(batch(t, "gone", "fr_obama_obama.jpg", "front"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.url+"/liveness-api/verify-face-liveness", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accesstoken", tokenA)
	time.AfterFunc(200*time.Millisecond, cancel)
	if _, err := client.Do(req); err == nil {
		t.Fatal("the request finished before the client left")
	}
	text := waitMetric(t, ts, `livenessd_http_requests_total{code="499",method="POST",route="/liveness-api/verify-face-liveness"} 1`)
	if strings.Contains(text, `code="500"`) {
		t.Error("a 500 was counted as well")
	}
}

// untilCancelled is an engine whose batches take until the request ends.
type untilCancelled struct{ Analyzer }

func (u untilCancelled) AnalyzeBatch(ctx context.Context, _ []*image.NRGBA) ([]*inference.FaceAnalysis, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
