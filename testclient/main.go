// Command testclient exercises a livenessd server the way a third-party
// client would: over HTTP, the session WebSocket and WebRTC only, never
// through the server's Go packages.
//
//	testclient batch IMAGE...   one verify-face-liveness call
//	testclient ws               one interactive session streamed from a clip
//	testclient webrtc           the same over WebRTC: a VP8 track and a data channel
//	testclient load             many concurrent sessions, with latency statistics
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/livenessd/livenessd/internal/cli"
)

const usage = `usage: testclient <command> [flags] [args]

commands:
  batch IMAGE...  POST the images to verify-face-liveness and print the response
  ws              run one interactive session, streaming frames from a clip in real time
  webrtc          run one interactive session over WebRTC, the clip as a VP8 video track
  load            run many concurrent sessions and print outcome and latency statistics

Run "testclient <command> -h" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the process exit code: 0 when liveness passed (every session
// completed, for load), 2 for usage errors, 1 otherwise.
func run(args []string, stdout, stderr io.Writer) int {
	return cli.Run("testclient", usage, map[string]cli.Command{
		"batch":  runBatch,
		"ws":     runWS,
		"webrtc": runWebRTC,
		"load":   runLoad,
	}, args, stdout, stderr)
}

// usageError reports a flag combination the command cannot use; it returns
// the usage exit code.
func usageError(fs *flag.FlagSet, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "testclient %s: %v\n", fs.Name(), err)
	fs.Usage()
	return 2
}
