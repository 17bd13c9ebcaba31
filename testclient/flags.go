package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// requestFlags are the flags every command shares: where the server is and
// the liveness request fields that a batch call and a session have in common.
type requestFlags struct {
	server    string
	token     string
	trx       string
	params    string
	spoof     bool
	threshold int
	gallery   string
	user      string
	timeout   time.Duration
}

func (f *requestFlags) register(fs *flag.FlagSet, timeout time.Duration) {
	fs.StringVar(&f.server, "server", "", "server base URL, e.g. http://localhost:8080 (required)")
	fs.StringVar(&f.token, "token", "", "access token, sent as the Accesstoken header (required)")
	fs.StringVar(&f.trx, "trx", "", "trx_id (default testclient-<unix ms>)")
	fs.StringVar(&f.params, "params", "", `comma-separated face parameters, e.g. "front,left,eyes open"`)
	fs.BoolVar(&f.spoof, "spoof", false, "spoof_detection, e.g. --spoof=false (left out unless given; the server's default is true)")
	fs.IntVar(&f.threshold, "threshold", 0, "success_threshold (0: left out, the server requires all)")
	fs.StringVar(&f.gallery, "gallery", "", "facegallery_id to verify against (with --user)")
	fs.StringVar(&f.user, "user", "", "user_id enrolled in --gallery")
	fs.DurationVar(&f.timeout, "timeout", timeout, "give up after this long")
}

// check validates the flags after parsing.
func (f *requestFlags) check() error {
	u, err := url.Parse(f.server)
	switch {
	case f.server == "":
		return errors.New("--server is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("--server %q is not an http:// or https:// URL", f.server)
	case f.token == "":
		return errors.New("--token is required")
	case f.threshold < 0:
		return fmt.Errorf("--threshold %d is negative", f.threshold)
	case (f.gallery == "") != (f.user == ""):
		return errors.New("--gallery and --user go together")
	case f.timeout <= 0:
		return fmt.Errorf("--timeout %v is not positive", f.timeout)
	}
	return nil
}

// faceParameters splits --params; nil when it was not given. The names are
// not checked here: the server is the authority on them, and a test client
// should be able to send what a broken client would.
func (f *requestFlags) faceParameters() ([]string, error) {
	if f.params == "" {
		return nil, nil
	}
	params := strings.Split(f.params, ",")
	for i, p := range params {
		params[i] = strings.TrimSpace(p)
		if params[i] == "" {
			return nil, fmt.Errorf("--params %q has an empty entry", f.params)
		}
	}
	return params, nil
}

// fields builds the request fields the flags describe. Flags left unset are
// left out of the request, so that the server applies its own defaults.
func (f *requestFlags) fields(fs *flag.FlagSet, params []string) livenessFields {
	lf := livenessFields{
		TrxID:          f.trx,
		FaceParameters: params,
		FacegalleryID:  f.gallery,
		UserID:         f.user,
	}
	if lf.TrxID == "" {
		lf.TrxID = fmt.Sprintf("testclient-%d", time.Now().UnixMilli())
	}
	if f.threshold > 0 {
		lf.SuccessThreshold = &f.threshold
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "spoof" {
			lf.SpoofDetection = &f.spoof
		}
	})
	return lf
}

// maxFPS bounds --fps: a camera rate, far from a frame interval the ticker
// cannot represent.
const maxFPS = 1000

// sessionFlags are the flags of ws and load: the session to create and the
// clip to stream into it.
type sessionFlags struct {
	request     requestFlags
	source      string
	size        string
	fps         float64
	loop        bool
	stepTimeout time.Duration
	sampleFPS   int
	randomize   bool
	audit       bool
}

func (f *sessionFlags) register(fs *flag.FlagSet) {
	f.request.register(fs, 3*time.Minute)
	fs.StringVar(&f.source, "source", "", "an .mjpeg file (concatenated JPEGs) or a directory of .jpg/.jpeg files (required)")
	fs.StringVar(&f.size, "size", "", "resize every frame to WIDTHxHEIGHT before sending (for benchmarks at a given resolution; stretches)")
	fs.Float64Var(&f.fps, "fps", 10, "frames per second to send")
	fs.BoolVar(&f.loop, "loop", false, "restart the source when it ends (otherwise stop sending and wait for the result)")
	fs.DurationVar(&f.stepTimeout, "step-timeout", 0, "step_timeout_ms (0: left out, the server's default applies)")
	fs.IntVar(&f.sampleFPS, "sample-fps", 0, "sample_fps, frames the server judges per second (0: server default)")
	fs.BoolVar(&f.randomize, "randomize", false, "randomize_order: let the server shuffle the steps")
	fs.BoolVar(&f.audit, "audit-images", false, "audit_images: ask the server to keep the accepted frames")
}

// plan checks the flags and turns them into a session plan: the request, and
// the clip read into memory.
func (f *sessionFlags) plan(fs *flag.FlagSet) (sessionPlan, error) {
	if err := f.request.check(); err != nil {
		return sessionPlan{}, usageErr{err}
	}
	switch {
	case f.source == "":
		return sessionPlan{}, usageErr{errors.New("--source is required")}
	case f.fps <= 0 || f.fps > maxFPS:
		return sessionPlan{}, usageErr{fmt.Errorf("--fps %v is not in (0, %d]", f.fps, maxFPS)}
	case f.stepTimeout < 0 || f.sampleFPS < 0:
		return sessionPlan{}, usageErr{errors.New("--step-timeout and --sample-fps may not be negative")}
	}
	params, err := f.request.faceParameters()
	if err != nil {
		return sessionPlan{}, usageErr{err}
	}
	if params == nil {
		params = []string{"front"}
	}
	var w, h int
	if f.size != "" {
		if _, err := fmt.Sscanf(f.size, "%dx%d", &w, &h); err != nil || w < 32 || h < 32 || w > 4096 || h > 4096 {
			return sessionPlan{}, usageErr{fmt.Errorf("--size %q: want WIDTHxHEIGHT, 32 to 4096 each", f.size)}
		}
	}
	clip, err := loadClip(f.source)
	if err == nil && w > 0 {
		err = clip.resize(w, h)
	}
	if err != nil {
		return sessionPlan{}, err
	}
	return sessionPlan{
		api: newAPIClient(f.request.server, f.request.token, createTimeout),
		request: sessionRequest{
			livenessFields: f.request.fields(fs, params),
			StepTimeoutMS:  f.stepTimeout.Milliseconds(),
			SampleFPS:      f.sampleFPS,
			RandomizeOrder: f.randomize,
			AuditImages:    f.audit,
		},
		clip: clip,
		fps:  f.fps,
		loop: f.loop,
	}, nil
}

// usageErr marks an error as the user's: the command exits 2.
type usageErr struct{ error }

// planFailure reports why a session plan could not be made: exit 2 for the
// user's flags, 1 for a source that cannot be read.
func planFailure(fs *flag.FlagSet, stderr io.Writer, err error) int {
	var ue usageErr
	if errors.As(err, &ue) {
		return usageError(fs, stderr, ue.error)
	}
	fmt.Fprintln(stderr, "testclient:", err)
	return 1
}
