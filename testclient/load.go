package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sync"

	"github.com/livenessd/livenessd/internal/cli"
)

func runLoad(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: testclient load --server URL --token T --sessions N --source FILE.mjpeg|DIR [--transport ws|webrtc] [flags]")
		fs.PrintDefaults()
	}
	var f sessionFlags
	f.register(fs)
	var o rtcOptions
	o.register(fs)
	transport := fs.String("transport", "ws", "how the sessions connect: ws or webrtc")
	sessions := fs.Int("sessions", 1, "concurrent sessions to run")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	maxP95 := fs.Duration("max-p95", 0, "also exit 1 when the p95 frame-to-feedback latency exceeds this (0: no limit)")
	minJudged := fs.Float64("min-judged-fps", 0, "also exit 1 when fewer frames per second of session were judged (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	if fs.NArg() > 0 {
		return usageError(fs, stderr, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if *sessions < 1 {
		return usageError(fs, stderr, fmt.Errorf("--sessions %d: want at least 1", *sessions))
	}
	if *transport != "ws" && *transport != "webrtc" {
		return usageError(fs, stderr, fmt.Errorf("--transport %q: want ws or webrtc", *transport))
	}
	if err := o.check(); err != nil {
		return usageError(fs, stderr, err)
	}
	plan, err := f.plan(fs)
	if err != nil {
		return planFailure(fs, stderr, err)
	}
	if *transport == "webrtc" {
		plan.connect = o.connector(plan.fps)
	}
	ctx, interrupt, release := sessionContexts(f.request.timeout)
	defer release()

	outcomes := make([]sessionOutcome, *sessions)
	var wg sync.WaitGroup
	for i := range outcomes {
		p := plan
		// Distinct trx_ids let the server's logs tell the sessions apart.
		p.request.TrxID = fmt.Sprintf("%s-%d", plan.request.TrxID, i+1)
		wg.Go(func() { outcomes[i] = runSession(ctx, interrupt, p) })
	}
	wg.Wait()

	summary := summarize(outcomes)
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(summary); err != nil {
			fmt.Fprintln(stderr, "testclient:", err)
			return 1
		}
	} else {
		summary.print(stdout)
	}
	if summary.Completed < summary.Sessions {
		return 1
	}
	if *maxP95 > 0 && summary.FeedbackLatency.P95 > float64(maxP95.Milliseconds()) {
		fmt.Fprintf(stderr, "testclient: p95 feedback latency %vms is over --max-p95 %v\n", summary.FeedbackLatency.P95, *maxP95)
		return 1
	}
	if summary.JudgedFPS < *minJudged {
		fmt.Fprintf(stderr, "testclient: %v frames judged per second of session, under --min-judged-fps %v\n", summary.JudgedFPS, *minJudged)
		return 1
	}
	return 0
}
