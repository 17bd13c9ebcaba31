package liveness

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
)

func TestMatch(t *testing.T) {
	j := Judge{T: inference.DefaultThresholds(), Fusion: FuseMax}
	for _, tc := range []struct {
		name string
		face inference.Face
		p    Parameter
		want bool
	}{
		{"left at the threshold", inference.Face{Yaw: 20}, Left, true},
		{"left short of it", inference.Face{Yaw: 19.9}, Left, false},
		{"right is negative yaw", inference.Face{Yaw: -25}, Right, true},
		{"right on a left turn", inference.Face{Yaw: 25}, Right, false},
		{"up", inference.Face{Pitch: 16}, Up, true},
		{"down", inference.Face{Pitch: -16}, Down, true},
		{"down on an up look", inference.Face{Pitch: 16}, Down, false},
		{"front", inference.Face{Yaw: 11, Pitch: -11}, Front, true},
		{"front too far turned", inference.Face{Yaw: 13}, Front, false},
		{"eyes open", inference.Face{LeftEyeOpenness: 0.3, RightEyeOpenness: 0.3}, EyesOpen, true},
		{"a wink is not eyes open", inference.Face{LeftEyeOpenness: 0.3}, EyesOpen, false},
		{"a wink is not eyes closed", inference.Face{LeftEyeOpenness: 0.3}, EyesClosed, false},
		{"eyes closed", inference.Face{}, EyesClosed, true},
		{"mouth open", inference.Face{MouthRatio: 0.5}, MouthOpen, true},
		{"mouth closed", inference.Face{}, MouthClosed, true},
		{"mouth under a mask", inference.Face{MaskScore: 0.9}, MouthClosed, false},
		{"an open mouth under a mask", inference.Face{MaskScore: 0.9, MouthRatio: 0.5}, MouthOpen, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := j.Match(&tc.face, tc.p, EyeBaseline{})
			if got != tc.want {
				t.Errorf("Match = %v (%s), want %v", got, why, tc.want)
			}
			if why == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestBatchVerdict(t *testing.T) {
	j := Judge{T: inference.DefaultThresholds(), Fusion: FuseMax}
	a := []float32{1, 0}
	b := []float32{0, 1}
	face := func(emb []float32, spoof bool) *inference.FaceAnalysis {
		pad := 0.1
		if spoof {
			pad = 0.95
		}
		return &inference.FaceAnalysis{Faces: 1, Face: &inference.Face{Embedding: emb, PAD: []inference.PADScore{{Model: inference.PADFaceplugin, Spoof: pad}}}}
	}
	noFace := &inference.FaceAnalysis{}
	params := []Parameter{Front, Front, Front, Front}

	// The first image with a face is the reference; the no-face image and
	// the other person fail; the spoof fails only with spoof detection on.
	fas := []*inference.FaceAnalysis{noFace, face(a, false), face(b, false), face(a, true)}
	v := j.Batch(fas, params, nil, true, 2)
	if v.Liveness != Failed || v.Passed != 1 {
		t.Errorf("spoof on: %s with %d passed, want failed with 1", v.Liveness, v.Passed)
	}
	if r := v.Results[0]; r.FaceDetected || r.Match || r.Reasons[0] != "no face detected" {
		t.Errorf("no-face image: %+v", r)
	}
	if r := v.Results[2]; r.Verified || r.Similarity != 0 {
		t.Errorf("other person: %+v", r)
	}
	if v := j.Batch(fas, params, nil, false, 2); v.Liveness != Passed || v.Passed != 2 {
		t.Errorf("spoof off: %s with %d passed, want passed with 2", v.Liveness, v.Passed)
	}
	// An enrolled face replaces the batch reference.
	if v := j.Batch(fas, params, b, false, 1); v.Passed != 1 || !v.Results[2].Verified || v.Results[1].Verified {
		t.Errorf("against enrolled b: %+v", v)
	}
}

func TestResultsKeepImageOrder(t *testing.T) {
	rs := make(Results, 12)
	for i := range rs {
		rs[i].FaceParameter = Parameters[i%len(Parameters)]
	}
	data, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	if i2, i10 := strings.Index(string(data), `"image2"`), strings.Index(string(data), `"image10"`); i2 < 0 || i10 < i2 {
		t.Errorf("image2 at %d, image10 at %d: %s", i2, i10, data)
	}
	var back Results
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		if back[i].FaceParameter != rs[i].FaceParameter {
			t.Errorf("image%d: %q, want %q", i+1, back[i].FaceParameter, rs[i].FaceParameter)
		}
	}
}

func TestCheckDefaults(t *testing.T) {
	r := Request{Params: Params{TrxID: "t", FaceParameters: []string{"left", "mouth open"}}, Images: []string{"a", "b"}}
	b, err := r.Check(16)
	if err != nil {
		t.Fatal(err)
	}
	if !b.SpoofDetection || b.SuccessThreshold != 2 || b.Parameters[1] != MouthOpen || b.GalleryID != "" {
		t.Errorf("defaults: %+v", b)
	}
	off, one := false, 1
	r.SpoofDetection, r.SuccessThreshold = &off, &one
	r.FacegalleryID, r.UserID = "g", "u"
	if b, err = r.Check(16); err != nil || b.SpoofDetection || b.SuccessThreshold != 1 || b.GalleryID != "g" {
		t.Errorf("explicit: %+v %v", b, err)
	}
	var fe *FieldError
	if _, err := r.Check(1); !errors.As(err, &fe) || fe.Field != "images" {
		t.Errorf("over the limit: %v", err)
	}
}

func TestImageBytesEncodings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testkit.Shared(t, "testdata/samples"), "fr_obama_obama.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	std := base64.StdEncoding.EncodeToString(data)
	for name, s := range map[string]string{
		"standard":   std,
		"data URL":   "data:image/jpeg;base64," + std,
		"no padding": base64.RawStdEncoding.EncodeToString(data),
	} {
		raw, err := ImageBytes(s, len(data))
		var img image.Image
		if err == nil {
			img, err = inference.Decode(raw, inference.DefaultDecodeLimits)
		}
		if err != nil || img.Bounds().Dx() < 100 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ImageBytes(std, len(data)-1); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("one byte over: %v", err)
	}
	if _, err := ImageBytes("", 100); !errors.Is(err, ErrBase64) {
		t.Errorf("empty: %v", err)
	}
}

// TestScreenAroundTheFace: with the device check's evidence, an image with a
// phone or screen around the face fails with that reason, and a session
// fails once two of its checked frames showed one, not on one alone.
func TestScreenAroundTheFace(t *testing.T) {
	j := Judge{T: inference.DefaultThresholds(), Fusion: FuseMax}
	emb := []float32{1, 0}
	phone := &inference.Screen{Class: "cell phone", Score: 0.9, Box: inference.Box{W: 300, H: 500}, Cover: 1}
	withScreen := &inference.FaceAnalysis{Faces: 1, Face: &inference.Face{Embedding: emb, Screen: phone}}
	r := j.Image(withScreen, Front, Subject{Ref: emb}, false)
	if r.Passed || len(r.Reasons) != 1 || !strings.Contains(r.Reasons[0], "phone or screen") || r.Device == nil || r.Device.Class != "cell phone" {
		t.Errorf("image with a phone around the face: %+v", r)
	}
	plain := &inference.Face{Embedding: emb}
	pad := SessionPAD{Real: true}
	passed := Results{{Passed: true}}
	if v := j.Session(passed, 1, 1, false, pad, []*inference.Face{plain, withScreen.Face, plain}); v.Liveness != Passed {
		t.Errorf("one checked frame with a screen: %s %v, want passed", v.Liveness, v.Reasons)
	}
	v := j.Session(passed, 1, 1, false, pad, []*inference.Face{withScreen.Face, plain, withScreen.Face})
	if v.Liveness != Failed || len(v.Reasons) != 1 || !strings.Contains(v.Reasons[0], "phone or screen") {
		t.Errorf("two checked frames with a screen: %s %v, want failed for the screen", v.Liveness, v.Reasons)
	}
}

// TestPartialFramesNeverPass: a frame measured for pose, eyes and mouth only
// fails even when its pose meets the step, and Worth asks for the full
// measures exactly when the frame could change the step.
func TestPartialFramesNeverPass(t *testing.T) {
	j := Judge{T: inference.DefaultThresholds(), Fusion: FuseMax}
	emb := []float32{1, 0}
	frontal := &inference.Face{Partial: true, LeftEyeOpenness: 0.3, RightEyeOpenness: 0.3}
	r := j.Frame(&inference.FaceAnalysis{Faces: 1, Face: frontal}, Front, Subject{Ref: emb}, true)
	if r.Passed || !r.Match || r.Verified || r.SpoofScore != nil {
		t.Errorf("a partial frontal frame asked front: %+v, want a match that does not pass, without scores", r)
	}
	turned := &inference.Face{Yaw: 30, LeftEyeOpenness: 0.3, RightEyeOpenness: 0.3}
	closed := &inference.Face{LeftEyeOpenness: 0.02, RightEyeOpenness: 0.02}
	for _, c := range []struct {
		f    *inference.Face
		p    Parameter
		want bool
	}{
		{frontal, Front, true}, {turned, Front, false}, {turned, Left, true}, {turned, Right, false},
		{frontal, EyesClosed, true}, // open eyes: the frame a closure must follow
		{closed, EyesClosed, true}, {closed, EyesOpen, false},
	} {
		if got := j.Worth(c.f, c.p, EyeBaseline{}); got != c.want {
			t.Errorf("Worth(yaw %.0f, openness %.2f, %s) = %v, want %v", c.f.Yaw, c.f.LeftEyeOpenness, c.p, got, c.want)
		}
	}
}
