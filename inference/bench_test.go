package inference

import (
	"context"
	"fmt"
	"image"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/models"
)

// benchPhoto is a 640x480 webcam frame with one face, the size of a camera
// frame in a live session.
const benchPhoto = "testdata/faces/spoof/nuaa_real_0001_00_00_01_253.jpg"

func benchImage(b *testing.B) ([]byte, *image.NRGBA) {
	data, err := os.ReadFile(filepath.Join(testkit.Shared(b, filepath.Dir(benchPhoto)), filepath.Base(benchPhoto)))
	if err != nil {
		b.Fatal(err)
	}
	img, err := Decode(data, DefaultDecodeLimits)
	if err != nil {
		b.Fatal(err)
	}
	if img.Rect.Dx() != 640 || img.Rect.Dy() != 480 {
		b.Fatalf("bench photo is %v, want 640x480", img.Rect.Size())
	}
	return data, img
}

// BenchmarkPipeline times every stage of one face on one CPU pipeline, then
// the same model calls on their already-filled input tensors (raw ONNX
// Runtime time), so the pipeline's own overhead is visible. threads=1 is one
// pool worker of the default config; threads=2 is the latency of one image
// given both cores.
func BenchmarkPipeline(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) { benchPipeline(b, threads) })
	}
}

func benchPipeline(b *testing.B, threads int) {
	man, paths := testkit.Models(b)
	if err := initRuntime(paths.Runtime); err != nil {
		b.Fatal(err)
	}
	opts, _, _, err := sessionOptions(DeviceCPU, threads)
	if err != nil {
		b.Fatal(err)
	}
	p, err := newPipeline(man, paths, opts, DefaultConfig(), mustCanon(b, paths))
	opts.Destroy()
	if err != nil {
		b.Fatal(err)
	}
	defer p.close()
	data, _ := benchImage(b)

	stages := map[string][]time.Duration{}
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		img, err := Decode(data, DefaultDecodeLimits)
		decode := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		fa, err := p.analyze(img, Want{Screen: true})
		if err != nil || fa.Face == nil {
			b.Fatalf("analyze: %v (face %v)", err, fa != nil && fa.Face != nil)
		}
		t := fa.Timings
		for name, d := range map[string]time.Duration{"decode": decode, "detect": t.Detect, "mesh": t.Mesh,
			"iris x2": t.Iris, "pad": t.Spoof, "mask": t.Mask, "embed": t.Embed, "pipeline": t.Total} {
			stages[name] = append(stages[name], d)
		}
	}
	b.StopTimer()

	// The inputs still hold the last image's tensors: run the models alone.
	raw := map[string][]time.Duration{}
	calls := []struct {
		stage  string
		models []*model
	}{
		{"detect", []*model{p.detector}}, {"mesh", []*model{p.mesh}}, {"iris x2", []*model{p.iris, p.iris}},
		{"pad", slices.Collect(maps.Values(p.pad))}, {"mask", []*model{p.mask}}, {"embed", []*model{p.embed}},
	}
	for range b.N {
		var total time.Duration
		for _, c := range calls {
			t0 := time.Now()
			for _, m := range c.models {
				if err := m.run(); err != nil {
					b.Fatal(err)
				}
			}
			d := time.Since(t0)
			raw[c.stage] = append(raw[c.stage], d)
			total += d
		}
		raw["pipeline"] = append(raw["pipeline"], total)
	}

	var out strings.Builder
	fmt.Fprintf(&out, "\n640x480 photo, CPU, 1 worker x %d intra-op threads, %d runs\n", threads, b.N)
	fmt.Fprintf(&out, "%-10s %9s %9s %11s %9s\n", "stage", "p50 ms", "p95 ms", "raw p50 ms", "overhead")
	for _, name := range []string{"decode", "detect", "mesh", "iris x2", "pad", "mask", "embed", "pipeline"} {
		p50, p95 := percentile(stages[name], 50), percentile(stages[name], 95)
		if r := raw[name]; r != nil {
			r50 := percentile(r, 50)
			fmt.Fprintf(&out, "%-10s %9.2f %9.2f %11.2f %8.2fx\n", name, ms(p50), ms(p95), ms(r50), float64(p50)/float64(r50))
		} else {
			fmt.Fprintf(&out, "%-10s %9.2f %9.2f %11s %9s\n", name, ms(p50), ms(p95), "-", "-")
		}
	}
	if b.N > 1 { // skip the 1-iteration probe run the testing package makes first
		fmt.Print(out.String())
	}
	full, rawFull := percentile(stages["pipeline"], 50), percentile(raw["pipeline"], 50)
	b.ReportMetric(ms(full), "pipeline-p50-ms")
	b.ReportMetric(ms(percentile(stages["pipeline"], 95)), "pipeline-p95-ms")
	b.ReportMetric(ms(rawFull), "raw-p50-ms")
	b.ReportMetric(float64(full)/float64(rawFull), "overhead-x")
}

// BenchmarkThroughput measures faces per second through the Engine's pool
// with one and two workers, all cores busy.
func BenchmarkThroughput(b *testing.B) {
	man, paths := testkit.Models(b)
	_, img := benchImage(b)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Device, cfg.Workers = DeviceCPU, workers
			e, err := New(cfg, man, paths, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			ctx := context.Background()
			var wg sync.WaitGroup
			next := make(chan struct{})
			b.ResetTimer()
			start := time.Now()
			for range 2 * workers { // enough callers to keep every worker fed
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range next {
						if _, err := e.Analyze(ctx, img); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for range b.N {
				next <- struct{}{}
			}
			close(next)
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "faces/s")
		})
	}
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mustCanon(tb testing.TB, paths models.Paths) *canonicalFace {
	c, err := loadCanonicalFace(paths.Data[models.RoleCanonicalFace])
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
