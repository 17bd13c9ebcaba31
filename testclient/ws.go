package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/livenessd/livenessd/internal/cli"
	"github.com/livenessd/livenessd/protocol"
)

func runWS(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ws", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: testclient ws --server URL --token T --source FILE.mjpeg|DIR [flags]")
		fs.PrintDefaults()
	}
	var f sessionFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	if fs.NArg() > 0 {
		return usageError(fs, stderr, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	plan, err := f.plan(fs)
	if err != nil {
		return planFailure(fs, stderr, err)
	}
	plan.observe = func(msg any) { fmt.Fprintln(stderr, describe(msg)) }
	ctx, interrupt, release := sessionContexts(f.request.timeout)
	defer release()
	return reportSession(runSession(ctx, interrupt, plan), stdout, stderr)
}

// describe renders what the server said as one line for a person watching.
func describe(msg any) string {
	switch m := msg.(type) {
	case *sessionCreated:
		return fmt.Sprintf("session %s: steps %s (%v each), %v frames/s judged, expires %s",
			m.SessionID, strings.Join(m.FaceParameters, ", "), time.Duration(m.StepTimeoutMS)*time.Millisecond,
			m.SampleFPS, m.ExpiresAt.Local().Format(time.TimeOnly))
	case *protocol.Prompt:
		return fmt.Sprintf("prompt %d/%d: %s (%s)", m.Step, m.Steps, m.Instruction, m.Parameter)
	case *protocol.Feedback:
		return fmt.Sprintf("feedback step %d, frame %d: %s (%s)", m.Step, m.Frame, m.Message, m.Code)
	case *protocol.StepResult:
		switch {
		case m.Passed:
			return fmt.Sprintf("step %d passed at frame %d", m.Step, m.Frame)
		case m.Frame == 0:
			return fmt.Sprintf("step %d failed: timed out", m.Step)
		case m.Result != nil && len(m.Result.Reasons) > 0:
			return fmt.Sprintf("step %d failed at frame %d: %s", m.Step, m.Frame, strings.Join(m.Result.Reasons, "; "))
		default:
			return fmt.Sprintf("step %d failed at frame %d", m.Step, m.Frame)
		}
	case *protocol.Error:
		return fmt.Sprintf("error %s: %s", m.Code, m.Message)
	case unknownMessage:
		return fmt.Sprintf("unknown message: %s", []byte(m))
	}
	return fmt.Sprintf("%T %+v", msg, msg)
}

// reportSession prints the result's response to stdout and a summary line
// to stderr; it returns 0 only when the session passed.
func reportSession(out sessionOutcome, stdout, stderr io.Writer) int {
	if out.result == nil {
		fmt.Fprintf(stderr, "session %s without a result after %v: %v\n", out.outcome, out.duration.Round(time.Millisecond), out.err)
		return 1
	}
	fmt.Fprintf(stderr, "result %s: session %s in %v, %d frames sent, %d skipped\n", out.result.State,
		out.result.SessionID, out.duration.Round(time.Millisecond), out.framesSent, out.framesSkipped)
	if len(out.response) > 0 && string(out.response) != "null" {
		if err := printIndented(stdout, out.response); err != nil {
			fmt.Fprintln(stderr, "testclient:", err)
			return 1
		}
	}
	if out.err != nil {
		fmt.Fprintln(stderr, "testclient:", out.err)
	}
	if out.outcome != outcomePassed {
		return 1
	}
	return 0
}
