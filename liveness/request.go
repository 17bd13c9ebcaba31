package liveness

import (
	"fmt"
	"regexp"
)

// Request is the body of POST /liveness-api/verify-face-liveness, field for
// field as in the spec. Optional fields are pointers so that "absent" and
// "false"/"0" stay distinguishable.
type Request struct {
	FacegalleryID    string   `json:"facegallery_id"`
	UserID           string   `json:"user_id"`
	TrxID            string   `json:"trx_id"`
	SpoofDetection   *bool    `json:"spoof_detection"`
	SuccessThreshold *int     `json:"success_threshold"`
	FaceParameters   []string `json:"face_parameters"`
	Images           []string `json:"images"`
}

// Batch is a Request whose fields passed Check, with the defaults applied.
// Images are still base64: decoding them is the transport's job.
type Batch struct {
	TrxID            string
	GalleryID        string // "" when no gallery face was named
	UserID           string
	SpoofDetection   bool
	SuccessThreshold int
	Parameters       []Parameter
	Images           []string
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

// Check validates r against the contract and applies the defaults:
// spoof_detection true, success_threshold = number of images.
func (r Request) Check(maxImages int) (Batch, error) {
	if err := CheckTrxID(r.TrxID); err != nil {
		return Batch{}, err
	}
	b := Batch{TrxID: r.TrxID, SpoofDetection: true, Images: r.Images}
	switch {
	case r.Images == nil:
		return Batch{}, &FieldError{"images", "is required"}
	case r.FaceParameters == nil:
		return Batch{}, &FieldError{"face_parameters", "is required"}
	case len(r.Images) == 0:
		return Batch{}, &FieldError{"images", "is empty; send 1 to " + fmt.Sprint(maxImages) + " images"}
	case len(r.Images) > maxImages:
		return Batch{}, &FieldError{"images", fmt.Sprintf("has %d images; at most %d allowed", len(r.Images), maxImages)}
	case len(r.FaceParameters) != len(r.Images):
		return Batch{}, &FieldError{"face_parameters", fmt.Sprintf("has %d entries but images has %d; they must be the same length",
			len(r.FaceParameters), len(r.Images))}
	}
	b.Parameters = make([]Parameter, len(r.FaceParameters))
	for i, s := range r.FaceParameters {
		p, err := ParseParameter(s)
		if err != nil {
			return Batch{}, &FieldError{fmt.Sprintf("face_parameters[%d]", i), err.Error()}
		}
		b.Parameters[i] = p
	}
	if r.SpoofDetection != nil {
		b.SpoofDetection = *r.SpoofDetection
	}
	b.SuccessThreshold = len(r.Images)
	if r.SuccessThreshold != nil {
		if n := *r.SuccessThreshold; n < 1 || n > len(r.Images) {
			return Batch{}, &FieldError{"success_threshold", fmt.Sprintf("is %d; want 1 to %d (the number of images)", n, len(r.Images))}
		}
		b.SuccessThreshold = *r.SuccessThreshold
	}
	switch {
	case r.FacegalleryID == "" && r.UserID == "":
	case r.FacegalleryID == "" || r.UserID == "":
		return Batch{}, &FieldError{"facegallery_id", "facegallery_id and user_id must be given together"}
	default:
		if err := CheckID("facegallery_id", r.FacegalleryID); err != nil {
			return Batch{}, err
		}
		if err := CheckID("user_id", r.UserID); err != nil {
			return Batch{}, err
		}
		b.GalleryID, b.UserID = r.FacegalleryID, r.UserID
	}
	return b, nil
}
