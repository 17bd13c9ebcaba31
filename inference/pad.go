package inference

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"

	"github.com/livenessd/livenessd/models"
)

// PAD (presentation-attack detection) models the pipeline can run, by the
// name used in inference.pad.models and in the API's pad_scores. Each reports
// one spoof probability per face; how they are fused into a verdict is
// liveness's decision, not the pipeline's.
const (
	// PADMiniFASNet is Silent-Face's MiniFASNetV2 + V1SE pair (MIT), trained on
	// the vendor's own data: 1 - the mean of their "real" probabilities.
	PADMiniFASNet = "minifasnet"
	// PADFaceplugin is Faceplugin's fr_liveness (MIT, training data not
	// stated): 1 - P(live).
	PADFaceplugin = "faceplugin"
	// PADCelebA is johnraivenolazo's CelebA-Spoof model (Apache-2.0 weights,
	// but CelebA-Spoof limits derived data to non-commercial research).
	PADCelebA = "celeba"
)

// PADModels lists every PAD model name.
var PADModels = []string{PADMiniFASNet, PADFaceplugin, PADCelebA}

// DefaultPADModels were chosen by measurement (README "Presentation
// attacks", `livenessd eval --compare` over ../shared/testdata, 347 live and
// 77 attack items). Faceplugin alone at 0.75 turns away 3.7% of live items
// and passes 2.6% of attacks (the two paper masks, which no model here
// catches; the next attacks score 0.80); the best fusion, max(Faceplugin,
// CelebA) at 0.9, 5.2% and 2.6%, and CelebA's licence rules out commercial
// use. MiniFASNet judges every
// frame of an ordinary phone selfie clip an attack (0.89-1.00): every fusion
// that lets it vote turns away 13% or more of live items at APCER <= 5%.
var DefaultPADModels = []string{PADFaceplugin}

// PADConfig chooses the PAD models each face is scored by, and names the rule
// by which the liveness judge fuses their scores (the pipeline only measures;
// config validates the rule against liveness.Fusions).
type PADConfig struct {
	Models []string `yaml:"models"`
	Fusion string   `yaml:"fusion"`
}

// Validate reports an unknown, repeated or missing model.
func (c PADConfig) Validate() error {
	if len(c.Models) == 0 {
		return errors.New("pad.models: at least one of minifasnet, faceplugin, celeba")
	}
	var errs []error
	for i, m := range c.Models {
		if !slices.Contains(PADModels, m) {
			errs = append(errs, fmt.Errorf("pad.models: unknown model %q: want minifasnet, faceplugin or celeba", m))
		}
		if slices.Contains(c.Models[:i], m) {
			errs = append(errs, fmt.Errorf("pad.models: %q listed twice", m))
		}
	}
	return errors.Join(errs...)
}

// PADScore is one PAD model's probability that a face is an attack.
type PADScore struct {
	Model string
	Spoof float64
}

// padRoles are the manifest roles each PAD model needs.
var padRoles = map[string][]string{
	PADMiniFASNet: {models.RoleSpoofV2, models.RoleSpoofV1SE},
	PADFaceplugin: {models.RolePADFaceplugin},
	PADCelebA:     {models.RolePADCelebA},
}

// padScore runs one configured PAD model on the face in box.
func (p *pipeline) padScore(name string, img *image.NRGBA, box Box) (float64, error) {
	switch name {
	case PADMiniFASNet:
		v2, v1se := p.pad[models.RoleSpoofV2], p.pad[models.RoleSpoofV1SE]
		realV2, err := classProbability(v2, img, silentFaceWindow(img, box, v2.spec.CropScale, shiftInside), 1)
		if err != nil {
			return 0, err
		}
		realV1SE, err := classProbability(v1se, img, silentFaceWindow(img, box, v1se.spec.CropScale, shiftInside), 1)
		return 1 - (realV2+realV1SE)/2, err
	case PADFaceplugin:
		// Clamped, as ../shared/MODELS.md (c) describes the vendor's crop:
		// shifted like MiniFASNet's it turned away 7.2% of the development
		// set's live items at APCER <= 5%, clamped 3.2%.
		m := p.pad[models.RolePADFaceplugin]
		live, err := classProbability(m, img, silentFaceWindow(img, box, m.spec.CropScale, clampToImage), 0)
		return 1 - live, err
	case PADCelebA:
		m := p.pad[models.RolePADCelebA]
		spoof, err := classProbability(m, reflectWindow(img, box, m.spec.CropScale, &p.reflectBuf), nil, 1)
		return spoof, err
	}
	return 0, fmt.Errorf("unknown PAD model %q", name)
}

// window is a crop in source pixels: [X0, X0+W) x [Y0, Y0+H).
type window struct{ X0, Y0, W, H float64 }

// classProbability resizes the window (nil: the whole image) to the model's
// input with plain bilinear taps and returns the softmax probability of
// class. The PAD models go without antialiasing: they were trained on plain
// resizes and read the very texture that antialiasing would smooth away.
func classProbability(m *model, img *image.NRGBA, win *window, class int) (float64, error) {
	size, _ := m.inputSize()
	if win == nil {
		win = &window{W: float64(img.Rect.Dx()), H: float64(img.Rect.Dy())}
	}
	fs := float64(size)
	toImage := affine{A: win.W / fs, C: win.X0, E: win.H / fs, F: win.Y0}
	sample(m.in(), size, size, img, toImage, m.norm(), false)
	if err := m.run(); err != nil {
		return 0, err
	}
	return softmax(m.out(0))[class], nil
}

// edgeRule is how a crop window that leaves the image is brought back in.
type edgeRule int

const (
	shiftInside  edgeRule = iota // moved, keeping its size (Silent-Face's CropImage)
	clampToImage                 // cut at the image's edges (Faceplugin's crop)
)

// silentFaceWindow follows Silent-Face's CropImage, because the MiniFASNet
// and Faceplugin weights were trained on its box maths: crop_scale x the
// detector box around its centre, the scale reduced until it fits the image,
// the window brought inside by edge, corners truncated to integers and the
// crop taken inclusive of its last row and column.
func silentFaceWindow(img *image.NRGBA, box Box, cropScale float64, edge edgeRule) *window {
	W, H := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	s := math.Min(cropScale, math.Min((H-1)/box.H, (W-1)/box.W))
	cw, ch := box.W*s, box.H*s
	cx, cy := box.X+box.W/2, box.Y+box.H/2
	x0, y0, x1, y1 := cx-cw/2, cy-ch/2, cx+cw/2, cy+ch/2
	if edge == clampToImage {
		x0, y0, x1, y1 = math.Max(0, x0), math.Max(0, y0), math.Min(W-1, x1), math.Min(H-1, y1)
	}
	if x0 < 0 {
		x1 -= x0
		x0 = 0
	}
	if y0 < 0 {
		y1 -= y0
		y0 = 0
	}
	if x1 > W-1 {
		x0 -= x1 - W + 1
		x1 = W - 1
	}
	if y1 > H-1 {
		y0 -= y1 - H + 1
		y1 = H - 1
	}
	x0, y0, x1, y1 = math.Trunc(x0), math.Trunc(y0), math.Trunc(x1), math.Trunc(y1)
	return &window{X0: x0, Y0: y0, W: x1 - x0 + 1, H: y1 - y0 + 1}
}

// reflectWindow builds the CelebA model's input crop as its training code
// did: a square of side int(max(w,h) x cropScale) about the box centre, the
// parts outside the image filled by mirror reflection without repeating the
// edge pixel (OpenCV's BORDER_REFLECT_101). The model reads the border too:
// black padding instead of reflection changes its scores. buf is reused
// across calls so that a worker does not allocate a crop per frame.
func reflectWindow(img *image.NRGBA, box Box, cropScale float64, buf **image.NRGBA) *image.NRGBA {
	side := max(1, int(math.Max(box.W, box.H)*cropScale))
	x0 := int(box.X+box.W/2) - side/2
	y0 := int(box.Y+box.H/2) - side/2
	if *buf == nil || (*buf).Rect.Dx() != side {
		*buf = image.NewNRGBA(image.Rect(0, 0, side, side))
	}
	dst := *buf
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range side {
		sy := reflect101(y0+y, h)
		src := img.Pix[sy*img.Stride:]
		row := dst.Pix[y*dst.Stride:]
		for x := range side {
			sx := reflect101(x0+x, w) * 4
			copy(row[x*4:x*4+4], src[sx:sx+4])
		}
	}
	return dst
}

// reflect101 maps i into [0, n) as OpenCV's BORDER_REFLECT_101 does
// (… 2 1 | 0 1 2 … n-1 | n-2 …), folding as often as needed.
func reflect101(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i
}

func softmax(logits []float32) []float64 {
	p := make([]float64, len(logits))
	maxV := math.Inf(-1)
	for _, v := range logits {
		maxV = math.Max(maxV, float64(v))
	}
	var sum float64
	for i, v := range logits {
		p[i] = math.Exp(float64(v) - maxV)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}
