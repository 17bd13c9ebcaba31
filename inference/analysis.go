package inference

import "time"

// FaceAnalysis is everything the pipeline measured on one image.
type FaceAnalysis struct {
	Width, Height int     // of the image as analysed (after EXIF orientation and Rotation)
	Rotation      int     // degrees counter-clockwise the image was turned to make the face upright
	Faces         int     // faces found above the detection threshold, not counting ones under a quarter of the subject's height
	Face          *Face   // the subject (largest face); nil when Faces == 0
	Timings       Timings // per stage, for metrics and the benchmark
}

// Face describes the subject face.
//
// Sign conventions (the person's own left and right, as when told "turn your
// head to the left"; on an unmirrored camera image the nose then moves toward
// the image's right):
//   - Yaw > 0: head turned to the person's left. Yaw < 0: to their right.
//   - Pitch > 0: looking up (chin up). Pitch < 0: looking down.
//   - Roll > 0: head tilted clockwise as seen in the image (top of the head
//     toward the image's right).
//
// LeftEye is the person's own left eye (on the image's right in an
// unmirrored photo).
type Face struct {
	Box       Box
	Score     float64  // detector confidence
	Keypoints [5]Point // YuNet: image-left eye, image-right eye, nose, image-left and image-right mouth corners

	Roll, Pitch, Yaw float64 // degrees, frontal bias removed
	// LeftEyeOpenness and RightEyeOpenness are the Iris model's mean lid gap
	// over the eye's width; MouthRatio is the inner-lip gap over the mouth
	// width. Whether that is open or closed is the liveness judge's call.
	LeftEyeOpenness, RightEyeOpenness float64
	MouthRatio                        float64
	MaskScore                         float64    // probability a face mask is worn (0 when the mask model saw no face in the crop)
	PAD                               []PADScore // each configured PAD model's attack probability, in inference.pad.models order
	Embedding                         []float32  // 128-d, L2-normalised
	// Mesh is Face Mesh's 468 landmarks in image pixels, for the checks
	// that compare frames (a flat picture moves all of them by one
	// homography).
	Mesh []Point
	// Screen is a phone, screen or laptop around the face; nil when none
	// was seen or the device check did not run on this image.
	Screen *Screen
	// Partial faces were measured for pose, eyes and mouth only (see
	// Want.Full): no PAD scores, mask score, embedding or screen.
	Partial bool
}

// Box is an axis-aligned rectangle in image pixels.
type Box struct{ X, Y, W, H float64 }

// Area is the box's area in square pixels.
func (b Box) Area() float64 { return b.W * b.H }

// Point is a position in image pixels.
type Point struct{ X, Y float64 }

// Timings are the wall times of each pipeline stage for one image.
type Timings struct {
	Prepare time.Duration // downscaling very large images
	Detect  time.Duration
	Mesh    time.Duration
	Iris    time.Duration // both eyes
	Spoof   time.Duration // every configured PAD model
	Mask    time.Duration
	Embed   time.Duration
	Screen  time.Duration // the phone/screen detector, when it ran
	Total   time.Duration
}
