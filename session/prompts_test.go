package session

import (
	"strings"
	"testing"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
)

// The hint follows the measured angle: the way to move, never a check the
// user is not told about.
func TestHintSaysWhichWayToMove(t *testing.T) {
	th := inference.DefaultThresholds()
	for _, tc := range []struct {
		p    liveness.Parameter
		face inference.Face
		want string
	}{
		{liveness.Left, inference.Face{Yaw: 10}, "further to your left"},
		{liveness.Left, inference.Face{Yaw: -15}, "other way, to your left"},
		{liveness.Right, inference.Face{Yaw: 15}, "other way, to your right"},
		{liveness.Down, inference.Face{Pitch: -5}, "chin down a little more"},
		{liveness.Down, inference.Face{Pitch: 10}, "Lower your chin"},
		{liveness.Up, inference.Face{Pitch: -10}, "Lift your chin"},
		{liveness.Front, inference.Face{Yaw: 20}, "a little to your right"},
		{liveness.Front, inference.Face{Pitch: -20}, "Lift your chin a little"},
		{liveness.EyesClosed, inference.Face{}, "Close both eyes"},
	} {
		if got := hint(tc.p, &tc.face, th); !strings.Contains(got, tc.want) {
			t.Errorf("%s at yaw %.0f pitch %.0f: %q, want %q", tc.p, tc.face.Yaw, tc.face.Pitch, got, tc.want)
		}
	}
}
