package liveness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/livenessd/livenessd/inference"
)

// Liveness verdicts.
const (
	Passed = "passed"
	Failed = "failed"
)

// Verdict is the judgement of a whole batch or session.
type Verdict struct {
	Liveness string // Passed or Failed
	Passed   int    // images (steps) that passed
	Results  Results
	// PAD is the session-level presentation-attack verdict; nil for a batch
	// and for a session without spoof detection.
	PAD *SessionPAD
	// Flat is the flat-picture evidence; nil when the check is off or no
	// pair of views moved enough to judge.
	Flat *Flatness
	// Reasons say why the whole check failed beyond its images (the
	// session's PAD verdict, a flat picture); empty when it passed.
	Reasons []string
}

// Batch judges every image of a batch. enrolled is the gallery face to verify
// against; when nil, the batch's own reference face (see Reference) is used,
// so a batch made of different people cannot pass.
func (j Judge) Batch(fas []*inference.FaceAnalysis, params []Parameter, enrolled []float32, spoofDetection bool, successThreshold int) Verdict {
	s := Subject{Ref: enrolled}
	if s.Ref == nil {
		s.Ref = j.Reference(fas)
	}
	s.Eyes = j.batchEyes(fas, params, s.Ref)
	v := Verdict{Liveness: Failed, Results: make(Results, len(fas))}
	var subject []*inference.Face
	for i, fa := range fas {
		v.Results[i] = j.Image(fa, params[i], s, spoofDetection)
		if v.Results[i].Passed {
			v.Passed++
		}
		if v.Results[i].Verified && fa.Faces == 1 {
			subject = append(subject, fa.Face)
		}
	}
	// Several photos of one face are compared like a session's frames: a
	// batch of views of one printed photo is flat.
	v.flat(j, subject)
	if v.Passed >= successThreshold && len(v.Reasons) == 0 {
		v.Liveness = Passed
	}
	return v
}

// flat judges the subject's views for a flat picture when the check is on,
// records the evidence, and the reason the whole check fails when flat.
func (v *Verdict) flat(j Judge, subject []*inference.Face) {
	if !j.T.FlatCheck {
		return
	}
	f := j.Flatness(subject)
	if f.Pairs == 0 {
		return
	}
	v.Flat = &f
	if f.Flat {
		v.Reasons = append(v.Reasons, fmt.Sprintf("the face moved like a flat picture: median parallax ratio %.2f over %d view pairs", f.Ratio, f.Pairs))
	}
}

// screenFrames is how many of a session's frames must show a phone or
// screen around the subject's face for the session to fail: the device
// check runs on about one frame a second, and one frame alone must not
// decide (on the development data it flagged no live frame, and 31 of 32
// sampled frames of a phone replay whose edge is in view).
const screenFrames = 2

// screens counts the faces a phone or screen was seen around.
func screens(faces []*inference.Face) int {
	n := 0
	for _, f := range faces {
		if f.Screen != nil {
			n++
		}
	}
	return n
}

// batchEyes is the batch person's eye baseline from the batch's own images:
// the frontal faces of the reference person in images not asked to close the
// eyes (a batch of one photo has none, and the absolute threshold decides).
func (j Judge) batchEyes(fas []*inference.FaceAnalysis, params []Parameter, ref []float32) EyeBaseline {
	var s EyeSamples
	for i, fa := range fas {
		if params[i] == EyesClosed || fa.Face == nil || fa.Faces != 1 || ref == nil {
			continue
		}
		if same, _ := j.Verify(fa.Face.Embedding, ref); same {
			s.Add(j, fa.Face)
		}
	}
	return s.Baseline()
}

// Session judges a finished session: results are its steps' results in
// parameter order (each already judged by Frame, or failed by a timeout),
// passed how many of them passed. It passes when passed reaches
// successThreshold and, with spoof detection on, the session-level PAD
// verdict over all its frames is real.
func (j Judge) Session(results Results, passed, successThreshold int, spoofDetection bool, pad SessionPAD, subject []*inference.Face) Verdict {
	v := Verdict{Liveness: Failed, Passed: passed, Results: results}
	if spoofDetection {
		v.PAD = &pad
		if !pad.Real {
			v.Reasons = append(v.Reasons, pad.Reason)
		}
	}
	v.flat(j, subject)
	if n := screens(subject); n >= screenFrames {
		v.Reasons = append(v.Reasons, fmt.Sprintf("a phone or screen surrounds the face in %d checked frames", n))
	}
	if passed < successThreshold {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d of %d steps passed; success_threshold is %d", passed, len(results), successThreshold))
	}
	if len(v.Reasons) == 0 {
		v.Liveness = Passed
	}
	return v
}

// Results marshal as the spec's object {"image1": ..., "image2": ...}, in
// image order (a Go map would sort image10 before image2).
type Results []ImageResult

// MarshalJSON writes the results as an object keyed image1..imageN.
func (rs Results) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"image` + strconv.Itoa(i+1) + `":`)
		v, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object form back in image order, for clients
// written in Go (the testclient) and for tests.
func (rs *Results) UnmarshalJSON(data []byte) error {
	var m map[string]ImageResult
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	out := make(Results, len(m))
	for i := range out {
		r, ok := m["image"+strconv.Itoa(i+1)]
		if !ok {
			return fmt.Errorf("results: image%d missing among %d results", i+1, len(m))
		}
		out[i] = r
	}
	*rs = out
	return nil
}
