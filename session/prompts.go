package session

import "github.com/livenessd/livenessd/liveness"

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

// hints say what to change when a frame does not show the parameter yet.
var hints = map[liveness.Parameter]string{
	liveness.Front:       "Face the camera directly",
	liveness.Left:        "Turn a little further to your left",
	liveness.Right:       "Turn a little further to your right",
	liveness.Up:          "Tilt your head up a little more",
	liveness.Down:        "Tilt your head down a little more",
	liveness.EyesOpen:    "Open both eyes",
	liveness.EyesClosed:  "Close both eyes fully",
	liveness.MouthOpen:   "Open your mouth wider",
	liveness.MouthClosed: "Close your mouth",
}
