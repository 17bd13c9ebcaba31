package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
)

// benchPhotos are the 8 images of the benchmark request.
var benchPhotos = []string{
	"fr_kit_harington_john1.jpeg", "fr_kit_harington_john2.jpeg", "fr_rose_leslie_img1.jpg", "fr_rose_leslie_img2.jpg",
	"fr_obama_obama.jpg", "fr_obama_obama2.jpg", "fr_biden_biden.jpg", "silentface_T1_real.jpg",
}

// pipelineP50 is the pipeline-only median of this run, for the REST overhead.
var pipelineP50 time.Duration

// BenchmarkREST compares an 8-image verify-face-liveness request over HTTP
// (JSON, base64, auth, judging, response) with the pipeline alone on the same
// 8 images (JPEG decoding and the models), in the same run.
func BenchmarkREST(b *testing.B) {
	dir := testkit.Shared(b, "testdata/samples")
	raws := make([][]byte, len(benchPhotos))
	b64s := make([]string, len(benchPhotos))
	for i, name := range benchPhotos {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		raws[i], b64s[i] = data, base64.StdEncoding.EncodeToString(data)
	}
	eng := sharedEngine(b)

	b.Run("pipeline", func(b *testing.B) {
		lat := measure(b, 1, func() error {
			imgs, err := decodeAll(raws)
			if err == nil {
				_, err = eng.AnalyzeBatch(context.Background(), imgs)
			}
			return err
		})
		pipelineP50 = lat
	})

	ts := startServer(b, testConfig(b.TempDir()))
	params := slices.Repeat([]string{"front"}, len(b64s))
	body, err := json.Marshal(map[string]any{"trx_id": "bench", "images": b64s, "face_parameters": params, "success_threshold": 1})
	if err != nil {
		b.Fatal(err)
	}
	post := func() error {
		req, _ := http.NewRequest("POST", ts.url+"/liveness-api/verify-face-liveness", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accesstoken", tokenA)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return &apiError{resp.StatusCode, "unexpected status"}
		}
		return nil
	}
	for _, c := range []int{1, 4} {
		b.Run(fmt.Sprintf("rest/concurrency=%d", c), func(b *testing.B) {
			p50 := measure(b, c, post)
			if c == 1 && pipelineP50 > 0 {
				b.ReportMetric(100*(float64(p50)/float64(pipelineP50)-1), "overhead-%")
			}
		})
	}
}

// measure runs fn b.N times from c goroutines and reports p50, p95 and
// requests per second; it returns the median.
func measure(b *testing.B, c int, fn func() error) time.Duration {
	var mu sync.Mutex
	var lat []time.Duration
	next := make(chan struct{})
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				t0 := time.Now()
				if err := fn(); err != nil {
					b.Error(err)
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	p50, p95 := lat[len(lat)/2], lat[(len(lat)*95)/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	return p50
}

// decodeAll decodes in parallel, as the server does.
func decodeAll(raws [][]byte) ([]*image.NRGBA, error) {
	imgs := make([]*image.NRGBA, len(raws))
	errs := make([]error, len(raws))
	var wg sync.WaitGroup
	for i, data := range raws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			imgs[i], errs[i] = inference.Decode(data, inference.DefaultDecodeLimits)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return imgs, nil
}

// overloadFor is how long BenchmarkOverload keeps 40 requests in flight.
var overloadFor = flag.Duration("overload", 60*time.Second, "BenchmarkOverload: how long concurrency 40 lasts (concurrency 2 gets a third of it)")

// overloadPhotos are the phone selfies of each BenchmarkOverload request:
// 4 images per request, as the abuse probe sent.
var overloadPhotos = []string{"td_selfie_621ea6ad.jpg", "td_selfie_621ea6b1.jpg", "td_selfie_621f73fc.jpg", "td_selfie_621f7558.jpg"}

// BenchmarkOverload is the abuse probe's overload, run for a fixed time at
// concurrency 2 (the reference) and then 40: judged images/s, the share of
// the reference kept under overload, the refusals' p95 and any 504. It runs
// once whatever -benchtime says: make bench calls it with -benchtime 1x.
func BenchmarkOverload(b *testing.B) {
	dir := testkit.Shared(b, "testdata/camera/photos/live")
	b64s := make([]string, len(overloadPhotos))
	for i, name := range overloadPhotos {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		b64s[i] = base64.StdEncoding.EncodeToString(data)
	}
	body, err := json.Marshal(map[string]any{"trx_id": "overload", "images": b64s,
		"face_parameters": slices.Repeat([]string{"front"}, len(b64s)), "success_threshold": 1})
	if err != nil {
		b.Fatal(err)
	}
	ts := startServer(b, testConfig(b.TempDir()))
	reference := overload(b, ts.url, body, 2, *overloadFor/3)
	loaded := overload(b, ts.url, body, 40, *overloadFor)
	refRate := reference.imagesPerSecond(len(b64s))
	rate := loaded.imagesPerSecond(len(b64s))
	b.ReportMetric(refRate, "images/s@2")
	b.ReportMetric(rate, "images/s@40")
	b.ReportMetric(100*rate/refRate, "kept-%")
	b.ReportMetric(loaded.refusedP95(), "refused-p95-ms")
	b.ReportMetric(float64(loaded.statuses[http.StatusGatewayTimeout]), "504s")
	b.Logf("concurrency 2: %v; concurrency 40: %v", reference.statuses, loaded.statuses)
	for _, run := range []overloadRun{reference, loaded} {
		for status, n := range run.statuses {
			if status != http.StatusOK && !refusal(status) {
				b.Errorf("%d answers of status %d (only 200, 429 and 503 are right under overload)", n, status)
			}
		}
	}
}

// refusal is an answer that turns a request away under overload: 503 (the
// node is full) or 429 (this client is over limits.client_rate; the
// benchmark's 40 senders share one client).
func refusal(status int) bool {
	return status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests
}

// overloadRun is what one phase of BenchmarkOverload saw.
type overloadRun struct {
	elapsed  time.Duration
	statuses map[int]int
	refused  []time.Duration // latency of each refusal
}

func (o overloadRun) imagesPerSecond(perRequest int) float64 {
	return float64(o.statuses[http.StatusOK]*perRequest) / o.elapsed.Seconds()
}

func (o overloadRun) refusedP95() float64 {
	if len(o.refused) == 0 {
		return 0
	}
	slices.Sort(o.refused)
	return float64(o.refused[len(o.refused)*95/100].Microseconds()) / 1000
}

// overload posts body from c goroutines, each sending its next request as
// soon as its last one is answered, for d.
func overload(b *testing.B, url string, body []byte, c int, d time.Duration) overloadRun {
	run := overloadRun{statuses: map[int]int{}}
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequest("POST", url+"/liveness-api/verify-face-liveness", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accesstoken", tokenA)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				run.statuses[resp.StatusCode]++
				if refusal(resp.StatusCode) {
					run.refused = append(run.refused, time.Since(t0))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	return run
}
