package inference_test

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
)

// newTestEngine starts a CPU engine of its own with the given pool and queue
// sizes, closed when the test ends. These tests are about the pool, so they
// keep it small: each worker loads seven models.
func newTestEngine(t *testing.T, workers, queue int) *inference.Engine {
	t.Helper()
	man, paths := testkit.Models(t)
	cfg := inference.DefaultConfig()
	cfg.Device = inference.DeviceCPU
	cfg.Workers, cfg.QueueSize = workers, queue
	eng, err := inference.New(cfg, man, paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

func samplePhoto(t *testing.T, name string) *image.NRGBA {
	t.Helper()
	return decodeFile(t, filepath.Join(testkit.Shared(t, "testdata/samples"), name))
}

func grayImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{128, 128, 128, 255})
		}
	}
	return img
}

// sameFace fails the test unless a and b are the same measurement of a face.
func sameFace(t *testing.T, what string, a, b *inference.Face) {
	t.Helper()
	if a == nil || b == nil {
		t.Fatalf("%s: face missing (%v, %v)", what, a != nil, b != nil)
	}
	if math.Abs(a.Yaw-b.Yaw) > 1e-6 || math.Abs(a.Pitch-b.Pitch) > 1e-6 || math.Abs(a.Roll-b.Roll) > 1e-6 {
		t.Errorf("%s: pose differs: %v/%v/%v vs %v/%v/%v", what, a.Yaw, a.Pitch, a.Roll, b.Yaw, b.Pitch, b.Roll)
	}
	if a.Box != b.Box {
		t.Errorf("%s: box differs: %+v vs %+v", what, a.Box, b.Box)
	}
	if len(a.Embedding) != len(b.Embedding) || len(a.Embedding) == 0 {
		t.Fatalf("%s: embedding lengths %d and %d", what, len(a.Embedding), len(b.Embedding))
	}
	for i := range a.Embedding {
		if d := math.Abs(float64(a.Embedding[i] - b.Embedding[i])); d > 1e-6 {
			t.Errorf("%s: embedding[%d] differs by %g", what, i, d)
			return
		}
	}
}

func TestEngineIsSafeForConcurrentUse(t *testing.T) {
	eng := newTestEngine(t, 2, 32)
	img := samplePhoto(t, "fr_obama_obama.jpg")
	ref, err := eng.Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Face == nil {
		t.Fatal("no face on the reference run")
	}

	const callers, rounds = 8, 3
	var wg sync.WaitGroup
	results := make([][]*inference.FaceAnalysis, callers)
	errs := make([][]error, callers)
	start := make(chan struct{})
	for c := range callers {
		results[c] = make([]*inference.FaceAnalysis, rounds)
		errs[c] = make([]error, rounds)
		wg.Go(func() {
			<-start
			for r := range rounds {
				results[c][r], errs[c][r] = eng.Analyze(context.Background(), img)
			}
		})
	}
	close(start)
	wg.Wait()
	for c := range callers {
		for r := range rounds {
			if errs[c][r] != nil {
				t.Errorf("caller %d round %d: %v", c, r, errs[c][r])
				continue
			}
			sameFace(t, "concurrent call", ref.Face, results[c][r].Face)
		}
	}
	if img.Rect.Min != (image.Point{}) || img.Rect.Dx() == 0 {
		t.Errorf("input image changed: %v", img.Rect)
	}
}

func TestEngineShedsLoadWithErrBusy(t *testing.T) {
	eng := newTestEngine(t, 1, 1)
	img := samplePhoto(t, "fr_obama_obama.jpg")
	const callers = 20
	errs := make([]error, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		wg.Go(func() {
			<-start
			_, errs[i] = eng.Analyze(context.Background(), img)
		})
	}
	close(start)
	wg.Wait()
	busy, ok := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, inference.ErrBusy):
			busy++
		default:
			t.Errorf("call %d: %v, want nil or ErrBusy", i, err)
		}
	}
	t.Logf("%d succeeded, %d busy", ok, busy)
	if busy == 0 || ok == 0 {
		t.Errorf("%d succeeded and %d got ErrBusy: want at least one of each with 1 worker and a queue of 1", ok, busy)
	}
	if d := eng.QueueDepth(); d != 0 {
		t.Errorf("queue depth %d after every call returned", d)
	}
}

func TestEngineCancelledContext(t *testing.T) {
	eng := newTestEngine(t, 1, 8)
	img := samplePhoto(t, "fr_obama_obama.jpg")

	t.Run("before the call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		fa, err := eng.Analyze(ctx, img)
		if !errors.Is(err, context.Canceled) || fa != nil {
			t.Fatalf("Analyze = %v, %v: want nil, context.Canceled", fa, err)
		}
		fas, err := eng.AnalyzeBatch(ctx, []*image.NRGBA{img, img})
		if !errors.Is(err, context.Canceled) || fas != nil {
			t.Fatalf("AnalyzeBatch = %v, %v: want nil, context.Canceled", fas, err)
		}
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("took %v: a cancelled context must not wait for work", d)
		}
		if n := eng.QueueDepth(); n != 0 {
			t.Errorf("queue depth %d: a cancelled call must not be queued", n)
		}
	})

	t.Run("while queued", func(t *testing.T) {
		// Occupy the single worker and put work in front of ours.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := eng.Analyze(context.Background(), img); err != nil {
					t.Errorf("background call: %v", err)
				}
			})
		}
		defer wg.Wait()
		deadline := time.Now().Add(5 * time.Second)
		for eng.QueueDepth() < 2 {
			if time.Now().After(deadline) {
				t.Fatal("background calls never queued")
			}
			time.Sleep(time.Millisecond)
		}
		ctx, cancel := context.WithCancel(context.Background())
		type res struct {
			fa  *inference.FaceAnalysis
			err error
		}
		done := make(chan res, 1)
		go func() {
			fa, err := eng.Analyze(ctx, img)
			done <- res{fa, err}
		}()
		time.Sleep(20 * time.Millisecond)
		cancelled := time.Now()
		cancel()
		select {
		case r := <-done:
			if !errors.Is(r.err, context.Canceled) || r.fa != nil {
				t.Errorf("Analyze = %v, %v: want nil, context.Canceled", r.fa, r.err)
			}
			if d := time.Since(cancelled); d > time.Second {
				t.Errorf("returned %v after cancel, want < 1s", d)
			}
		case <-time.After(time.Second):
			t.Fatal("Analyze did not return within 1s of its context being cancelled")
		}
	})
}

func TestAnalyzeBatchKeepsOrder(t *testing.T) {
	eng := newTestEngine(t, 2, 8)
	a := samplePhoto(t, "fr_obama_obama.jpg")
	b := samplePhoto(t, "fr_biden_biden.jpg")
	fas, err := eng.AnalyzeBatch(context.Background(), []*image.NRGBA{a, b, a})
	if err != nil {
		t.Fatal(err)
	}
	if len(fas) != 3 {
		t.Fatalf("%d results for 3 images", len(fas))
	}
	for i, fa := range fas {
		if fa == nil || fa.Face == nil {
			t.Fatalf("result %d: no face", i)
		}
	}
	sameFace(t, "results 0 and 2 (same photo)", fas[0].Face, fas[2].Face)
	if fas[1].Face.Box == fas[0].Face.Box {
		t.Errorf("result 1 (another photo) has the same box as result 0: %+v", fas[1].Face.Box)
	}
	if fas[0].Width != a.Rect.Dx() || fas[1].Width != b.Rect.Dx() {
		t.Errorf("widths %d, %d: want %d, %d", fas[0].Width, fas[1].Width, a.Rect.Dx(), b.Rect.Dx())
	}
}

func TestEngineClose(t *testing.T) {
	man, paths := testkit.Models(t)             // fetched once per binary: not the engine's to leak
	img := samplePhoto(t, "fr_biden_biden.jpg") // decoded before the snapshot, likewise
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	cfg := inference.DefaultConfig()
	cfg.Device, cfg.Workers, cfg.QueueSize = inference.DeviceCPU, 2, 4
	eng, err := inference.New(cfg, man, paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close() // on an early failure; Close is idempotent
	fa, err := eng.Analyze(context.Background(), img)
	if err != nil || fa.Face == nil {
		t.Fatalf("before Close: %v, %v", fa, err)
	}

	// Close with work queued: the running image finishes, the queued ones
	// are answered with ErrClosed, and nobody is left waiting.
	const callers = 6
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { _, errs[i] = eng.Analyze(context.Background(), img) })
	}
	deadline := time.Now().Add(5 * time.Second)
	for eng.QueueDepth() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	eng.Close()
	wg.Wait()
	closed := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, inference.ErrClosed):
			closed++
		case err != nil && !errors.Is(err, inference.ErrBusy):
			t.Errorf("call %d during Close: %v, want nil, ErrBusy or ErrClosed", i, err)
		}
	}
	if closed == 0 {
		t.Errorf("no queued call was answered with ErrClosed: %v", errs)
	}
	if _, err := eng.Analyze(context.Background(), img); !errors.Is(err, inference.ErrClosed) {
		t.Errorf("Analyze after Close: %v, want ErrClosed", err)
	}
	if _, err := eng.AnalyzeBatch(context.Background(), []*image.NRGBA{img}); !errors.Is(err, inference.ErrClosed) {
		t.Errorf("AnalyzeBatch after Close: %v, want ErrClosed", err)
	}
	done := make(chan struct{})
	go func() {
		eng.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("second Close did not return")
	}
}

func TestNoFaceIsNotAnError(t *testing.T) {
	eng := newTestEngine(t, 1, 4)
	fa, err := eng.Analyze(context.Background(), grayImage(640, 480))
	if err != nil {
		t.Fatal(err)
	}
	if fa.Faces != 0 || fa.Face != nil {
		t.Errorf("plain gray image: Faces=%d, Face=%+v: want 0, nil", fa.Faces, fa.Face)
	}
	if fa.Width != 640 || fa.Height != 480 {
		t.Errorf("size %dx%d, want 640x480", fa.Width, fa.Height)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := inference.DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig: %v", err)
	}
	cfg := inference.DefaultConfig()
	cfg.Device = "tpu"
	cfg.Workers = 0
	cfg.Thresholds.Spoof = 1.5
	cfg.Thresholds.FrontYaw = 30 // above TurnYaw 20
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{`device "tpu"`, "workers 0", "thresholds.spoof 1.5", "front_yaw"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 4 {
		t.Errorf("%d problems reported, want 4:\n%v", n, err)
	}
	man, paths := testkit.Models(t)
	if _, err := inference.New(cfg, man, paths, nil); err == nil || !strings.Contains(err.Error(), `device "tpu"`) {
		t.Errorf("New with an invalid config: %v", err)
	}
}

// A batch larger than the free queue is refused whole: no image of it takes a
// slot that another caller could have used.
func TestAnalyzeBatchIsAllOrNothing(t *testing.T) {
	eng := newTestEngine(t, 1, 2)
	img := samplePhoto(t, "fr_obama_obama.jpg")
	_, err := eng.AnalyzeBatch(context.Background(), []*image.NRGBA{img, img, img})
	if !errors.Is(err, inference.ErrBusy) {
		t.Fatalf("batch of 3 into a queue of 2: %v, want ErrBusy", err)
	}
	if d := eng.QueueDepth(); d != 0 {
		t.Errorf("queue depth %d after a refused batch, want 0", d)
	}
	if _, err := eng.AnalyzeBatch(context.Background(), []*image.NRGBA{img, img}); err != nil {
		t.Errorf("batch of 2 into an empty queue of 2: %v", err)
	}
}

// An operator whose licence rules out a model runs without it: only the
// configured PAD models are loaded and scored, in the configured order.
func TestOnlyTheConfiguredPADModelsRun(t *testing.T) {
	man, paths := testkit.Models(t)
	img := samplePhoto(t, "fr_obama_obama.jpg")
	for _, models := range [][]string{{inference.PADFaceplugin}, {inference.PADMiniFASNet, inference.PADCelebA}} {
		cfg := inference.DefaultConfig()
		cfg.Device, cfg.Workers = inference.DeviceCPU, 1
		cfg.PAD.Models = models
		eng, err := inference.New(cfg, man, paths, nil)
		if err != nil {
			t.Fatal(err)
		}
		fa, err := eng.Analyze(context.Background(), img)
		eng.Close()
		if err != nil || fa.Face == nil {
			t.Fatalf("%v: analyze: %v", models, err)
		}
		var got []string
		for _, s := range fa.Face.PAD {
			got = append(got, s.Model)
			if s.Spoof < 0 || s.Spoof > 0.5 {
				t.Errorf("%v: %s scores a real press photo %.3f", models, s.Model, s.Spoof)
			}
		}
		if strings.Join(got, ",") != strings.Join(models, ",") {
			t.Errorf("configured %v, scored %v", models, got)
		}
	}
}

func TestPADConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		models []string
		want   string
	}{
		{nil, "at least one"},
		{[]string{"faceplugin", "faceplugin"}, "listed twice"},
		{[]string{"faceplug"}, `unknown model "faceplug"`},
	} {
		err := inference.PADConfig{Models: tc.models}.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.models, err, tc.want)
		}
	}
}

// TestPartialAnalysis: when Want.Full says no, the face keeps its pose, eyes
// and mouth but gets no PAD scores, mask score or embedding; when it says
// yes, it gets everything, as Analyze does.
func TestPartialAnalysis(t *testing.T) {
	eng := newTestEngine(t, 1, 2)
	img := samplePhoto(t, "fr_obama_obama.jpg")
	full, err := eng.Analyze(context.Background(), img)
	if err != nil || full.Face == nil {
		t.Fatal(err)
	}
	for _, worth := range []bool{false, true} {
		fa, err := eng.AnalyzeWith(context.Background(), img, inference.Want{Full: func(*inference.Face) bool { return worth }})
		if err != nil || fa.Face == nil {
			t.Fatal(err)
		}
		f := fa.Face
		if f.Yaw != full.Face.Yaw || f.LeftEyeOpenness != full.Face.LeftEyeOpenness || f.MouthRatio != full.Face.MouthRatio {
			t.Errorf("worth %v: pose, eyes or mouth differ from the full analysis", worth)
		}
		if got := !f.Partial && f.Embedding != nil && f.PAD != nil; got != worth {
			t.Errorf("worth %v: partial %v, embedding %d, PAD %v", worth, f.Partial, len(f.Embedding), f.PAD)
		}
	}
}
