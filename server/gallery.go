package server

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"net/http"
	"time"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/store"
)

// galleryRequest is the JSON body of every face-gallery route; each route
// says which fields it needs.
type galleryRequest struct {
	TrxID         string `json:"trx_id"`
	FacegalleryID string `json:"facegallery_id"`
	UserID        string `json:"user_id"`
	UserName      string `json:"user_name"`
	Image         string `json:"image"`
}

// needs lists a route's required fields beyond trx_id and facegallery_id.
type needs struct{ user, image bool }

const maxUserName = 128

// readGallery decodes and checks a gallery body. Bodies without an image are
// small, so they get a small limit.
func (s *Server) readGallery(w http.ResponseWriter, r *http.Request, n needs) (galleryRequest, error) {
	var req galleryRequest
	limit := int64(64 << 10)
	if n.image {
		limit += int64(s.cfg.Limits.MaxImageBytes)/3*4 + 4
	}
	if err := decodeJSON(w, r, limit, &req); err != nil {
		return req, err
	}
	if err := liveness.CheckTrxID(req.TrxID); err != nil {
		return req, err
	}
	setTrx(r, req.TrxID)
	if err := liveness.CheckID("facegallery_id", req.FacegalleryID); err != nil {
		return req, err
	}
	if n.user {
		if err := liveness.CheckID("user_id", req.UserID); err != nil {
			return req, err
		}
	}
	if len(req.UserName) > maxUserName {
		return req, &liveness.FieldError{Field: "user_name", Message: fmt.Sprintf("is %d bytes; at most %d allowed", len(req.UserName), maxUserName)}
	}
	if n.image && req.Image == "" {
		return req, &liveness.FieldError{Field: "image", Message: "is required"}
	}
	return req, nil
}

// analyzeOne decodes and analyses a single base64 image.
func (s *Server) analyzeOne(ctx context.Context, b64 string) (*inference.FaceAnalysis, []byte, error) {
	imgs, release, err := s.decodeImages(ctx, []string{b64}, func(int) string { return "image" })
	if err != nil {
		return nil, nil, err
	}
	defer release()
	img := imgs[0]
	fa, err := s.engine.Analyze(ctx, img)
	if err != nil {
		return nil, nil, err
	}
	s.metrics.observeAnalysis(fa)
	var photo []byte
	if s.cfg.Store.KeepPhotos {
		// Re-encoded upright, so a stored photo never depends on EXIF.
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			return nil, nil, err
		}
		photo = buf.Bytes()
	}
	return fa, photo, nil
}

// galleryIDs answers the routes that only change the store.
type galleryIDs struct {
	status
	FacegalleryID string `json:"facegallery_id"`
	UserID        string `json:"user_id,omitempty"`
}

// storeOp is one change to the store made by a gallery route.
type storeOp func(ctx context.Context, client string, req galleryRequest) error

// changeStore serves create-facegallery, delete-facegallery and delete-face:
// read and check the body, make the change, answer with the ids.
func (s *Server) changeStore(n needs, op storeOp) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := s.readGallery(w, r, n)
		if err == nil {
			err = op(r.Context(), clientOf(r), req)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, r, http.StatusOK, galleryIDs{ok(r), req.FacegalleryID, req.UserID})
	}
}

func (s *Server) createGallery(ctx context.Context, client string, req galleryRequest) error {
	return s.store.CreateGallery(ctx, client, req.FacegalleryID)
}

func (s *Server) deleteGallery(ctx context.Context, client string, req galleryRequest) error {
	return s.store.DeleteGallery(ctx, client, req.FacegalleryID)
}

func (s *Server) deleteFace(ctx context.Context, client string, req galleryRequest) error {
	return s.store.DeleteFace(ctx, client, req.FacegalleryID, req.UserID)
}

type galleryInfo struct {
	FacegalleryID string    `json:"facegallery_id"`
	Faces         int       `json:"faces"`
	CreatedAt     time.Time `json:"created_at"`
}

type faceInfo struct {
	UserID    string    `json:"user_id"`
	UserName  string    `json:"user_name"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) myGalleries(w http.ResponseWriter, r *http.Request) {
	if trx := r.URL.Query().Get("trx_id"); trx != "" {
		if err := liveness.CheckTrxID(trx); err != nil {
			writeError(w, r, err)
			return
		}
		setTrx(r, trx)
	}
	gs, err := s.store.Galleries(r.Context(), clientOf(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]galleryInfo, len(gs))
	for i, g := range gs {
		out[i] = galleryInfo{FacegalleryID: g.ID, Faces: g.Faces, CreatedAt: g.CreatedAt}
	}
	writeJSON(w, r, http.StatusOK, struct {
		status
		Facegalleries []galleryInfo `json:"facegalleries"`
	}{ok(r), out})
}

// enrollFace stores the embedding of the one face in the image (and the
// photo only when keep_photos is set).
func (s *Server) enrollFace(w http.ResponseWriter, r *http.Request) {
	req, err := s.readGallery(w, r, needs{user: true, image: true})
	if err != nil {
		writeError(w, r, err)
		return
	}
	fa, photo, err := s.analyzeOne(r.Context(), req.Image)
	if err == nil {
		err = s.judge.CheckEnrolment(fa)
	}
	if err == nil {
		err = s.store.EnrollFace(r.Context(), store.Face{
			ClientID: clientOf(r), GalleryID: req.FacegalleryID, UserID: req.UserID,
			UserName: req.UserName, Embedding: fa.Face.Embedding, Photo: photo,
		})
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	logger(r).Info("face enrolled", "facegallery_id", req.FacegalleryID, "user_id", req.UserID)
	writeJSON(w, r, http.StatusOK, struct {
		status
		FacegalleryID string `json:"facegallery_id"`
		UserID        string `json:"user_id"`
		UserName      string `json:"user_name"`
	}{ok(r), req.FacegalleryID, req.UserID, req.UserName})
}

func (s *Server) listFaces(w http.ResponseWriter, r *http.Request) {
	req, err := s.readGallery(w, r, needs{})
	if err != nil {
		writeError(w, r, err)
		return
	}
	faces, err := s.store.Faces(r.Context(), clientOf(r), req.FacegalleryID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]faceInfo, len(faces))
	for i, f := range faces {
		out[i] = faceInfo{UserID: f.UserID, UserName: f.UserName, CreatedAt: f.CreatedAt}
	}
	writeJSON(w, r, http.StatusOK, struct {
		status
		FacegalleryID string     `json:"facegallery_id"`
		Faces         []faceInfo `json:"faces"`
	}{ok(r), req.FacegalleryID, out})
}

// verifyFace compares the largest face in the image with an enrolled face.
func (s *Server) verifyFace(w http.ResponseWriter, r *http.Request) {
	req, err := s.readGallery(w, r, needs{user: true, image: true})
	if err != nil {
		writeError(w, r, err)
		return
	}
	enrolled, err := s.store.Face(r.Context(), clientOf(r), req.FacegalleryID, req.UserID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	fa, _, err := s.analyzeOne(r.Context(), req.Image)
	if err == nil && fa.Face == nil {
		err = liveness.ErrNoFace
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	verified, sim := s.judge.Verify(fa.Face.Embedding, enrolled.Embedding)
	logger(r).Info("face verified", "facegallery_id", req.FacegalleryID, "user_id", req.UserID, "verified", verified)
	writeJSON(w, r, http.StatusOK, struct {
		status
		FacegalleryID string  `json:"facegallery_id"`
		UserID        string  `json:"user_id"`
		Verified      bool    `json:"verified"`
		Similarity    float64 `json:"similarity"`
		Faces         int     `json:"faces"`
	}{ok(r), req.FacegalleryID, req.UserID, verified, sim, fa.Faces})
}
