// Command testclient exercises a livenessd server the way a third-party
// client would: over HTTP and the session WebSocket only, never through the
// server's Go packages.
//
//	testclient batch IMAGE...   one verify-face-liveness call
//	testclient ws               one interactive session streamed from a clip
//	testclient load             many concurrent sessions, with latency statistics
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage: testclient <command> [flags] [args]

commands:
  batch IMAGE...  POST the images to verify-face-liveness and print the response
  ws              run one interactive session, streaming frames from a clip in real time
  load            run many concurrent sessions and print outcome and latency statistics

Run "testclient <command> -h" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the process exit code: 0 when liveness passed (every session
// completed, for load), 2 for usage errors, 1 otherwise.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Writer, io.Writer) int{
		"batch": runBatch,
		"ws":    runWS,
		"load":  runLoad,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "testclient: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return cmd(args[1:], stdout, stderr)
}

// parseFailure is the exit code after a flag parse error: -h asked for help
// and got it; anything else is a usage error.
func parseFailure(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// usageError reports a flag combination the command cannot use; it returns
// the usage exit code.
func usageError(fs *flag.FlagSet, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "testclient %s: %v\n", fs.Name(), err)
	fs.Usage()
	return 2
}
