package session

import (
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
)

// instructions are what the user is asked to do, in plain words; "left" is
// the person's own left, as the judge measures it.
var instructions = map[liveness.Parameter]string{
	liveness.Front:       "Look straight at the camera",
	liveness.Left:        "Turn your head to your left",
	liveness.Right:       "Turn your head to your right",
	liveness.Up:          "Tilt your head up",
	liveness.Down:        "Tilt your head down",
	liveness.EyesOpen:    "Keep both eyes open",
	liveness.EyesClosed:  "Close both eyes",
	liveness.MouthOpen:   "Open your mouth",
	liveness.MouthClosed: "Close your mouth",
}

// hint says which way to move from the measured pose, or what to change
// when the parameter is not a pose. Only the face's own state is used:
// never spoof or identity, which the user is not told about.
func hint(p liveness.Parameter, f *inference.Face, t inference.Thresholds) string {
	switch p {
	case liveness.Left:
		if f.Yaw < 0 {
			return "Turn the other way, to your left"
		}
		return "Turn a little further to your left"
	case liveness.Right:
		if f.Yaw > 0 {
			return "Turn the other way, to your right"
		}
		return "Turn a little further to your right"
	case liveness.Up:
		if f.Pitch < 0 {
			return "Lift your chin: tilt your head up"
		}
		return "Tilt your chin up a little more"
	case liveness.Down:
		if f.Pitch > 0 {
			return "Lower your chin: tilt your head down"
		}
		return "Tilt your chin down a little more"
	case liveness.Front:
		switch {
		case f.Yaw > t.FrontYaw:
			return "Turn your head a little to your right, toward the camera"
		case f.Yaw < -t.FrontYaw:
			return "Turn your head a little to your left, toward the camera"
		case f.Pitch > t.FrontPitch:
			return "Lower your chin a little, toward the camera"
		case f.Pitch < -t.FrontPitch:
			return "Lift your chin a little, toward the camera"
		}
		return "Face the camera directly"
	}
	return otherHints[p]
}

// otherHints say what to change for the parameters that are not poses.
var otherHints = map[liveness.Parameter]string{
	liveness.EyesOpen:    "Open both eyes",
	liveness.EyesClosed:  "Close both eyes fully",
	liveness.MouthOpen:   "Open your mouth wider",
	liveness.MouthClosed: "Close your mouth",
}
