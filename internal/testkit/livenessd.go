package testkit

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// LivenessdToken is the static API token (client "test") of servers started
// by Livenessd.
const LivenessdToken = "testkit-token-0123456789"

var (
	buildOnce sync.Once
	serverBin string
	buildErr  error
)

// Livenessd runs `livenessd serve` as a real process on a loopback port,
// with the verified models and a fresh data dir, until the test ends (then
// SIGTERM, which must exit 0). It returns the base URL. Clients tested
// against it share nothing with the server but the wire.
func Livenessd(t *testing.T, args ...string) string {
	t.Helper()
	Models(t) // the verified cache the server reads
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "livenessd-bin")
		if err != nil {
			buildErr = err
			return
		}
		serverBin = filepath.Join(dir, "livenessd")
		if out, err := exec.Command("go", "build", "-o", serverBin, "github.com/livenessd/livenessd/cmd/livenessd").CombinedOutput(); err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		t.Fatalf("building livenessd: %v", buildErr)
	}
	cmd := exec.Command(serverBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "LIVENESS_API_TOKENS=test:"+LivenessdToken,
		"LIVENESS_MODEL_CACHE="+filepath.Join(Root(), "models", "cache"),
		"LIVENESS_MODEL_MIRROR="+Shared(t, "models"), "LIVENESS_ORT_LIB=")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("livenessd exited with %v after SIGTERM, want 0", err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Error("livenessd did not stop within 30 s of SIGTERM")
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "livenessd listening on "); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("livenessd did not start within 60 s")
	}
	return ""
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }
