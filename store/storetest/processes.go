package storetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livenessd/livenessd/store"
)

// Helper processes are told what to do through the environment; the
// address variable's presence is what makes HelperProcess run.
const (
	helperAddrEnv = "LIVENESSD_STORETEST_ADDR"
	helperRoleEnv = "LIVENESSD_STORETEST_ROLE" // "crash" or "writer:N"
)

// raceSessions is how many sessions the writers of testTwoProcesses both
// try to finish.
const raceSessions = 20

// HelperProcess is the second process of the tests that need one; a
// backend's TestHelperProcess calls it, and it skips unless a test of the
// suite started it.
func HelperProcess(t *testing.T, b Backend) {
	addr := os.Getenv(helperAddrEnv)
	if addr == "" {
		t.Skip("run by the store contract's multi-process tests")
	}
	// Bounded, in case the parent died without killing it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	db, err := b.Open(addr)
	Must(t, err)
	defer db.Close()
	role := os.Getenv(helperRoleEnv)
	if role == "crash" {
		photo := make([]byte, 16<<10)
		for i := 0; ctx.Err() == nil; i++ {
			user := fmt.Sprintf("user-%06d", i)
			Must(t, db.EnrollFace(ctx, store.Face{ClientID: "acme", GalleryID: "staff", UserID: user,
				Embedding: userEmbedding(user), Photo: photo}))
			// os.Stdout is unbuffered: the line is in the pipe when Printf returns.
			fmt.Printf("committed %s\n", user)
		}
		return
	}
	var p int
	if _, err := fmt.Sscanf(role, "writer:%d", &p); err != nil {
		t.Fatalf("%s %q: %v", helperRoleEnv, role, err)
	}
	// Both writers start together: the parent answers "ready" once both
	// have opened the store.
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("waiting for the start: %v", err)
	}
	// The two walk the sessions from opposite ends, so that they meet.
	for k := range raceSessions {
		i := k
		if p == 1 {
			i = raceSessions - 1 - k
		}
		err := db.FinishSession(ctx, fmt.Sprint("race-", i), store.SessionPassed, fmt.Sprint("process ", p), nil, time.Time{})
		switch {
		case err == nil:
			fmt.Printf("won race-%d\n", i)
		case !errors.Is(err, store.ErrSessionFinished):
			t.Fatal(err)
		}
	}
	Must(t, worker(ctx, db, fmt.Sprintf("process-%d", p), 100+p, writerOps))
}

// writerOps is how many faces each writer of testTwoProcesses enrols.
const writerOps = 30

// helper starts the test binary again as a helper process with role; its
// standard input is start.
func helper(ctx context.Context, t *testing.T, addr, role string, start io.Reader) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
	t.Helper()
	// CommandContext kills the helper should it stall.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperAddrEnv+"="+addr, helperRoleEnv+"="+role)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdin = start
	stdout, err := cmd.StdoutPipe()
	Must(t, err)
	Must(t, cmd.Start())
	return cmd, bufio.NewScanner(stdout), &stderr
}

// testTwoProcesses runs two writer processes on one database at once: both
// enrol into a shared gallery and their own, and both try to finish the
// same sessions. Every write lands and each session is finished once.
func (b Backend) testTwoProcesses(t *testing.T) {
	ctx, addr := Ctx(t), b.NewDatabase(t)
	db := b.open(t, addr)
	Must(t, db.CreateGallery(ctx, "acme", "shared"))
	for i := range raceSessions {
		Must(t, db.CreateSession(ctx, NewSession(fmt.Sprint("race-", i))))
	}
	var wg sync.WaitGroup
	won := make([][]string, 2)
	ready := make(chan struct{}, len(won))
	startR, startW := io.Pipe()
	for p := range won {
		cmd, lines, stderr := helper(ctx, t, addr, fmt.Sprint("writer:", p), startR)
		wg.Go(func() {
			if lines.Scan() && lines.Text() == "ready" {
				ready <- struct{}{}
			}
			for lines.Scan() {
				if id, ok := strings.CutPrefix(lines.Text(), "won "); ok {
					won[p] = append(won[p], id)
				}
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("writer %d: %v\n%s", p, err, stderr)
			}
		})
	}
	for range won {
		select {
		case <-ready:
		case <-ctx.Done():
			t.Fatal("the writers never got ready")
		}
	}
	// One line each: a read of the shared pipe takes one write.
	for range won {
		_, err := io.WriteString(startW, "go\n")
		Must(t, err)
	}
	Must(t, startW.Close())
	wg.Wait()
	if n := len(won[0]) + len(won[1]); n != raceSessions {
		t.Errorf("writers won %d and %d finishes of %d sessions", len(won[0]), len(won[1]), raceSessions)
	}
	for p, ids := range won {
		for _, id := range ids {
			s, err := db.Session(ctx, id)
			Must(t, err)
			if s.Reason != fmt.Sprint("process ", p) {
				t.Errorf("%s: won by process %d, stored reason %q", id, p, s.Reason)
			}
		}
	}
	list, err := db.Faces(ctx, "acme", "shared")
	Must(t, err)
	if want := 2 * (writerOps - (writerOps+2)/3); len(list) != want {
		t.Errorf("shared gallery holds %d faces, want %d", len(list), want)
	}
	t.Logf("two writer processes: %d and %d session finishes won, %d shared faces", len(won[0]), len(won[1]), len(list))
}

// testCrashDurability kills a writing process with SIGKILL mid-stream and
// checks that the database is intact and holds every enrolment the writer
// saw committed.
func (b Backend) testCrashDurability(t *testing.T) {
	// About five SQLite pages a commit: enough that its WAL passes the
	// 1000-page auto-checkpoint, so the kill may land in one.
	const commits = 500
	ctx, addr := Ctx(t), b.NewDatabase(t)
	db, err := b.Open(addr)
	Must(t, err)
	Must(t, db.CreateGallery(ctx, "acme", "staff"))
	Must(t, db.Close())

	cmd, lines, stderr := helper(ctx, t, addr, "crash", nil)
	var committed []string
	for lines.Scan() {
		user, ok := strings.CutPrefix(lines.Text(), "committed ")
		if !ok {
			continue
		}
		committed = append(committed, user)
		if len(committed) == commits {
			Must(t, cmd.Process.Kill())
		}
	}
	// Reading on to EOF collects what the writer reported before it died.
	err = cmd.Wait()
	if len(committed) < commits {
		t.Fatalf("writer reported %d commits, then exited (%v):\n%s", len(committed), err, stderr)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != -1 {
		t.Fatalf("writer did not die of the kill: %v", err)
	}
	if b.Intact != nil {
		b.Intact(t, addr)
	}
	db = b.open(t, addr)
	for _, user := range committed {
		f, err := db.Face(ctx, "acme", "staff", user)
		if err != nil {
			t.Fatalf("%s, reported committed, is lost: %v", user, err)
		}
		if !sameBits(f.Embedding, userEmbedding(user)) {
			t.Fatalf("%s came back with another embedding", user)
		}
	}
	list, err := db.Faces(ctx, "acme", "staff")
	Must(t, err)
	// The writer may have committed one more that it had no time to report.
	if n := len(list); n != len(committed) && n != len(committed)+1 {
		t.Errorf("%d faces stored, writer reported %d commits", n, len(committed))
	}
	t.Logf("%d commits reported, %d stored", len(committed), len(list))
}

// userEmbedding gives each user of the writer a distinct embedding that the
// parent can recompute.
func userEmbedding(user string) []float32 {
	h := fnv.New32a()
	h.Write([]byte(user))
	return Embedding(128, float32(h.Sum32()%1000))
}
