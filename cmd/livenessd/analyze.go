package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/cli"
	"github.com/livenessd/livenessd/liveness"
)

// maxFileBytes bounds what the CLI reads per image, like the API's body limit.
const maxFileBytes = 32 << 20

// analyzeLine is one line of "livenessd analyze" output.
type analyzeLine struct {
	File  string `json:"file"`
	Error string `json:"error,omitempty"`
	*liveness.Attributes
}

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: livenessd analyze [flags] FILE...")
		fs.PrintDefaults()
	}
	var f engineFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	ctx := context.Background()
	eng, judge, err := f.open(ctx, f.logger(stderr))
	if err != nil {
		fmt.Fprintln(stderr, "livenessd:", err)
		return 1
	}
	defer eng.Close()

	// Keep every worker busy but print in argument order.
	files := fs.Args()
	lines := make([]chan analyzeLine, len(files))
	sem := make(chan struct{}, f.workers)
	for i, file := range files {
		lines[i] = make(chan analyzeLine, 1)
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			lines[i] <- analyzeFile(ctx, eng, judge, file)
		}()
	}
	enc := json.NewEncoder(stdout)
	for _, ch := range lines {
		if err := enc.Encode(<-ch); err != nil {
			fmt.Fprintln(stderr, "livenessd:", err)
			return 1
		}
	}
	return 0
}

func analyzeFile(ctx context.Context, eng *inference.Engine, judge liveness.Judge, file string) analyzeLine {
	fa, err := analyzePath(ctx, eng, file)
	if err != nil {
		return analyzeLine{File: file, Error: err.Error()}
	}
	attrs := judge.AttributesOf(fa, liveness.EyeBaseline{}, true)
	line := analyzeLine{File: file, Attributes: &attrs}
	if fa.Face == nil {
		line.Error = "no face found"
	}
	return line
}

func analyzePath(ctx context.Context, eng *inference.Engine, file string) (*inference.FaceAnalysis, error) {
	data, err := readLimited(file)
	if err != nil {
		return nil, err
	}
	img, err := inference.Decode(data, inference.DefaultDecodeLimits)
	if err != nil {
		return nil, err
	}
	return eng.Analyze(ctx, img)
}

func readLimited(file string) ([]byte, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileBytes+1))
	if err == nil && len(data) > maxFileBytes {
		err = errors.New("file larger than 32 MiB")
	}
	return data, err
}
