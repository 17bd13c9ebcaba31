package session

import (
	"fmt"
	"time"

	"github.com/livenessd/livenessd/liveness"
)

// Request is the body of POST /liveness-api/sessions: the batch request's
// fields except images, and how the session is run.
type Request struct {
	liveness.Params
	StepTimeoutMS  *int  `json:"step_timeout_ms"`
	RandomizeOrder bool  `json:"randomize_order"`
	SampleFPS      *int  `json:"sample_fps"`
	AuditImages    *bool `json:"audit_images"`
	// DeviceResults sends each step's result and the final response to the
	// device too. Off by default: scores and reasons on the device are a
	// tuning oracle for an attacker; the backend reads the full result with
	// GET /liveness-api/sessions/{id}.
	DeviceResults bool `json:"device_results"`
}

// Spec is a checked Request with its defaults applied.
type Spec struct {
	liveness.Plan
	StepTimeout    time.Duration
	RandomizeOrder bool
	SampleFPS      int
	AuditImages    bool
	DeviceResults  bool
}

// Bounds of the session options.
const (
	DefaultStepTimeout = 8 * time.Second
	MinStepTimeout     = time.Second
	MaxStepTimeout     = time.Minute
	DefaultSampleFPS   = 5
	MaxSampleFPS       = 30
)

// Check validates r; maxParams bounds face_parameters as max_images bounds a
// batch.
func (r Request) Check(maxParams int) (Spec, error) {
	plan, err := r.Params.Check(maxParams)
	if err != nil {
		return Spec{}, err
	}
	spec := Spec{Plan: plan, StepTimeout: DefaultStepTimeout, RandomizeOrder: r.RandomizeOrder,
		SampleFPS: DefaultSampleFPS, AuditImages: true, DeviceResults: r.DeviceResults}
	if r.StepTimeoutMS != nil {
		d := time.Duration(*r.StepTimeoutMS) * time.Millisecond
		if d < MinStepTimeout || d > MaxStepTimeout {
			return Spec{}, &liveness.FieldError{Field: "step_timeout_ms", Message: fmt.Sprintf("is %d; want %d to %d",
				*r.StepTimeoutMS, MinStepTimeout.Milliseconds(), MaxStepTimeout.Milliseconds())}
		}
		spec.StepTimeout = d
	}
	if r.SampleFPS != nil {
		if f := *r.SampleFPS; f < 1 || f > MaxSampleFPS {
			return Spec{}, &liveness.FieldError{Field: "sample_fps", Message: fmt.Sprintf("is %d; want 1 to %d", f, MaxSampleFPS)}
		}
		spec.SampleFPS = *r.SampleFPS
	}
	if r.AuditImages != nil {
		spec.AuditImages = *r.AuditImages
	}
	return spec, nil
}
