package liveness

import (
	"errors"
	"fmt"

	"github.com/livenessd/livenessd/inference"
)

// Reasons an image cannot serve as a gallery face.
var (
	ErrNoFace       = errors.New("no face detected in the image")
	ErrSeveralFaces = errors.New("several faces in the image")
	ErrMaskedFace   = errors.New("the face is covered by a mask")
)

// CheckEnrolment accepts an image as a gallery face only when it shows
// exactly one unmasked face: the embedding of a crowd or of half a face would
// make every later verification doubtful.
func (j Judge) CheckEnrolment(fa *inference.FaceAnalysis) error {
	switch {
	case fa.Face == nil:
		return ErrNoFace
	case fa.Faces > 1:
		return fmt.Errorf("%w: %d faces; enrol one person per image", ErrSeveralFaces, fa.Faces)
	case j.Masked(fa.Face):
		return fmt.Errorf("%w (mask score %.2f)", ErrMaskedFace, fa.Face.MaskScore)
	}
	return nil
}
