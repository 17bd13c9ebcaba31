package liveness

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of ImageBytes (decoding the bytes adds inference's
// ErrNotImage, ErrImageSize and ErrImageCorrupt).
var (
	ErrBase64        = errors.New("not valid base64")
	ErrImageTooLarge = errors.New("image too large")
)

// ImageBytes decodes one of the contract's base64 images (optionally with a
// "data:image/...;base64," prefix) to the file's bytes, checking the encoded
// length against maxBytes first.
func ImageBytes(s string, maxBytes int) ([]byte, error) {
	if strings.HasPrefix(s, "data:") {
		comma := strings.IndexByte(s, ',')
		if comma < 0 || !strings.HasSuffix(s[:comma], ";base64") {
			return nil, fmt.Errorf("%w: a data URL must look like data:image/jpeg;base64,<data>", ErrBase64)
		}
		s = s[comma+1:]
	}
	if n := base64.StdEncoding.DecodedLen(len(s)); n > maxBytes+2 { // +2: padding slack
		return nil, fmt.Errorf("%w: about %d bytes; at most %d allowed", ErrImageTooLarge, n, maxBytes)
	}
	if s == "" {
		return nil, fmt.Errorf("%w: empty string", ErrBase64)
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = base64.RawStdEncoding // some clients strip the padding
	}
	data, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBase64, err)
	}
	if len(data) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes; at most %d allowed", ErrImageTooLarge, len(data), maxBytes)
	}
	return data, nil
}
