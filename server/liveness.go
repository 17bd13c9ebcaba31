package server

import (
	"fmt"
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
	plan, err := req.Check(s.cfg.Limits.MaxImages)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.checkLockout(clientOf(r), plan); err != nil {
		writeError(w, r, err)
		return
	}
	enrolled, err := s.enrolled(r, clientOf(r), plan)
	if err != nil {
		writeError(w, r, err)
		return
	}
	imgs, release, err := s.decodeImages(r.Context(), req.Images, func(i int) string { return fmt.Sprintf("images[%d]", i) })
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	fas, err := s.engine.AnalyzeBatch(r.Context(), imgs)
	if err != nil {
		writeError(w, r, err)
		return
	}
	v := s.judge.Batch(fas, plan.Parameters, enrolled, plan.SpoofDetection, plan.SuccessThreshold)
	s.countOutcome(clientOf(r), plan, v.Liveness != liveness.Passed)
	for i, fa := range fas {
		s.metrics.observeAnalysis(fa)
		s.metrics.observeOutcome(fa.Face != nil, v.Results[i].Passed)
	}
	logger(r).Info("liveness judged", "liveness", v.Liveness, "passed", v.Passed,
		"success_threshold", plan.SuccessThreshold, "images", len(imgs), "spoof_detection", plan.SpoofDetection,
		"gallery", plan.GalleryID != "")
	writeJSON(w, r, http.StatusOK, liveness.NewResponse(plan, v))
}

// enrolled is the client's gallery face a plan names, or nil when it names
// none.
func (s *Server) enrolled(r *http.Request, client string, plan liveness.Plan) ([]float32, error) {
	if plan.GalleryID == "" {
		return nil, nil
	}
	face, err := s.store.Face(r.Context(), client, plan.GalleryID, plan.UserID)
	return face.Embedding, err
}
