package inference

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
)

// Config sizes the worker pool and holds every decision threshold.
type Config struct {
	Device         Device    `yaml:"device"`
	Workers        int       `yaml:"workers"`          // model-session sets; default one per core
	IntraOpThreads int       `yaml:"intra_op_threads"` // threads inside one model run; default 1
	QueueSize      int       `yaml:"queue_size"`       // images waiting for a worker before ErrBusy
	PAD            PADConfig `yaml:"pad"`
	// DeviceCheck loads PP-PicoDet and looks for a phone, screen or laptop
	// around the face: on every batch image and on session frames at a
	// bounded rate (see session). Off by default: it costs ~39 ms per image
	// on one core and sees only replays whose device edge is in view.
	DeviceCheck bool       `yaml:"device_check"`
	Thresholds  Thresholds `yaml:"thresholds"`
}

// Thresholds are the numbers that turn model outputs into verdicts. The
// pipeline itself uses only the detection ones and the pose biases; the
// rest are read by the liveness judge, and live here so that one
// configuration section holds every number. Angles are in degrees after the
// frontal bias is removed (see Face.Yaw for the signs).
type Thresholds struct {
	// DetectScore is YuNet's minimum face score; NMSIoU merges overlapping boxes.
	DetectScore float64 `yaml:"detect_score"`
	NMSIoU      float64 `yaml:"nms_iou"`

	// YawBias and PitchBias are what the pipeline reports for a face looking
	// straight at the camera; they are subtracted from every measurement.
	// The canonical-face fit needs none (0); a camera mounted above or
	// beside the screen users look at may.
	YawBias   float64 `yaml:"yaw_bias"`
	PitchBias float64 `yaml:"pitch_bias"`

	// TurnYaw: |yaw| at or above it is a turn to the left or right.
	// TiltPitch: |pitch| at or above it is a look up or down.
	// FrontYaw, FrontPitch: both |yaw| and |pitch| at or below them is frontal.
	TurnYaw    float64 `yaml:"turn_yaw"`
	TiltPitch  float64 `yaml:"tilt_pitch"`
	FrontYaw   float64 `yaml:"front_yaw"`
	FrontPitch float64 `yaml:"front_pitch"`

	// An eye is closed when the iris model's lid openness is below
	// EyeOpenness; EyeSoftness sets how fast the score saturates around it.
	EyeOpenness float64 `yaml:"eye_openness"`
	EyeSoftness float64 `yaml:"eye_softness"`
	// EyeBaselineRatio: where the person's own open-eye openness is known
	// (a session's frontal frames, a batch's frontal images), an eye is also
	// closed below this share of it, if that is lower than EyeOpenness.
	EyeBaselineRatio float64 `yaml:"eye_baseline_ratio"`

	// The mouth is open when the inner-lip gap over the mouth width is at or
	// above MouthRatio.
	MouthRatio    float64 `yaml:"mouth_ratio"`
	MouthSoftness float64 `yaml:"mouth_softness"`

	// Mask: probability of a masked face at or above it. Spoof: probability
	// of a presentation attack at or above it.
	Mask  float64 `yaml:"mask"`
	Spoof float64 `yaml:"spoof"`

	// Similarity: cosine similarity of two embeddings at or above it is the
	// same person.
	Similarity float64 `yaml:"similarity"`

	// HoldFrames: a session step passes only when its state holds on this
	// many consecutive sampled frames (2: 0.4 s at the default 5 frames/s).
	HoldFrames int `yaml:"hold_frames"`
	// EyesClosedFrames is the same for an "eyes closed" step, longer because
	// a blink must not pass for a closure: blinks last 0.1-0.4 s, and the
	// Iris model misread a narrow-eyed person's open eyes as closed for
	// 0.3 s (live_selfie_headpose, 16.3 s); 3 frames are 0.6 s at 5 frames/s.
	EyesClosedFrames int `yaml:"eyes_closed_frames"`

	// FlatCheck turns on the flat-picture check (README "Flat pictures"):
	// pairs of frames whose landmarks moved by at least FlatMinChange
	// inter-ocular distances beyond a similarity transform are compared,
	// and the subject is flat when at least FlatMinPairs such pairs have a
	// median parallax ratio under FlatRatio.
	FlatCheck     bool    `yaml:"flat_check"`
	FlatRatio     float64 `yaml:"flat_ratio"`
	FlatMinChange float64 `yaml:"flat_min_change"`
	FlatMinPairs  int     `yaml:"flat_min_pairs"`

	// With device_check on, a phone, screen or laptop box whose three COCO
	// scores sum to at least DeviceScore and that holds at least
	// DeviceCover of the face box fails the image or frame.
	DeviceScore float64 `yaml:"device_score"`
	DeviceCover float64 `yaml:"device_cover"`
}

// DefaultThresholds are the starting points measured on ../shared/testdata
// (see README "Accuracy"), not vendor-grade tuned values.
func DefaultThresholds() Thresholds {
	return Thresholds{
		DetectScore:      0.6,
		NMSIoU:           0.3,
		YawBias:          0,
		PitchBias:        0,
		TurnYaw:          20,
		TiltPitch:        15,
		FrontYaw:         12,
		FrontPitch:       12,
		EyeOpenness:      0.14,
		EyeSoftness:      0.02,
		EyeBaselineRatio: 0.6,
		MouthRatio:       0.30,
		MouthSoftness:    0.04,
		Mask:             0.5,
		Spoof:            0.75,
		Similarity:       0.42,
		HoldFrames:       2,
		EyesClosedFrames: 3,
		FlatCheck:        true,
		FlatRatio:        0.55,
		FlatMinChange:    0.03,
		FlatMinPairs:     5,
		DeviceScore:      0.5,
		DeviceCover:      0.8,
	}
}

// DefaultConfig runs on the best available device with one single-threaded
// worker per core: on small CPUs that beats one multi-threaded worker because
// these models are too small to split well.
func DefaultConfig() Config {
	return Config{
		Device:         DeviceAuto,
		Workers:        runtime.NumCPU(),
		IntraOpThreads: 1,
		QueueSize:      64,
		PAD:            PADConfig{Models: slices.Clone(DefaultPADModels)},
		Thresholds:     DefaultThresholds(),
	}
}

// Validate reports every field out of range at once.
func (c Config) Validate() error {
	var errs []error
	switch c.Device {
	case DeviceAuto, DeviceCPU, DeviceCUDA:
	default:
		errs = append(errs, fmt.Errorf("device %q: want auto, cpu or cuda", c.Device))
	}
	if c.Workers < 1 || c.Workers > 256 {
		errs = append(errs, fmt.Errorf("workers %d: want 1..256", c.Workers))
	}
	if c.IntraOpThreads < 1 || c.IntraOpThreads > 64 {
		errs = append(errs, fmt.Errorf("intra_op_threads %d: want 1..64", c.IntraOpThreads))
	}
	if c.QueueSize < 1 {
		errs = append(errs, fmt.Errorf("queue_size %d: want >= 1", c.QueueSize))
	}
	if err := c.PAD.Validate(); err != nil {
		errs = append(errs, err)
	}
	t := c.Thresholds
	unit := map[string]float64{"detect_score": t.DetectScore, "nms_iou": t.NMSIoU, "mask": t.Mask,
		"spoof": t.Spoof, "eye_openness": t.EyeOpenness, "mouth_ratio": t.MouthRatio, "eye_baseline_ratio": t.EyeBaselineRatio,
		"device_score": t.DeviceScore, "device_cover": t.DeviceCover}
	for name, v := range unit {
		if v <= 0 || v >= 1 {
			errs = append(errs, fmt.Errorf("thresholds.%s %v: want 0 < x < 1", name, v))
		}
	}
	if t.Similarity <= -1 || t.Similarity >= 1 {
		errs = append(errs, fmt.Errorf("thresholds.similarity %v: want -1 < x < 1", t.Similarity))
	}
	if t.FlatRatio <= 0 || t.FlatRatio >= 1 || t.FlatMinChange <= 0 || t.FlatMinPairs < 1 {
		errs = append(errs, fmt.Errorf("thresholds.flat_ratio %v (want 0 < x < 1), flat_min_change %v (want > 0), flat_min_pairs %d (want >= 1)",
			t.FlatRatio, t.FlatMinChange, t.FlatMinPairs))
	}
	if t.HoldFrames < 1 || t.HoldFrames > 30 || t.EyesClosedFrames < 1 || t.EyesClosedFrames > 30 {
		errs = append(errs, fmt.Errorf("thresholds.hold_frames %d, eyes_closed_frames %d: want 1..30", t.HoldFrames, t.EyesClosedFrames))
	}
	if t.EyeSoftness <= 0 || t.MouthSoftness <= 0 {
		errs = append(errs, errors.New("thresholds.eye_softness and mouth_softness must be > 0"))
	}
	angles := map[string]float64{"turn_yaw": t.TurnYaw, "tilt_pitch": t.TiltPitch,
		"front_yaw": t.FrontYaw, "front_pitch": t.FrontPitch}
	for name, v := range angles {
		if v <= 0 || v >= 90 {
			errs = append(errs, fmt.Errorf("thresholds.%s %v: want 0 < x < 90 degrees", name, v))
		}
	}
	if t.FrontYaw >= t.TurnYaw || t.FrontPitch >= t.TiltPitch {
		errs = append(errs, errors.New("thresholds: front_yaw/front_pitch must be below turn_yaw/tilt_pitch"))
	}
	return errors.Join(errs...)
}
