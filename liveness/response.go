package liveness

import "strconv"

// Response is the body of a successful verify-face-liveness call (and of a
// finished interactive session): the spec's fields, then extras that make the
// verdict explainable.
type Response struct {
	Status        string  `json:"status"` // the HTTP status, as a string
	StatusMessage string  `json:"status_message"`
	Liveness      string  `json:"liveness"`
	Results       Results `json:"results"`

	TrxID            string `json:"trx_id"`
	SuccessThreshold int    `json:"success_threshold"`
	PassedImages     int    `json:"passed_images"`
	// SimilarityReference says what similarity compares with: "gallery" (the
	// enrolled face) or "batch" (the first image with a face).
	SimilarityReference string `json:"similarity_reference"`
	// Reasons say why the whole check failed beyond its images (a session's
	// PAD verdict, or too few passed steps); empty when it passed.
	Reasons []string `json:"reasons,omitempty"`
	// SessionSpoofScore and SessionPADFrames are a session's PAD verdict:
	// the median fused spoof_score over SessionPADFrames frames of the face
	// (sessions with spoof detection only).
	SessionSpoofScore *float64 `json:"session_spoof_score,omitempty"`
	SessionPADFrames  *int     `json:"session_pad_frames,omitempty"`
	// ParallaxRatio and ParallaxPairs are the flat-picture evidence: the
	// median parallax ratio over ParallaxPairs pairs of views of the face
	// (a session's frames, a batch's images); absent when no pair moved
	// enough to judge.
	ParallaxRatio *float64 `json:"parallax_ratio,omitempty"`
	ParallaxPairs *int     `json:"parallax_pairs,omitempty"`
}

// Similarity references.
const (
	ReferenceGallery = "gallery"
	ReferenceBatch   = "batch"
)

// NewResponse shapes a verdict as a 200 response.
func NewResponse(p Plan, v Verdict) Response {
	ref := ReferenceBatch
	if p.GalleryID != "" {
		ref = ReferenceGallery
	}
	resp := Response{
		Status:              strconv.Itoa(200),
		StatusMessage:       "Success",
		Liveness:            v.Liveness,
		Results:             v.Results,
		TrxID:               p.TrxID,
		SuccessThreshold:    p.SuccessThreshold,
		PassedImages:        v.Passed,
		SimilarityReference: ref,
		Reasons:             v.Reasons,
	}
	if v.Flat != nil {
		ratio, pairs := round(v.Flat.Ratio, 3), v.Flat.Pairs
		resp.ParallaxRatio, resp.ParallaxPairs = &ratio, &pairs
	}
	if v.PAD != nil {
		score, frames := round(v.PAD.Score, 4), v.PAD.Frames
		resp.SessionSpoofScore, resp.SessionPADFrames = &score, &frames
	}
	return resp
}
