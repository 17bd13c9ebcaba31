package liveness

import (
	"fmt"
	"regexp"
)

// Params are the request fields a batch and an interactive session share.
// Optional fields are pointers so that "absent" and "false"/"0" stay
// distinguishable.
type Params struct {
	FacegalleryID    string   `json:"facegallery_id"`
	UserID           string   `json:"user_id"`
	TrxID            string   `json:"trx_id"`
	SpoofDetection   *bool    `json:"spoof_detection"`
	SuccessThreshold *int     `json:"success_threshold"`
	FaceParameters   []string `json:"face_parameters"`
	// DeviceID (not in the spec, optional) names the user's device so that
	// failed checks lock it out as they lock out a user_id.
	DeviceID string `json:"device_id"`
}

// Request is the body of POST /liveness-api/verify-face-liveness, field for
// field as in the spec.
type Request struct {
	Params
	Images []string `json:"images"`
}

// Plan is what is to be judged: Params that passed their checks, with the
// defaults applied.
type Plan struct {
	TrxID            string
	GalleryID        string // "" when no gallery face was named
	UserID           string
	DeviceID         string // "" when the request named none
	SpoofDetection   bool
	SuccessThreshold int
	Parameters       []Parameter
}

// FieldError is a request that breaks the contract, naming the field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// MaxTrxIDLength bounds trx_id, which is logged with every line.
const MaxTrxIDLength = 120

var (
	trxIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:@-]+$`)
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)
)

// CheckTrxID accepts 1..120 letters, digits and . _ : @ -, so that a trx_id
// is always safe to log and to echo.
func CheckTrxID(s string) error {
	switch {
	case s == "":
		return &FieldError{"trx_id", "is required"}
	case len(s) > MaxTrxIDLength:
		return &FieldError{"trx_id", fmt.Sprintf("is %d characters; at most %d allowed", len(s), MaxTrxIDLength)}
	case !trxIDPattern.MatchString(s):
		return &FieldError{"trx_id", "may contain only letters, digits and . _ : @ -"}
	}
	return nil
}

// CheckID accepts a facegallery_id or user_id: 1..64 letters, digits and . _ @ -.
func CheckID(field, s string) error {
	if s == "" {
		return &FieldError{field, "is required"}
	}
	if !idPattern.MatchString(s) {
		return &FieldError{field, "must be 1 to 64 letters, digits and . _ @ -"}
	}
	return nil
}

// Check validates a batch request: its images come one per face parameter.
func (r Request) Check(maxImages int) (Plan, error) {
	if err := CheckTrxID(r.TrxID); err != nil {
		return Plan{}, err
	}
	switch {
	case r.Images == nil:
		return Plan{}, &FieldError{"images", "is required"}
	case len(r.Images) == 0:
		return Plan{}, &FieldError{"images", fmt.Sprintf("is empty; send 1 to %d images", maxImages)}
	case len(r.Images) > maxImages:
		return Plan{}, &FieldError{"images", fmt.Sprintf("has %d images; at most %d allowed", len(r.Images), maxImages)}
	case r.FaceParameters != nil && len(r.FaceParameters) != len(r.Images):
		return Plan{}, &FieldError{"face_parameters", fmt.Sprintf("has %d entries but images has %d; they must be the same length",
			len(r.FaceParameters), len(r.Images))}
	}
	return r.Params.Check(maxImages)
}

// Check validates the shared fields against the contract and applies the
// defaults: spoof_detection true, success_threshold = every parameter.
func (p Params) Check(maxParams int) (Plan, error) {
	if err := CheckTrxID(p.TrxID); err != nil {
		return Plan{}, err
	}
	switch {
	case p.FaceParameters == nil:
		return Plan{}, &FieldError{"face_parameters", "is required"}
	case len(p.FaceParameters) == 0:
		return Plan{}, &FieldError{"face_parameters", fmt.Sprintf("is empty; send 1 to %d", maxParams)}
	case len(p.FaceParameters) > maxParams:
		return Plan{}, &FieldError{"face_parameters", fmt.Sprintf("has %d entries; at most %d allowed", len(p.FaceParameters), maxParams)}
	}
	plan := Plan{TrxID: p.TrxID, DeviceID: p.DeviceID, SpoofDetection: true, Parameters: make([]Parameter, len(p.FaceParameters))}
	if p.DeviceID != "" {
		if err := CheckID("device_id", p.DeviceID); err != nil {
			return Plan{}, err
		}
	}
	for i, s := range p.FaceParameters {
		param, err := ParseParameter(s)
		if err != nil {
			return Plan{}, &FieldError{fmt.Sprintf("face_parameters[%d]", i), err.Error()}
		}
		plan.Parameters[i] = param
	}
	if p.SpoofDetection != nil {
		plan.SpoofDetection = *p.SpoofDetection
	}
	n := len(plan.Parameters)
	plan.SuccessThreshold = n
	if p.SuccessThreshold != nil {
		if t := *p.SuccessThreshold; t < 1 || t > n {
			return Plan{}, &FieldError{"success_threshold", fmt.Sprintf("is %d; want 1 to %d (the number of face_parameters)", t, n)}
		}
		plan.SuccessThreshold = *p.SuccessThreshold
	}
	switch {
	case p.FacegalleryID == "" && p.UserID == "":
	case p.FacegalleryID == "" || p.UserID == "":
		return Plan{}, &FieldError{"facegallery_id", "facegallery_id and user_id must be given together"}
	default:
		if err := CheckID("facegallery_id", p.FacegalleryID); err != nil {
			return Plan{}, err
		}
		if err := CheckID("user_id", p.UserID); err != nil {
			return Plan{}, err
		}
		plan.GalleryID, plan.UserID = p.FacegalleryID, p.UserID
	}
	return plan, nil
}
