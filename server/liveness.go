package server

import (
	"net/http"

	"github.com/livenessd/livenessd/liveness"
)

// verifyFaceLiveness is POST /liveness-api/verify-face-liveness: every image
// is judged against its face parameter, spoofing and the reference face, and
// the batch passes when success_threshold images pass.
func (s *Server) verifyFaceLiveness(w http.ResponseWriter, r *http.Request) {
	var req liveness.Request
	if err := decodeJSON(w, r, s.cfg.Limits.MaxBodyBytes, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if liveness.CheckTrxID(req.TrxID) == nil {
		setTrx(r, req.TrxID)
	}
	b, err := req.Check(s.cfg.Limits.MaxImages)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var enrolled []float32
	if b.GalleryID != "" {
		face, err := s.store.Face(r.Context(), clientOf(r), b.GalleryID, b.UserID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		enrolled = face.Embedding
	}
	imgs, err := s.decodeImages(r.Context(), b.Images)
	if err != nil {
		writeError(w, r, err)
		return
	}
	fas, err := s.engine.AnalyzeBatch(r.Context(), imgs)
	if err != nil {
		writeError(w, r, err)
		return
	}
	v := s.judge.Batch(fas, b.Parameters, enrolled, b.SpoofDetection, b.SuccessThreshold)
	for i, fa := range fas {
		s.metrics.observeAnalysis(fa)
		s.metrics.observeOutcome(fa.Face != nil, v.Results[i].Passed)
	}
	logger(r).Info("liveness judged", "liveness", v.Liveness, "passed", v.Passed,
		"success_threshold", b.SuccessThreshold, "images", len(imgs), "spoof_detection", b.SpoofDetection,
		"gallery", b.GalleryID != "")
	writeJSON(w, r, http.StatusOK, liveness.NewResponse(b, v))
}
