package inference

import (
	"cmp"
	"fmt"
	"image"
	"slices"
	"time"

	"github.com/disintegration/imaging"
	ort "github.com/yalue/onnxruntime_go"

	"github.com/livenessd/livenessd/models"
)

// maxSide bounds the image the models look at. Larger photos are shrunk once,
// with a proper filter, before anything else: a face needs at most a few
// hundred pixels for every model here, and per-crop resampling of a 50 MP
// photo would cost more than the models.
const maxSide = 1280

// tightCropPad is the border added around an image in which no face was
// found on the first try (see detect).
const tightCropPad = 0.25

// pipeline is one complete set of model sessions. A pool worker owns one and
// runs one image at a time through it.
type pipeline struct {
	detector, mesh, iris, mask, embed *model
	screen                            *model            // the phone/screen detector; nil unless device_check is on
	pad                               map[string]*model // the configured PAD models' sessions, by manifest role
	padModels                         []string          // configured PAD model names, in report order
	th                                Thresholds
	mesh468                           [meshPoints]vec3
	reflectBuf                        *image.NRGBA   // the CelebA model's crop, reused
	canon                             *canonicalFace // shared by every pipeline, read only
	loaded                            []*model       // every session above, for close
}

func newPipeline(man *models.Manifest, paths models.Paths, opts *ort.SessionOptions, cfg Config, canon *canonicalFace) (*pipeline, error) {
	p := &pipeline{th: cfg.Thresholds, pad: map[string]*model{}, padModels: cfg.PAD.Models, canon: canon}
	load := func(role string) (*model, error) {
		spec, err := man.Model(role)
		var m *model
		if err == nil {
			m, err = loadModel(paths.Models[role], spec, opts)
		}
		if err != nil {
			return nil, fmt.Errorf("load %s model: %w", role, err)
		}
		p.loaded = append(p.loaded, m)
		return m, nil
	}
	var err error
	for _, s := range []struct {
		role string
		dst  **model
	}{
		{models.RoleDetector, &p.detector}, {models.RoleLandmarks, &p.mesh}, {models.RoleIris, &p.iris},
		{models.RoleMask, &p.mask}, {models.RoleEmbedding, &p.embed},
	} {
		if *s.dst, err = load(s.role); err != nil {
			p.close()
			return nil, err
		}
	}
	if cfg.DeviceCheck {
		if p.screen, err = load(models.RoleDevice); err != nil {
			p.close()
			return nil, err
		}
	}
	for _, name := range cfg.PAD.Models {
		for _, role := range padRoles[name] {
			if p.pad[role], err = load(role); err != nil {
				p.close()
				return nil, err
			}
		}
	}
	return p, nil
}

func (p *pipeline) close() {
	for _, m := range p.loaded {
		m.destroy()
	}
}

// Want names the optional stages an analysis runs beyond every model the
// face always gets.
type Want struct {
	// Screen runs the phone/screen detector, when device_check loaded it.
	Screen bool
	// Full, when set, is asked once the face's pose, eyes and mouth are
	// measured: false skips the models that answer nothing more about them
	// (PAD, mask, embedding, screen) and marks the face Partial. Sessions
	// use it for frames that cannot change their step's outcome; nil runs
	// everything.
	Full func(*Face) bool
}

// analyze runs every model on the image's largest face.
func (p *pipeline) analyze(img *image.NRGBA, want Want) (*FaceAnalysis, error) {
	start := time.Now()
	res := &FaceAnalysis{Width: img.Rect.Dx(), Height: img.Rect.Dy()}
	t := &res.Timings

	done := lap(&t.Prepare)
	work, back := shrink(img)
	done()

	work, dets, rotation, err := p.locate(work, t)
	if err != nil {
		return nil, err
	}
	res.Faces, res.Rotation = comparableFaces(dets), rotation
	if rotation == 90 || rotation == 270 {
		res.Width, res.Height = res.Height, res.Width // coordinates are now those of the turned image
	}
	if len(dets) == 0 {
		t.Total = time.Since(start)
		return res, nil
	}
	subject := largest(dets)
	f := &Face{Box: subject.box, Score: subject.score, Keypoints: subject.kps}
	pts := &p.mesh468
	f.Roll, f.Pitch, f.Yaw = headPose(p.canon, pts)
	f.Pitch -= p.th.PitchBias
	f.Yaw -= p.th.YawBias
	f.MouthRatio = mouthRatio(pts)

	done = lap(&t.Iris)
	rightOpen, err := eyeOpenness(p.iris, work, pts[meshRightEyeOuter], pts[meshRightEyeInner], false)
	var leftOpen float64
	if err == nil {
		leftOpen, err = eyeOpenness(p.iris, work, pts[meshLeftEyeInner], pts[meshLeftEyeOuter], true)
	}
	done()
	if err != nil {
		return nil, fmt.Errorf("iris: %w", err)
	}
	f.RightEyeOpenness, f.LeftEyeOpenness = rightOpen, leftOpen

	if want.Full == nil || want.Full(f) {
		if err := p.measureFull(work, subject, f, want, t, back); err != nil {
			return nil, err
		}
	} else {
		f.Partial = true
	}

	f.Mesh = make([]Point, meshPoints)
	for i, q := range pts {
		f.Mesh[i] = Point{q.X, q.Y}
	}
	f.Box, f.Keypoints = back(f.Box, f.Keypoints, f.Mesh)
	res.Face = f
	t.Total = time.Since(start)
	return res, nil
}

// lap starts timing a stage; calling what it returns adds the time to d.
func lap(d *time.Duration) func() {
	t0 := time.Now()
	return func() { *d += time.Since(t0) }
}

// measureFull runs the models a face needs beyond its pose, eyes and mouth:
// every configured PAD model, the mask head, the embedding and, when wanted,
// the phone/screen detector.
func (p *pipeline) measureFull(work *image.NRGBA, subject detection, f *Face, want Want, t *Timings,
	back func(Box, [5]Point, []Point) (Box, [5]Point)) error {
	var err error
	done := lap(&t.Spoof)
	f.PAD = make([]PADScore, len(p.padModels))
	for i, name := range p.padModels {
		f.PAD[i].Model = name
		if f.PAD[i].Spoof, err = p.padScore(name, work, subject.box); err != nil {
			break
		}
	}
	done()
	if err != nil {
		return fmt.Errorf("pad: %w", err)
	}

	done = lap(&t.Mask)
	f.MaskScore, err = maskProbability(p.mask, work, subject.box)
	done()
	if err != nil {
		return fmt.Errorf("mask: %w", err)
	}

	done = lap(&t.Embed)
	f.Embedding = make([]float32, len(p.embed.out(0)))
	err = embedding(p.embed, work, subject.kps, f.Embedding)
	done()
	if err != nil {
		return fmt.Errorf("embed: %w", err)
	}

	if p.screen != nil && want.Screen {
		done = lap(&t.Screen)
		f.Screen, err = findScreen(p.screen, work, subject.box, p.th)
		done()
		if err != nil {
			return fmt.Errorf("screen: %w", err)
		}
		if f.Screen != nil {
			f.Screen.Box, _ = back(f.Screen.Box, [5]Point{}, nil)
		}
	}
	return nil
}

// locate finds the faces and the subject's mesh, making sure the subject is
// upright. Photos often reach us sideways or upside down (a phone that
// dropped or mangled the EXIF orientation) and every model after the
// detector needs an upright face. The detector still fires on a turned face,
// with keypoints that look upright, but the mesh model's face-presence score
// then drops (measured on 4 sample photos: 1.00 upright; 0.00-0.02 sideways;
// 0.60-0.62 upside down for two of them, which a 0.5 bar took as upright).
// So an orientation whose presence reaches uprightPresence wins at once;
// otherwise the image is also turned by 90, 270 and 180 degrees and the
// orientation with the highest presence of at least minFacePresence wins.
// Without any detection, a tight crop gets a second try with a border
// around it. Rotation is the counter-clockwise turn applied.
func (p *pipeline) locate(img *image.NRGBA, t *Timings) (work *image.NRGBA, dets []detection, rotation int, err error) {
	type found struct {
		img      *image.NRGBA
		dets     []detection
		rot      int
		presence float64
	}
	var first, best *found
	for _, rot := range []int{0, 90, 270, 180} {
		turned := rotate(img, rot)
		t0 := time.Now()
		d, err := detect(p.detector, turned, 0, p.th)
		if err == nil && len(d) == 0 && rot == 0 {
			d, err = detect(p.detector, turned, tightCropPad, p.th)
		}
		t.Detect += time.Since(t0)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("detect: %w", err)
		}
		if len(d) == 0 {
			continue
		}
		t0 = time.Now()
		presence, err := landmarks(p.mesh, turned, largest(d), &p.mesh468)
		t.Mesh += time.Since(t0)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("mesh: %w", err)
		}
		if presence >= uprightPresence {
			return turned, d, rot, nil
		}
		f := &found{turned, d, rot, presence}
		if first == nil {
			first = f
		}
		if presence >= minFacePresence && (best == nil || presence > best.presence) {
			best = f
		}
	}
	if best == nil {
		// No orientation convinced the mesh: keep the first detection as it is.
		best = first
	}
	if best == nil {
		return img, nil, 0, nil
	}
	// The mesh buffer holds the last orientation tried: measure the winner's.
	_, err = landmarks(p.mesh, best.img, largest(best.dets), &p.mesh468)
	return best.img, best.dets, best.rot, err
}

// A mesh face-presence probability of at least minFacePresence means the
// crop holds a face that may be upright; uprightPresence, that it is (the
// upright sample photos score 1.00, upside-down ones up to 0.62).
const (
	minFacePresence = 0.5
	uprightPresence = 0.9
)

func rotate(img *image.NRGBA, ccw int) *image.NRGBA {
	switch ccw {
	case 90:
		return imaging.Rotate90(img)
	case 180:
		return imaging.Rotate180(img)
	case 270:
		return imaging.Rotate270(img)
	}
	return img
}

// minFaceShare: a detection shorter than a quarter of the subject's height
// is not counted as another face. On NUAA webcam frames YuNet finds 25x37 px
// "faces" (score ~0.7) in the background beside a 150x200 px subject; a
// person close enough to matter stands out far more than that.
const minFaceShare = 0.25

// comparableFaces counts the detections at least minFaceShare of the
// subject's height, the subject included.
func comparableFaces(dets []detection) int {
	if len(dets) == 0 {
		return 0
	}
	h := largest(dets).box.H
	n := 0
	for _, d := range dets {
		if d.box.H >= minFaceShare*h {
			n++
		}
	}
	return n
}

func largest(dets []detection) detection {
	return slices.MaxFunc(dets, func(a, b detection) int { return cmp.Compare(a.box.Area(), b.box.Area()) })
}

// shrink returns the image the models work on (the original when it is small
// enough) and the map of boxes, keypoints and mesh points (in place) back to
// the original.
func shrink(img *image.NRGBA) (*image.NRGBA, func(Box, [5]Point, []Point) (Box, [5]Point)) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if max(w, h) <= maxSide {
		return img, func(b Box, k [5]Point, _ []Point) (Box, [5]Point) { return b, k }
	}
	s := float64(maxSide) / float64(max(w, h))
	small := imaging.Resize(img, max(1, int(float64(w)*s+0.5)), max(1, int(float64(h)*s+0.5)), imaging.Linear)
	return small, func(b Box, k [5]Point, mesh []Point) (Box, [5]Point) {
		b = Box{X: b.X / s, Y: b.Y / s, W: b.W / s, H: b.H / s}
		for i := range k {
			k[i] = Point{k[i].X / s, k[i].Y / s}
		}
		for i := range mesh {
			mesh[i] = Point{mesh[i].X / s, mesh[i].Y / s}
		}
		return b, k
	}
}
