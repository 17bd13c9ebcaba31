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

// Verdict is the judgement of a whole batch.
type Verdict struct {
	Liveness string // Passed or Failed
	Passed   int    // images that passed
	Results  Results
}

// Batch judges every image of a batch. enrolled is the gallery face to verify
// against; when nil, the batch's own reference face (see Reference) is used,
// so a batch made of different people cannot pass.
func (j Judge) Batch(fas []*inference.FaceAnalysis, params []Parameter, enrolled []float32, spoofDetection bool, successThreshold int) Verdict {
	ref := enrolled
	if ref == nil {
		ref = Reference(fas)
	}
	v := Verdict{Liveness: Failed, Results: make(Results, len(fas))}
	for i, fa := range fas {
		v.Results[i] = j.Image(fa, params[i], ref, spoofDetection)
		if v.Results[i].Passed {
			v.Passed++
		}
	}
	if v.Passed >= successThreshold {
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
