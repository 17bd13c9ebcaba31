package evaluate

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/mjpeg"
)

// Analyzer is the part of the inference engine evaluation needs.
type Analyzer interface {
	Analyze(ctx context.Context, img *image.NRGBA) (*inference.FaceAnalysis, error)
}

// Item is one scored photo or sampled clip frame.
type Item struct {
	Name   string `json:"item"`  // the source's name; clips add "#frame"
	Frame  int    `json:"frame"` // 0-based frame of a clip; 0 for a photo
	Clip   bool   `json:"clip"`
	Real   bool   `json:"real"`
	Attack string `json:"attack_type,omitempty"`
	Kind   string `json:"kind"`

	Face   bool               `json:"face_detected"`
	Masked bool               `json:"masker"`
	PAD    map[string]float64 `json:"pad_scores,omitempty"`
	Spoof  float64            `json:"spoof_score"` // fused by the judge; 1 when no face was found
	Error  string             `json:"error,omitempty"`
	// Device is the phone, screen or laptop class seen around the face, with
	// inference.device_check on; empty when none was.
	Device string `json:"device,omitempty"`
	// ParallaxRatio and Flat are the flat-picture check over the clip's
	// scored frames (the same for every frame of a clip), with
	// thresholds.flat_check on and enough view pairs; nil otherwise.
	ParallaxRatio *float64 `json:"parallax_ratio,omitempty"`
	Flat          *bool    `json:"flat,omitempty"`

	source string          // Source.Name, for per-clip tables
	face   *inference.Face // for the clip's flat-picture check
}

// Options say how items are sampled and scored.
type Options struct {
	Every   int // clips: score every Nth frame (frame 0, N, 2N, ...)
	Workers int // images analysed at once; match the engine's workers
	// Decode bounds each photo or frame like the server's own limits.
	Decode inference.DecodeLimits
}

// maxPhotoBytes bounds what one labelled photo may be, as the API's default
// image limit does.
const maxPhotoBytes = 32 << 20

// Score analyses every photo and every Nth frame of every clip, and judges
// each face's PAD scores with j. An item without a face keeps Spoof 1: for a
// live person that is a rejection, for an attack a refusal, which is what
// the server would do. Items come back in source and frame order.
func Score(ctx context.Context, a Analyzer, j liveness.Judge, srcs []Source, opt Options) ([]Item, error) {
	opt.Every, opt.Workers = max(opt.Every, 1), max(opt.Workers, 1)
	type job struct {
		item *Item
		img  *image.NRGBA
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range jobs {
				judgeItem(ctx, a, j, jb.item, jb.img)
			}
		}()
	}
	var items []*Item
	err := func() error {
		defer close(jobs)
		for _, s := range srcs {
			err := frames(s, opt, func(frame int, img *image.NRGBA, decodeErr error) error {
				it := &Item{Name: s.Name, Frame: frame, Clip: s.Clip, Real: s.Real, Attack: s.Attack, Kind: s.Kind, Spoof: 1, source: s.Name}
				if s.Clip {
					it.Name += "#" + strconv.Itoa(frame)
				}
				items = append(items, it)
				if decodeErr != nil {
					it.Error = decodeErr.Error()
					return nil
				}
				select {
				case jobs <- job{it, img}:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
		}
		return nil
	}()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	flatByClip(j, items)
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = *it
	}
	return out, nil
}

// flatByClip runs the flat-picture check over each clip's scored faces, as a
// session runs it over its subject's frames, and records it on every frame.
func flatByClip(j liveness.Judge, items []*Item) {
	if !j.T.FlatCheck {
		return
	}
	faces := map[string][]*inference.Face{}
	for _, it := range items {
		if it.Clip && it.face != nil {
			faces[it.source] = append(faces[it.source], it.face)
		}
	}
	judged := map[string]liveness.Flatness{}
	for src, fs := range faces {
		judged[src] = j.Flatness(fs)
	}
	for _, it := range items {
		if !it.Clip {
			continue
		}
		if f := judged[it.source]; f.Pairs >= j.T.FlatMinPairs {
			ratio, flat := f.Ratio, f.Flat
			it.ParallaxRatio, it.Flat = &ratio, &flat
		}
	}
}

func judgeItem(ctx context.Context, a Analyzer, j liveness.Judge, it *Item, img *image.NRGBA) {
	fa, err := a.Analyze(ctx, img)
	if err != nil {
		it.Error = err.Error()
		return
	}
	if fa.Face == nil {
		return
	}
	it.Face, it.face = true, fa.Face
	if sc := fa.Face.Screen; sc != nil {
		it.Device = sc.Class
	}
	it.Masked = j.Masked(fa.Face)
	it.PAD = liveness.PADScores(fa.Face)
	it.Spoof = j.SpoofScore(fa.Face)
}

// frames calls each with every photo, or every opt.Every-th frame of a clip.
// A frame that does not decode is reported through decodeErr, not as a
// failure of the whole run; a file that cannot be read is.
func frames(s Source, opt Options, each func(frame int, img *image.NRGBA, decodeErr error) error) error {
	f, err := os.Open(s.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if !s.Clip {
		data, err := io.ReadAll(io.LimitReader(f, maxPhotoBytes+1))
		if err != nil {
			return err
		}
		if len(data) > maxPhotoBytes {
			return fmt.Errorf("larger than %d bytes", maxPhotoBytes)
		}
		img, err := inference.Decode(data, opt.Decode)
		return each(0, img, err)
	}
	r := mjpeg.NewReader(f)
	for n := 0; ; n++ {
		data, err := r.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return errors.New("no frames")
			}
			return nil
		}
		if err != nil {
			return err
		}
		if n%opt.Every != 0 {
			continue
		}
		img, err := inference.Decode(data, opt.Decode)
		if err := each(n, img, err); err != nil {
			return err
		}
	}
}
