// Command livenessd is the face liveness server and its debugging tools.
//
//	livenessd serve               serve the liveness and face-gallery API
//	livenessd hash-secret         print the bcrypt hash of an OAuth client secret (read from stdin)
//	livenessd fetch               fetch and verify the models and ONNX Runtime
//	livenessd analyze FILE...     print one JSON line of measurements per image
//	livenessd compare A B         print the similarity of the faces in two images
//	livenessd eval PATH...        measure BPCER and APCER on labelled photos and clips
package main

import (
	"io"
	"os"

	"github.com/livenessd/livenessd/internal/cli"
)

const usage = `usage: livenessd <command> [flags] [args]

commands:
  serve            serve the liveness and face-gallery API (see README)
  hash-secret      read an OAuth client secret on stdin, print its bcrypt hash for the config
  fetch            fetch the ONNX Runtime library and the models into the cache, verifying sha256
  analyze FILE...  analyse each image, one JSON object per line
  compare A B      compare the subject faces of two images
  eval PATH...     measure BPCER and APCER on labelled photos and clips (labels.json)

Run "livenessd <command> -h" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the process exit code: 0 on success, 2 for usage errors, 1 when
// the command could not do its job (models unavailable, runtime not loadable).
func run(args []string, stdout, stderr io.Writer) int {
	return cli.Run("livenessd", usage, map[string]cli.Command{
		"serve":       runServe,
		"hash-secret": runHashSecret,
		"fetch":       runFetch,
		"analyze":     runAnalyze,
		"compare":     runCompare,
		"eval":        runEval,
	}, args, stdout, stderr)
}
