package server

import (
	"context"
	"fmt"
	"image"
	"net/http"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
)

// errPixelsBusy is a 503: the images in flight across all requests fill
// limits.max_pixels_in_flight, and this request's did not fit in time.
var errPixelsBusy = errStatus(http.StatusServiceUnavailable, "the server is busy decoding other images; retry shortly")

// decodeImages decodes base64 images in parallel (a 12-megapixel JPEG takes
// ~100 ms of one core) and reports the first bad one by field(i), the name
// the request gave it ("images[2]", "image").
// Memory is bounded before a pixel is decoded: every header is read first,
// the request's pixels must fit limits.max_request_pixels, and they take
// their share of limits.max_pixels_in_flight until release is called (after
// the analysis, which still holds the images).
func (s *Server) decodeImages(ctx context.Context, encoded []string, field func(i int) string) (imgs []*image.NRGBA, release func(), err error) {
	// held gives back what this call holds so far; every failure below
	// calls it (a return sets the named results first, so not release).
	held, err := s.admit(len(encoded))
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			held()
		}
	}()
	files := make([][]byte, len(encoded))
	total := 0
	for i, b64 := range encoded {
		data, err := liveness.ImageBytes(b64, s.cfg.Limits.MaxImageBytes)
		var n int
		if err == nil {
			n, err = inference.Size(data, s.decode)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", field(i), err)
		}
		files[i], total = data, total+n
	}
	if total > s.cfg.Limits.MaxRequestPixels {
		return nil, nil, errStatus(http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"the images hold %d pixels together; at most %d per request (send fewer or smaller images)", total, s.cfg.Limits.MaxRequestPixels))
	}
	unreserve, err := s.reservePixels(ctx, total)
	if err != nil {
		return nil, nil, err
	}
	unadmit := held
	held = func() { unreserve(); unadmit() }
	imgs = make([]*image.NRGBA, len(files))
	errs := make([]error, len(files))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, data := range files {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, nil, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			imgs[i], errs[i] = inference.Decode(data, s.decode)
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != nil {
			return nil, nil, fmt.Errorf("%s: %w", field(i), e)
		}
	}
	return imgs, held, nil
}

// gateSize is how many requests with images may be in flight at once per
// inference worker set (their bodies read, parsed, decoded, queued or
// analysed). Under overload a refusal must cost next to nothing: before the
// gate, 40 clients retrying 4-image requests drew ~140 503s/s, each parsing a
// 650 kB body, and judged 5.7 images/s against 17.6 at concurrency 2.
func gateSize(workers int) int { return 4 * workers }

// gate answers 503 before a byte of the body is read when the requests with
// images in flight already keep the workers busy (gateSize); the rest wait
// for their turn in the engine's queue, which admit keeps from overflowing.
func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.imaging <- struct{}{}:
		default:
			// Closing is what lets the answer go without reading the body
			// (net/http would otherwise try to drain up to 256 kB of it).
			w.Header().Set("Connection", "close")
			writeError(w, r, inference.ErrBusy)
			return
		}
		defer func() { <-s.imaging }()
		next.ServeHTTP(w, r)
	})
}

// admit takes n images' places among those the analysis can hold (the
// engine's queue plus its workers), or answers inference.ErrBusy at once.
// Requests are refused before a pixel is decoded: under overload a 503 must
// be quick, and decoding images that cannot be queued would take the cores
// the admitted requests need. Without it, 40 concurrent 4-image requests
// judged 1.6-3.6 images/s against 11.7 at concurrency 2, and their 503s took
// 1.6-2.7 s. Session frames share the queue, so the engine's free space is
// checked too (and AnalyzeBatch still has the last word).
func (s *Server) admit(n int) (func(), error) {
	if n > s.engine.QueueFree() || !s.admitted.TryAcquire(int64(n)) {
		return nil, inference.ErrBusy
	}
	return releaseOnce(s.admitted, n), nil
}

// releaseOnce gives n back to sem the first time it is called.
func releaseOnce(sem *semaphore.Weighted, n int) func() {
	var once sync.Once
	return func() { once.Do(func() { sem.Release(int64(n)) }) }
}

// pixelWait is how long a request waits for room in the pixel budget before
// a 503: long enough for a batch ahead of it to finish (a 40 MP photo
// decodes and is judged in about a second here), short enough that an
// overloaded server answers quickly.
const pixelWait = 2 * time.Second

// reservePixels takes n pixels of the in-flight budget, waiting up to
// pixelWait while other requests hold it: then errPixelsBusy, or ctx's own
// error when the request itself ended first.
func (s *Server) reservePixels(ctx context.Context, n int) (func(), error) {
	wait, cancel := context.WithTimeout(ctx, pixelWait)
	defer cancel()
	if err := s.pixels.Acquire(wait, int64(n)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errPixelsBusy
	}
	return releaseOnce(s.pixels, n), nil
}
