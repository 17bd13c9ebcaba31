package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/livenessd/livenessd/auth"
	"github.com/livenessd/livenessd/config"
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/store/sqlite"
)

// Two clients with static tokens, and one OAuth client.
const (
	tokenA      = "client-a-token-0123456789"
	tokenB      = "client-b-token-0123456789"
	oauthID     = "backend"
	oauthSecret = "backend-secret-0123456789abcdef"
)

var (
	engineOnce sync.Once
	engine     *inference.Engine
	engineErr  error
)

// sharedEngine loads the real models once for the whole package.
func sharedEngine(t testing.TB) *inference.Engine {
	t.Helper()
	man, paths := testkit.Models(t)
	engineOnce.Do(func() {
		cfg := inference.DefaultConfig()
		cfg.Workers = 2
		engine, engineErr = inference.New(cfg, man, paths, quietLog())
	})
	if engineErr != nil {
		t.Fatalf("engine: %v", engineErr)
	}
	return engine
}

func TestMain(m *testing.M) {
	code := m.Run()
	if engine != nil {
		engine.Close()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goroutine leak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

func quietLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testServer is a real server on a loopback port with a real store.
type testServer struct {
	url    string
	key    []byte
	cfg    config.Config
	cancel context.CancelFunc
	done   chan error
}

// testConfig has small limits so the size tests stay fast.
func testConfig(dir string) config.Config {
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Limits.MaxImageBytes = 1 << 20
	cfg.Limits.MaxBodyBytes = 8 << 20
	cfg.ShutdownTimeout = 20 * time.Second
	return cfg
}

func startServer(t testing.TB, cfg config.Config) *testServer {
	t.Helper()
	return startServerWith(t, cfg, sharedEngine(t))
}

// startServerWith serves with an engine of the test's own.
func startServerWith(t testing.TB, cfg config.Config, eng Analyzer) *testServer {
	t.Helper()
	st, err := sqlite.Open(cfg.StorePath(), sqlite.WithMaxBytes(cfg.Store.MaxBytes))
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.LoadOrCreateKey(cfg.SigningKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(oauthSecret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	au, err := auth.New(map[string]string{tokenA: "client-a", tokenB: "client-b"},
		[]auth.Client{{ID: oauthID, SecretHash: string(hash)}}, key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{url: "http://" + ln.Addr().String(), key: key, cfg: cfg, cancel: cancel, done: make(chan error, 1)}
	srv, err := New(cfg, eng, st, au, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		st.Close()
	})
	return ts
}

// stop shuts the server down gracefully; calling it twice is harmless.
func (ts *testServer) stop() error {
	ts.cancel()
	select {
	case err, ok := <-ts.done:
		if ok {
			close(ts.done)
		}
		return err
	case <-time.After(30 * time.Second):
		return errors.New("server did not stop within 30 s")
	}
}

var client = &http.Client{Timeout: 60 * time.Second}

// call sends body (JSON-encoded unless it is already []byte) with the token
// and returns the status and decoded JSON body.
func (ts *testServer) call(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	return ts.do(t, method, path, token, "application/json", body)
}

func (ts *testServer) do(t *testing.T, method, path, token, contentType string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" && rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Accesstoken", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, out
}

var (
	photoMu sync.Mutex
	photos  = map[string]string{}
)

// photo is a sample photo from ../shared/testdata/samples, base64-encoded.
func photo(t testing.TB, name string) string {
	t.Helper()
	photoMu.Lock()
	defer photoMu.Unlock()
	if b, ok := photos[name]; ok {
		return b
	}
	data, err := os.ReadFile(filepath.Join(testkit.Shared(t, "testdata/samples"), name))
	if err != nil {
		t.Fatal(err)
	}
	photos[name] = base64.StdEncoding.EncodeToString(data)
	return photos[name]
}

// batch builds a verify-face-liveness body; pairs are photo, parameter.
func batch(t testing.TB, trx string, pairs ...string) map[string]any {
	t.Helper()
	var imgs, params []string
	for i := 0; i < len(pairs); i += 2 {
		imgs = append(imgs, photo(t, pairs[i]))
		params = append(params, pairs[i+1])
	}
	return map[string]any{"trx_id": trx, "images": imgs, "face_parameters": params}
}

func with(body map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(body)+len(kv)/2)
	for k, v := range body {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// postForHeaders posts body as JSON and returns the answer with its headers
// (Retry-After, say); the body is closed.
func (ts *testServer) postForHeaders(t *testing.T, path, token string, body any) *http.Response {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", ts.url+path, bytes.NewReader(data))
	req.Header.Set("Accesstoken", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}
