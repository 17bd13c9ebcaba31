package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/livenessd/livenessd/config"
	"github.com/livenessd/livenessd/evaluate"
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/cli"
	"github.com/livenessd/livenessd/liveness"
)

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: livenessd eval [flags] PATH...

Scores every photo and every Nth clip frame labelled real: true or false in
each PATH (a labels.json, or a folder holding one) with the server's PAD
models and fusion rule, and prints BPCER and APCER per attack type, a DET
table and the equal-error point.`)
		fs.PrintDefaults()
	}
	var f engineFlags
	f.register(fs)
	path := fs.String("config", "", "the serve YAML configuration whose inference section (PAD models, fusion, thresholds) is measured")
	every := fs.Int("every", 5, "score every Nth frame of a clip")
	asJSON := fs.Bool("json", false, "print one JSON line per item instead of the tables")
	target := fs.Float64("target-apcer", 0.05, "also print the threshold whose APCER is at most this (0: skip)")
	compare := fs.Bool("compare", false, "score with every PAD model and also compare every model set and fusion rule")
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	if fs.NArg() == 0 || *every < 1 || *target < 0 || *target >= 1 {
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(*path, os.Getenv)
	if err == nil {
		err = errors.Join(liveness.ValidateFusion(cfg.Inference.PAD.Fusion), cfg.Inference.Validate())
	}
	if err != nil {
		fmt.Fprintln(stderr, "livenessd: configuration:", err)
		return 2
	}
	var srcs []evaluate.Source
	for _, p := range fs.Args() {
		s, err := evaluate.Load(p)
		if err != nil {
			fmt.Fprintln(stderr, "livenessd:", err)
			return 1
		}
		srcs = append(srcs, s...)
	}
	ctx := context.Background()
	cfg.Inference.Device, cfg.Inference.Workers = inference.Device(f.device), f.workers
	configured := evaluate.Candidate{Models: cfg.Inference.PAD.Models, Fusion: cfg.Inference.PAD.Fusion}
	if *compare {
		cfg.Inference.PAD.Models = inference.PADModels
	}
	log := f.logger(stderr)
	eng, err := startEngine(ctx, cfg.Inference, f.fetcher(log), log)
	if err != nil {
		fmt.Fprintln(stderr, "livenessd:", err)
		return 1
	}
	defer eng.Close()
	judge := liveness.NewJudge(cfg.Inference)
	items, err := evaluate.Score(ctx, eng, judge, srcs, evaluate.Options{Every: *every, Workers: f.workers,
		Decode: inference.DecodeLimits{MaxPixels: cfg.Limits.MaxPixels, MinSide: inference.DefaultDecodeLimits.MinSide}})
	if err != nil {
		fmt.Fprintln(stderr, "livenessd:", err)
		return 1
	}
	th := cfg.Inference.Thresholds
	items = evaluate.Rejudge(items, th, configured)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, it := range items {
			if err := enc.Encode(it); err != nil {
				return 1
			}
		}
		return 0
	}
	fmt.Fprintf(stdout, "PAD %s, threshold %.3f\n", configured, th.Spoof)
	evaluate.Print(stdout, judge, items, *target)
	if *compare {
		fmt.Fprintln(stdout)
		evaluate.PrintComparison(stdout, items, th, evaluate.Candidates(inference.PADModels), *target)
	}
	return 0
}
