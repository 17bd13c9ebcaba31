package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/livenessd/livenessd/internal/cli"
	"github.com/livenessd/livenessd/liveness"
)

// batchRequest is the body of POST /liveness-api/verify-face-liveness.
type batchRequest struct {
	livenessFields
	Images []string `json:"images"`
}

func runBatch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: testclient batch --server URL --token T [flags] IMAGE...")
		fs.PrintDefaults()
	}
	var f requestFlags
	f.register(fs, time.Minute)
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	files := fs.Args()
	if err := f.check(); err != nil {
		return usageError(fs, stderr, err)
	}
	if len(files) == 0 {
		return usageError(fs, stderr, fmt.Errorf("no images given"))
	}
	params, err := f.faceParameters()
	switch {
	case err != nil:
		return usageError(fs, stderr, err)
	case params == nil:
		params = slices.Repeat([]string{"front"}, len(files))
	case len(params) != len(files):
		return usageError(fs, stderr, fmt.Errorf("--params has %d entries for %d images", len(params), len(files)))
	}

	req := batchRequest{livenessFields: f.fields(fs, params)}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(stderr, "testclient:", err)
			return 1
		}
		req.Images = append(req.Images, base64.StdEncoding.EncodeToString(data))
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	body, err := newAPIClient(f.server, f.token, f.timeout).postJSON(ctx, "/liveness-api/verify-face-liveness", req)
	if err != nil {
		fmt.Fprintln(stderr, "testclient: verify-face-liveness:", err)
		return 1
	}
	return reportBatch(body, stdout, stderr)
}

// reportBatch prints the response as the server sent it, indented, and
// returns 0 only when liveness passed.
func reportBatch(body []byte, stdout, stderr io.Writer) int {
	var resp liveness.Response
	if err := json.Unmarshal(body, &resp); err != nil {
		fmt.Fprintf(stderr, "testclient: the response is not a liveness response: %v\n%s\n", err, body)
		return 1
	}
	if err := printIndented(stdout, body); err != nil {
		fmt.Fprintln(stderr, "testclient:", err)
		return 1
	}
	if resp.Liveness != liveness.Passed {
		fmt.Fprintf(stderr, "liveness %s: %d of %d images passed, %d needed\n",
			resp.Liveness, resp.PassedImages, len(resp.Results), resp.SuccessThreshold)
		return 1
	}
	return 0
}

// printIndented prints a JSON document as the server sent it (not re-encoded
// from Go types, so fields this client does not know still show), indented.
func printIndented(w io.Writer, doc []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, doc, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
