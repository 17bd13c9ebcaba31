// Package liveness owns the API contract: the face parameters a client may
// request, how one analysed image is judged against its parameter, and the
// response fields, with the names of ../shared/spec/liveness-api.md. Batch
// requests, interactive sessions and the CLI all speak through it.
package liveness

import (
	"math"

	"github.com/livenessd/livenessd/inference"
)

// Attributes are the measured fields of one image's result, named as in the
// spec's results.imageN.
type Attributes struct {
	FaceDetected bool     `json:"face_detected"`
	Faces        int      `json:"faces"`
	Box          *Box     `json:"box,omitempty"`
	Rotation     int      `json:"rotation,omitempty"` // degrees counter-clockwise the image was turned to stand the face upright
	Masker       bool     `json:"masker"`
	MaskerScore  float64  `json:"masker_score"`
	Spoof        string   `json:"spoof,omitempty"` // "real" or "spoof"; empty when spoof detection is off
	SpoofScore   *float64 `json:"spoof_score,omitempty"`
	// PADScores are each PAD model's attack probability, fused into
	// SpoofScore by the configured rule (see README "Presentation attacks").
	PADScores     map[string]float64 `json:"pad_scores,omitempty"`
	Roll          float64            `json:"roll"`
	Pitch         float64            `json:"pitch"`
	Yaw           float64            `json:"yaw"`
	LeftEye       string             `json:"left_eye"`
	LeftEyeScore  float64            `json:"left_eye_score"`
	RightEye      string             `json:"right_eye"`
	RightEyeScore float64            `json:"right_eye_score"`
	Mouth         string             `json:"mouth"`
	MouthScore    float64            `json:"mouth_score"`
	// Device is the phone, screen or laptop seen around the face when the
	// device check ran and found one (not in the Riset.ai contract).
	Device *Device `json:"device,omitempty"`
}

// Device is a phone, screen or laptop box around the face.
type Device struct {
	Class string  `json:"class"` // "cell phone", "tv" or "laptop"
	Score float64 `json:"score"`
	Box   Box     `json:"box"`
}

// Box is the subject face's rectangle in image pixels.
type Box struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// AttributesOf reports an analysis in API form, with the judge's mask and
// spoof decisions. withSpoof controls whether the spoof fields are filled
// (the request's spoof_detection).
func (j Judge) AttributesOf(fa *inference.FaceAnalysis, eyes EyeBaseline, withSpoof bool) Attributes {
	a := Attributes{Faces: fa.Faces, Rotation: fa.Rotation}
	f := fa.Face
	if f == nil {
		return a
	}
	a.FaceDetected = true
	a.Box = boxOf(f.Box)
	if sc := f.Screen; sc != nil {
		a.Device = &Device{Class: sc.Class, Score: round(sc.Score, 4), Box: *boxOf(sc.Box)}
	}
	a.Masker, a.MaskerScore = j.Masked(f), round(f.MaskScore, 4)
	if withSpoof && !f.Partial {
		score := j.SpoofScore(f)
		a.Spoof = "real"
		if j.Spoofed(score) {
			a.Spoof = "spoof"
		}
		s := round(score, 4)
		a.SpoofScore, a.PADScores = &s, PADScores(f)
	}
	a.Roll, a.Pitch, a.Yaw = round(f.Roll, 2), round(f.Pitch, 2), round(f.Yaw, 2)
	left, right, mouth := j.Eye(f.LeftEyeOpenness, eyes.Left), j.Eye(f.RightEyeOpenness, eyes.Right), j.Mouth(f.MouthRatio)
	a.LeftEye, a.LeftEyeScore = openClosed(left.Open), round(left.Score, 4)
	a.RightEye, a.RightEyeScore = openClosed(right.Open), round(right.Score, 4)
	a.Mouth, a.MouthScore = openClosed(mouth.Open), round(mouth.Score, 4)
	return a
}

func boxOf(b inference.Box) *Box {
	return &Box{X: int(math.Round(b.X)), Y: int(math.Round(b.Y)), Width: int(math.Round(b.W)), Height: int(math.Round(b.H))}
}

func openClosed(open bool) string {
	if open {
		return "open"
	}
	return "closed"
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
