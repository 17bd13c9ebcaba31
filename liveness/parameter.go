package liveness

import (
	"fmt"
	"strings"
)

// Parameter is a face state a client asks the user to show in one image.
type Parameter string

// The nine face parameters of the spec. Left and right are the person's own
// (see inference.Face for the sign conventions).
const (
	Left        Parameter = "left"
	Right       Parameter = "right"
	Up          Parameter = "up"
	Down        Parameter = "down"
	Front       Parameter = "front"
	EyesOpen    Parameter = "eyes open"
	EyesClosed  Parameter = "eyes closed"
	MouthOpen   Parameter = "mouth open"
	MouthClosed Parameter = "mouth closed"
)

// Parameters lists every valid parameter in the spec's order.
var Parameters = []Parameter{Left, Right, Up, Down, Front, EyesOpen, EyesClosed, MouthOpen, MouthClosed}

// ParseParameter accepts exactly one of the nine spellings of the spec.
func ParseParameter(s string) (Parameter, error) {
	for _, p := range Parameters {
		if s == string(p) {
			return p, nil
		}
	}
	names := make([]string, len(Parameters))
	for i, p := range Parameters {
		names[i] = fmt.Sprintf("%q", p)
	}
	return "", fmt.Errorf("%q is not a face parameter; want one of %s", s, strings.Join(names, ", "))
}
