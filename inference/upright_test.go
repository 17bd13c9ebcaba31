package inference_test

import (
	"context"
	"image"
	"math"
	"testing"

	"github.com/disintegration/imaging"
)

// TestTurnedPhotosAreMadeUpright: a photo that arrives turned by 90, 180 or
// 270 degrees (lost EXIF) is turned back, reports the turn in Rotation, and
// measures the head pose the upright photo does. Two of these photos read
// as upright when upside down before the search compared orientations.
func TestTurnedPhotosAreMadeUpright(t *testing.T) {
	eng := newTestEngine(t, 1, 4)
	turns := map[int]func(image.Image) *image.NRGBA{90: imaging.Rotate90, 180: imaging.Rotate180, 270: imaging.Rotate270}
	for _, name := range []string{"fr_obama_obama.jpg", "fr_biden_biden.jpg", "fr_rose_leslie_img1.jpg", "fr_kit_harington_john1.jpeg"} {
		img := samplePhoto(t, name)
		upright, err := eng.Analyze(context.Background(), img)
		if err != nil || upright.Face == nil || upright.Rotation != 0 {
			t.Fatalf("%s upright: %v %+v", name, err, upright)
		}
		for ccw, turn := range turns {
			fa, err := eng.Analyze(context.Background(), turn(img))
			if err != nil || fa.Face == nil {
				t.Errorf("%s turned %d: %v, no face", name, ccw, err)
				continue
			}
			// Turning the turned photo by Rotation more makes it upright.
			if (ccw+fa.Rotation)%360 != 0 || math.Abs(fa.Face.Yaw-upright.Face.Yaw) > 2 || math.Abs(fa.Face.Pitch-upright.Face.Pitch) > 2 {
				t.Errorf("%s turned %d: rotation %d, yaw %.1f pitch %.1f; upright yaw %.1f pitch %.1f",
					name, ccw, fa.Rotation, fa.Face.Yaw, fa.Face.Pitch, upright.Face.Yaw, upright.Face.Pitch)
			}
		}
	}
}
