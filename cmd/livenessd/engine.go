package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/livenessd/livenessd/config"
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/cli"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/models"
)

// engineFlags are the flags every command that runs models shares.
type engineFlags struct {
	device      string
	workers     int
	ortLib      string
	modelCache  string
	modelMirror string
	verbose     bool
}

func (f *engineFlags) register(fs *flag.FlagSet) {
	def := inference.DefaultConfig()
	fetcher := models.NewFetcher()
	fs.StringVar(&f.device, "device", envOr("LIVENESS_DEVICE", string(def.Device)), "execution device: auto, cpu or cuda (env LIVENESS_DEVICE)")
	fs.IntVar(&f.workers, "workers", def.Workers, "model workers (one set of model sessions each)")
	fs.StringVar(&f.ortLib, "ort-lib", fetcher.RuntimePath, "ONNX Runtime library to load instead of the fetched one (env LIVENESS_ORT_LIB)")
	fs.StringVar(&f.modelCache, "model-cache", fetcher.CacheDir, "model and runtime cache directory (env LIVENESS_MODEL_CACHE)")
	fs.StringVar(&f.modelMirror, "model-mirror", fetcher.MirrorDir, "offline mirror of model files (env LIVENESS_MODEL_MIRROR)")
	fs.BoolVar(&f.verbose, "v", false, "log progress to stderr")
}

func (f *engineFlags) fetcher(log *slog.Logger) *models.Fetcher {
	fetcher := models.NewFetcher()
	fetcher.CacheDir, fetcher.MirrorDir, fetcher.RuntimePath, fetcher.Log = f.modelCache, f.modelMirror, f.ortLib, log
	return fetcher
}

func (f *engineFlags) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// open fetches what is missing and starts an engine with the server's
// default settings, and the judge of those settings.
func (f *engineFlags) open(ctx context.Context, log *slog.Logger) (*inference.Engine, liveness.Judge, error) {
	cfg := config.Default().Inference
	cfg.Device, cfg.Workers = inference.Device(f.device), f.workers
	eng, err := startEngine(ctx, cfg, f.fetcher(log), log)
	return eng, liveness.NewJudge(cfg), err
}

// startEngine fetches (or finds in the cache) the runtime and every model,
// then loads them; analyze, compare and serve all start here.
func startEngine(ctx context.Context, cfg inference.Config, fetcher *models.Fetcher, log *slog.Logger) (*inference.Engine, error) {
	man, err := models.Load()
	if err != nil {
		return nil, err
	}
	paths, err := fetcher.All(ctx, man)
	if err != nil {
		return nil, err
	}
	return inference.New(cfg, man, paths, log)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func runFetch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f engineFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	f.verbose = true
	man, err := models.Load()
	if err != nil {
		fmt.Fprintln(stderr, "livenessd:", err)
		return 1
	}
	paths, err := f.fetcher(f.logger(stderr)).All(context.Background(), man)
	if err != nil {
		fmt.Fprintln(stderr, "livenessd:", err)
		return 1
	}
	fmt.Fprintln(stdout, "onnxruntime", paths.Runtime)
	for _, m := range man.Models {
		fmt.Fprintln(stdout, m.Role, paths.Models[m.Role])
	}
	return 0
}
