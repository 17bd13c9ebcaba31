package server

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livenessd/livenessd/internal/testkit"
)

// TestBatchAndSessionJudgeAlike: the same image under the same parameter gets
// the same answer whether it is one image of a batch or the camera frame of a
// one-step session (streamed over and over), because both are judged by the
// one liveness.Judge: the parameter, one face, the reference face and PAD
// (per image in a batch, over the frames in a session).
func TestBatchAndSessionJudgeAlike(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	for _, tc := range []struct {
		photo, param string
		pass         bool
		why          string // a failure's reason, in both answers
	}{
		{"fr_kit_harington_john1.jpeg", "front", true, ""},
		{"fr_kit_harington_john2.jpeg", "right", true, ""},
		{"fr_kit_harington_john1.jpeg", "left", false, "asked to turn left"},
		{"silentface_T1_real.jpg", "eyes open", true, ""},
		{"pexels_woman_wink.jpg", "eyes closed", false, "asked to close both eyes"},
		{"silentface_F2_replay.jpg", "front", false, "presentation attack suspected"},
		{"linzaer_mask_grid.jpeg", "front", false, "faces in view; one person only"},
	} {
		t.Run(tc.photo+" "+tc.param, func(t *testing.T) {
			t.Parallel()
			code, b := ts.call(t, "POST", "/liveness-api/verify-face-liveness", tokenA, batch(t, "eq-batch", tc.photo, tc.param))
			if code != 200 {
				t.Fatalf("batch: %d %v", code, b)
			}
			br := results(t, b)[0]
			batchWhy := reasons(br)

			jpeg, err := base64.StdEncoding.DecodeString(photo(t, tc.photo))
			if err != nil {
				t.Fatal(err)
			}
			c := ts.createSession(t, tokenA, with(sessionBody("eq-session", tc.param), "step_timeout_ms", 3000))
			o := stream(t, c, [][]byte{jpeg}, 10, true)
			if o.result == nil || o.result.Response == nil {
				t.Fatalf("session ended without a result: %v", o.messages)
			}
			sr := o.result.Response.Results[0]
			sessionWhy := strings.Join(append(sr.Reasons, o.result.Response.Reasons...), "; ")

			t.Logf("%-28s %-11s batch %-6s session %-6s | batch: %s | session: %s", tc.photo, tc.param,
				b["liveness"], o.result.Response.Liveness, batchWhy, sessionWhy)
			want := map[bool]string{true: "passed", false: "failed"}[tc.pass]
			if b["liveness"] != want || o.result.Response.Liveness != want {
				t.Errorf("batch %v, session %v, want both %s", b["liveness"], o.result.Response.Liveness, want)
			}
			if br["match"] != sr.Match || int(br["faces"].(float64)) != sr.Faces {
				t.Errorf("batch match %v faces %v, session match %v faces %d", br["match"], br["faces"], sr.Match, sr.Faces)
			}
			if !strings.Contains(batchWhy, tc.why) || !strings.Contains(sessionWhy, tc.why) {
				t.Errorf("want %q in both reasons", tc.why)
			}
		})
	}
}

// TestBatchJudgesPADPerImage: a batch does not pool PAD over its images. A
// live photo and a print of the same NUAA subject: the live one passes, the
// print fails on its own spoof_score, and the batch passes only when one
// passed image is enough.
func TestBatchJudgesPADPerImage(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(testkit.Shared(t, "testdata/faces/spoof"), name))
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(data)
	}
	body := map[string]any{"trx_id": "pad-per-image", "face_parameters": []string{"front", "front"},
		"images": []string{read("nuaa_real_0001_00_00_01_253.jpg"), read("nuaa_print_0001_00_01_03_255.jpg")}}
	rs := mustLiveness(t, ts, tokenA, body, "failed")
	if rs[0]["passed"] != true || rs[0]["spoof"] != "real" {
		t.Errorf("live photo: %v", rs[0])
	}
	if rs[1]["passed"] != false || rs[1]["spoof"] != "spoof" || rs[1]["verified"] != true ||
		!strings.Contains(reasons(rs[1]), "presentation attack") {
		t.Errorf("print of the same person: %v", rs[1])
	}
	mustLiveness(t, ts, tokenA, with(body, "success_threshold", 1), "passed")
}
