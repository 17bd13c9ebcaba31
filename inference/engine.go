// Package inference owns the face pipeline: decoding images, running the ONNX
// models (detection, landmarks, eyes, anti-spoofing, mask, embedding) through
// ONNX Runtime in a pool of workers, and turning their outputs into a
// FaceAnalysis of measurements: boxes, angles, lid and lip gaps, mask and PAD
// probabilities, embeddings. It decides nothing: every pass/fail rule, and
// the thresholds of Thresholds other than detection and pose bias, belong to
// the liveness judge. It knows nothing of HTTP, sessions or face parameters.
package inference

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/livenessd/livenessd/models"
)

var (
	// ErrBusy means the queue is full; the caller should shed load (HTTP 503).
	ErrBusy = errors.New("inference queue is full")
	// ErrClosed means the engine is shutting down.
	ErrClosed = errors.New("inference engine closed")
)

// Engine is a pool of pipelines fed from one bounded queue. It is safe for
// concurrent use.
type Engine struct {
	cfg    Config
	device Device
	log    *slog.Logger

	mu     sync.Mutex  // serialises sending on jobs, and Close
	closed atomic.Bool // set under mu; workers read it to answer what is left queued
	jobs   chan job
	wg     sync.WaitGroup
}

type job struct {
	ctx  context.Context
	img  *image.NRGBA
	want Want
	done chan<- result
}

type result struct {
	fa  *FaceAnalysis
	err error
}

// New loads ONNX Runtime and cfg.Workers complete sets of models, and starts
// the workers. paths comes from models.Fetcher.All.
func New(cfg Config, man *models.Manifest, paths models.Paths, log *slog.Logger) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("inference config: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	if err := initRuntime(paths.Runtime); err != nil {
		return nil, err
	}
	canon, err := loadCanonicalFace(paths.Data[models.RoleCanonicalFace])
	if err != nil {
		return nil, fmt.Errorf("canonical face: %w", err)
	}
	e := &Engine{cfg: cfg, log: log, jobs: make(chan job, cfg.QueueSize)}
	var pipes []*pipeline
	for i := range cfg.Workers {
		opts, used, fallback, err := sessionOptions(cfg.Device, cfg.IntraOpThreads)
		if err != nil {
			closeAll(pipes)
			return nil, err
		}
		if fallback != nil && i == 0 {
			log.Info("inference: CUDA unavailable, using CPU", "reason", fallback)
		}
		p, err := newPipeline(man, paths, opts, cfg, canon)
		opts.Destroy()
		if err != nil {
			closeAll(pipes)
			return nil, err
		}
		e.device = used
		pipes = append(pipes, p)
	}
	for _, p := range pipes {
		e.wg.Add(1)
		go e.work(p)
	}
	log.Info("inference: ready", "device", e.device, "workers", cfg.Workers,
		"intra_op_threads", cfg.IntraOpThreads, "onnxruntime", RuntimeVersion(), "pad_models", cfg.PAD.Models)
	if slices.Contains(cfg.PAD.Models, PADCelebA) {
		log.Warn("inference: PAD model celeba was trained on CelebA-Spoof, whose licence allows non-commercial research only; " +
			"for commercial use set inference.pad.models without it (README \"Presentation attacks\")")
	}
	return e, nil
}

func closeAll(pipes []*pipeline) {
	for _, p := range pipes {
		p.close()
	}
}

// work owns one pipeline until the queue is closed.
func (e *Engine) work(p *pipeline) {
	defer e.wg.Done()
	defer p.close()
	for j := range e.jobs {
		switch {
		case e.closed.Load():
			j.done <- result{err: ErrClosed}
		case j.ctx.Err() != nil:
			j.done <- result{err: j.ctx.Err()}
		default:
			fa, err := p.analyze(j.img, j.want)
			j.done <- result{fa: fa, err: err}
		}
	}
}

// Analyze runs the pipeline on one decoded image. It fails fast with ErrBusy
// when the queue is full and returns ctx's error if ctx ends first.
func (e *Engine) Analyze(ctx context.Context, img *image.NRGBA) (*FaceAnalysis, error) {
	return e.AnalyzeWith(ctx, img, Want{Screen: true})
}

// AnalyzeWith is Analyze running only the optional stages want asks for:
// sessions check for a device on some frames only.
func (e *Engine) AnalyzeWith(ctx context.Context, img *image.NRGBA, want Want) (*FaceAnalysis, error) {
	dones, err := e.submit(ctx, []*image.NRGBA{img}, want)
	if err != nil {
		return nil, err
	}
	return wait(ctx, dones[0])
}

// AnalyzeBatch runs several images in parallel across the pool and returns
// their analyses in order. Either all images are queued or none is.
func (e *Engine) AnalyzeBatch(ctx context.Context, imgs []*image.NRGBA) ([]*FaceAnalysis, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // after a failure, the rest of the batch is skipped by the workers
	dones, err := e.submit(ctx, imgs, Want{Screen: true})
	if err != nil {
		return nil, err
	}
	out := make([]*FaceAnalysis, len(imgs))
	for i, d := range dones {
		fa, err := wait(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i+1, err)
		}
		out[i] = fa
	}
	return out, nil
}

// submit queues all images or none. Holding the write lock keeps other
// senders out, so the free space it sees can only grow while it sends.
func (e *Engine) submit(ctx context.Context, imgs []*image.NRGBA, want Want) ([]chan result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed.Load() {
		return nil, ErrClosed
	}
	if cap(e.jobs)-len(e.jobs) < len(imgs) {
		return nil, ErrBusy
	}
	dones := make([]chan result, len(imgs))
	for i, img := range imgs {
		dones[i] = make(chan result, 1) // buffered: a worker never waits on a caller that left
		e.jobs <- job{ctx: ctx, img: img, want: want, done: dones[i]}
	}
	return dones, nil
}

func wait(ctx context.Context, done chan result) (*FaceAnalysis, error) {
	select {
	case r := <-done:
		return r.fa, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops accepting images, answers queued ones with ErrClosed, lets
// running ones finish, and releases the models.
func (e *Engine) Close() {
	e.mu.Lock()
	if !e.closed.Load() {
		e.closed.Store(true)
		close(e.jobs)
	}
	e.mu.Unlock()
	e.wg.Wait()
}

// Device is the execution provider in use.
func (e *Engine) Device() Device { return e.device }

// Thresholds are the engine's decision thresholds.
func (e *Engine) Thresholds() Thresholds { return e.cfg.Thresholds }

// QueueDepth is the number of images waiting for a worker.
func (e *Engine) QueueDepth() int { return len(e.jobs) }

// QueueFree is the number of images the queue can take now.
func (e *Engine) QueueFree() int { return cap(e.jobs) - len(e.jobs) }
