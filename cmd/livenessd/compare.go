package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/cli"
)

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: livenessd compare [flags] IMAGE_A IMAGE_B")
		fs.PrintDefaults()
	}
	var f engineFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return 2
	}
	ctx := context.Background()
	eng, _, err := f.open(ctx, f.logger(stderr))
	if err != nil {
		fmt.Fprintln(stderr, "livenessd:", err)
		return 1
	}
	defer eng.Close()
	var faces [2]*inference.Face
	for i, file := range fs.Args() {
		fa, err := analyzePath(ctx, eng, file)
		if err == nil && fa.Face == nil {
			err = fmt.Errorf("no face found")
		}
		if err != nil {
			fmt.Fprintf(stderr, "livenessd: %s: %v\n", file, err)
			return 1
		}
		faces[i] = fa.Face
	}
	sim := inference.Similarity(faces[0].Embedding, faces[1].Embedding)
	out := struct {
		Similarity float64 `json:"similarity"`
		SamePerson bool    `json:"same_person"`
	}{math.Round(sim*1e4) / 1e4, sim >= eng.Thresholds().Similarity}
	if err := json.NewEncoder(stdout).Encode(out); err != nil {
		return 1
	}
	return 0
}
