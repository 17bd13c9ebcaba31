package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/store/sqlite"
)

// TestBusyAnswers503: a batch that does not fit the inference queue is shed
// at once with 503 and Retry-After, not queued without bound.
func TestBusyAnswers503(t *testing.T) {
	man, paths := testkit.Models(t)
	cfg := inference.DefaultConfig()
	cfg.Workers, cfg.QueueSize = 1, 1
	eng, err := inference.New(cfg, man, paths, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ts := startServerWith(t, testConfig(t.TempDir()), eng)
	code, out := ts.call(t, "POST", "/liveness-api/verify-face-liveness", tokenA,
		batch(t, "busy", "fr_rose_leslie_img1.jpg", "front", "fr_rose_leslie_img2.jpg", "front"))
	if code != 503 || out["status"] != "503" || !strings.Contains(out["status_message"].(string), "retry") {
		t.Errorf("%d %v", code, out)
	}
	// One image fits and is judged.
	mustLiveness(t, ts, tokenA, batch(t, "fits", "fr_rose_leslie_img1.jpg", "front"), "passed")
}

// TestRequestTimeoutAnswers504: work past request_timeout is abandoned.
func TestRequestTimeoutAnswers504(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.RequestTimeout = time.Millisecond
	ts := startServer(t, cfg)
	code, out := ts.call(t, "POST", "/liveness-api/verify-face-liveness", tokenA,
		batch(t, "slow", "fr_rose_leslie_img1.jpg", "front", "fr_rose_leslie_img2.jpg", "front"))
	if code != 504 || out["status"] != "504" || out["trx_id"] != "slow" {
		t.Errorf("%d %v", code, out)
	}
}

// TestKeepPhotos: photos are stored only when configured, upright as JPEG.
func TestKeepPhotos(t *testing.T) {
	for _, keep := range []bool{false, true} {
		cfg := testConfig(t.TempDir())
		cfg.Store.KeepPhotos = keep
		ts := startServer(t, cfg)
		for _, step := range []struct {
			path string
			body map[string]any
		}{
			{"create-facegallery", map[string]any{"trx_id": "k1", "facegallery_id": "g"}},
			{"enroll-face", map[string]any{"trx_id": "k2", "facegallery_id": "g", "user_id": "rose", "image": photo(t, "fr_rose_leslie_img1.jpg")}},
		} {
			if code, out := ts.call(t, "POST", "/face-api/facegallery/"+step.path, tokenA, step.body); code != 200 {
				t.Fatalf("%s: %d %v", step.path, code, out)
			}
		}
		db, err := sqlite.Open(cfg.StorePath())
		if err != nil {
			t.Fatal(err)
		}
		face, err := db.Face(context.Background(), "client-a", "g", "rose")
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(face.Embedding) != 128 {
			t.Errorf("keep_photos %v: embedding has %d values, want 128", keep, len(face.Embedding))
		}
		switch {
		case !keep && face.Photo != nil:
			t.Errorf("keep_photos false stored a %d-byte photo", len(face.Photo))
		case keep:
			if _, err := jpeg.Decode(bytes.NewReader(face.Photo)); err != nil {
				t.Errorf("keep_photos true: stored photo is not a JPEG: %v", err)
			}
		}
	}
}

// TestConnectionLimit: connections past limits.max_connections are answered
// 503 at once and closed, and a slot frees when a connection closes.
func TestConnectionLimit(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MaxConnections = 16
	ts := startServer(t, cfg)
	addr := strings.TrimPrefix(ts.url, "http://")
	var idle []net.Conn
	for range 16 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	start := time.Now()
	resp, err := client.Get(ts.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || time.Since(start) > 2*time.Second {
		t.Errorf("17th connection: %d after %v, want a quick 503", resp.StatusCode, time.Since(start))
	}
	idle[0].Close()
	time.Sleep(100 * time.Millisecond)
	if resp, err := client.Get(ts.url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("after one closed: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	for _, c := range idle[1:] {
		c.Close()
	}
}

// TestTrickledBodyEndsAtTheRequestTimeout: a body sent a byte a second is cut
// off at request_timeout, not held for minutes.
func TestTrickledBodyEndsAtTheRequestTimeout(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.RequestTimeout = time.Second
	ts := startServer(t, cfg)
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /liveness-api/verify-face-liveness HTTP/1.1\r\nHost: x\r\nAccesstoken: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", tokenA)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(io.Discard, c) // until the server answers and closes, or gives up on the body
	}()
	for {
		select {
		case <-done:
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("connection held %v", d)
			}
			return
		case <-time.After(time.Second):
			if time.Since(start) > 10*time.Second {
				t.Fatal("a trickled body held the connection 10 s with request_timeout 1 s")
			}
			c.Write([]byte(" "))
		}
	}
}

// TestSecurityHeaders: JSON answers and the pages are neither sniffed nor
// framed by another site.
func TestSecurityHeaders(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, path := range []string{"/healthz", "/", "/liveness-api/nope"} {
		resp, err := client.Get(ts.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
	}
	// The pages run under a policy without 'unsafe-inline', so they hold no
	// inline script or style: each is a file the policy allows.
	inline := regexp.MustCompile(`<script>|<script type="module">|<style|\son[a-z]+=|style="`)
	for _, page := range []string{"/", "/batch.html"} {
		resp, err := client.Get(ts.url + page)
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q", page, csp)
		}
		if m := inline.Find(html); m != nil {
			t.Errorf("%s holds inline %q", page, m)
		}
		for _, m := range regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllSubmatch(html, -1) {
			asset, err := client.Get(ts.url + string(m[1]))
			if err != nil {
				t.Fatal(err)
			}
			asset.Body.Close()
			if asset.StatusCode != 200 {
				t.Errorf("%s: %s answers %d", page, m[1], asset.StatusCode)
			}
		}
	}
}

// TestStorageFullAnswers507: when the store is full (store.max_bytes here,
// a full disk in production) writes answer 507 with a clear message,
// /readyz turns not ready, and reads and deletes still work.
func TestStorageFullAnswers507(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Store.MaxBytes, cfg.Store.KeepPhotos = 1<<20, true
	ts := startServer(t, cfg)
	if code, out := ts.call(t, "POST", "/face-api/facegallery/create-facegallery", tokenA, map[string]any{"trx_id": "f1", "facegallery_id": "full"}); code != 200 {
		t.Fatalf("create gallery: %d %v", code, out)
	}
	code, out := 0, map[string]any{}
	n := 0
	for ; n < 40; n++ {
		code, out = ts.call(t, "POST", "/face-api/facegallery/enroll-face", tokenA, map[string]any{"trx_id": "f2", "facegallery_id": "full",
			"user_id": fmt.Sprintf("u%d", n), "image": photo(t, "fr_obama_obama.jpg")})
		if code != 200 {
			break
		}
	}
	if code != 507 || !strings.Contains(fmt.Sprint(out["status_message"]), "storage is full") {
		t.Fatalf("after %d enrolments into 1 MB: %d %v, want 507", n, code, out)
	}
	if code, out := ts.call(t, "GET", "/readyz", "", nil); code != 503 || out["status"] != "storage full" {
		t.Errorf("readyz on a full store: %d %v", code, out)
	}
	if code, out := ts.call(t, "POST", "/face-api/facegallery/list-faces", tokenA, map[string]any{"trx_id": "f3", "facegallery_id": "full"}); code != 200 {
		t.Errorf("reading a full store: %d %v", code, out)
	}
	if code, out := ts.call(t, "DELETE", "/face-api/facegallery/delete-facegallery", tokenA, map[string]any{"trx_id": "f4", "facegallery_id": "full"}); code != 200 {
		t.Errorf("deleting in a full store: %d %v", code, out)
	}
	if code, out := ts.call(t, "GET", "/readyz", "", nil); code != 200 {
		t.Errorf("readyz after freeing space: %d %v", code, out)
	}
}

// TestOverloadRefusedBeforeTheBody: once the requests with images in flight
// fill the gate, the next is answered 503 before a byte of its body is read,
// so that refusals under overload cost next to nothing. Its body here never
// comes: only a refusal that does not read it can answer.
func TestOverloadRefusedBeforeTheBody(t *testing.T) {
	cfg := testConfig(t.TempDir())
	ts := startServerWith(t, cfg, roomyQueue{untilCancelled{sharedEngine(t)}})
	body, err := json.Marshal(batch(t, "held", "fr_obama_obama.jpg", "front"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var held sync.WaitGroup
	for range gateSize(cfg.Inference.Workers) {
		held.Go(func() {
			// Refused while an attempt below holds a place: try again, so
			// that the held requests end up filling the gate.
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "POST", ts.url+"/liveness-api/verify-face-liveness", bytes.NewReader(body))
				req.Header.Set("Accesstoken", tokenA)
				resp, err := client.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	defer held.Wait()
	defer cancel()
	// Until the held requests are all in, an attempt may enter the gate
	// itself; it gives up after a second and the next one is tried. The
	// request is written by hand: it declares a body it never sends.
	addr := strings.TrimPrefix(ts.url, "http://")
	deadline := time.Now().Add(15 * time.Second)
	for ; ; time.Sleep(100 * time.Millisecond) { // leaves the held requests room to retry first
		status := headersOnly(t, addr, "POST /liveness-api/verify-face-liveness HTTP/1.1\r\nHost: x\r\nAccesstoken: "+tokenA+
			"\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
		if status == http.StatusServiceUnavailable {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 503 before the body within 15 s (last status %d)", status)
		}
	}
}

// roomyQueue reports room in the queue whatever the shared engine holds:
// parallel tests fill that engine's queue, which would refuse the held
// requests before they reach the gate.
type roomyQueue struct{ untilCancelled }

func (roomyQueue) QueueFree() int { return 64 }

// headersOnly writes a request's head to addr and returns the answer's
// status, or 0 when none came within a second.
func headersOnly(t *testing.T, addr, head string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestClientRateLimit: a client over limits.client_burst requests at once
// gets 429 with Retry-After; another client is not slowed by it.
func TestClientRateLimit(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.ClientRate, cfg.Limits.ClientBurst = 0.5, 3
	ts := startServer(t, cfg)
	for i := range 3 {
		if code, out := ts.call(t, "GET", "/face-api/facegallery/my-facegalleries", tokenA, nil); code != 200 {
			t.Fatalf("request %d: %d %v", i+1, code, out)
		}
	}
	req, _ := http.NewRequest("GET", ts.url+"/face-api/facegallery/my-facegalleries", nil)
	req.Header.Set("Accesstoken", tokenA)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("fourth request at once: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if code, out := ts.call(t, "GET", "/face-api/facegallery/my-facegalleries", tokenB, nil); code != 200 {
		t.Errorf("the other client: %d %v", code, out)
	}
}
