// Package mjpeg reads Motion-JPEG files: JPEG images concatenated back to
// back, as fake cameras and test clips store them. It splits the stream into
// frames by walking JPEG markers, so it never decodes pixels.
package mjpeg

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MaxFrameBytes bounds one frame; a stream that never ends a frame is an error.
const MaxFrameBytes = 16 << 20

// ErrFormat means the stream is not a sequence of JPEG images.
var ErrFormat = errors.New("mjpeg: not a JPEG stream")

// Reader returns one JPEG frame at a time.
type Reader struct {
	r *bufio.Reader
}

// NewReader reads frames from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 64<<10)} }

// Next returns the next whole JPEG (SOI to EOI), or io.EOF after the last.
func (m *Reader) Next() ([]byte, error) {
	// Skip padding between frames (some writers add newlines).
	for {
		b, err := m.r.ReadByte()
		if err != nil {
			return nil, err // io.EOF at a clean end
		}
		if b == 0xFF {
			if err := m.r.UnreadByte(); err != nil {
				return nil, err
			}
			break
		}
	}
	frame := make([]byte, 0, 64<<10)
	soi, err := m.read(2)
	if err != nil || soi[1] != 0xD8 {
		return nil, ErrFormat
	}
	frame = append(frame, soi...)
	// Header segments carry lengths; walk them until the scan starts. Their
	// payloads (EXIF thumbnails) may hold FFD9, so they must not be scanned.
	for {
		marker, err := m.read(2)
		if err != nil {
			return nil, fmt.Errorf("%w: truncated header: %v", ErrFormat, err)
		}
		if marker[0] != 0xFF {
			return nil, fmt.Errorf("%w: bad marker %x", ErrFormat, marker)
		}
		frame = append(frame, marker...)
		if marker[1] == 0xD9 {
			return frame, nil
		}
		lenBytes, err := m.read(2)
		if err != nil {
			return nil, fmt.Errorf("%w: truncated segment", ErrFormat)
		}
		n := int(lenBytes[0])<<8 | int(lenBytes[1])
		if n < 2 || len(frame)+n > MaxFrameBytes {
			return nil, fmt.Errorf("%w: bad segment length %d", ErrFormat, n)
		}
		body, err := m.read(n - 2)
		if err != nil {
			return nil, fmt.Errorf("%w: truncated segment", ErrFormat)
		}
		frame = append(append(frame, lenBytes...), body...)
		if marker[1] == 0xDA {
			break
		}
	}
	// Entropy-coded data: FF is always followed by 00 or a restart marker,
	// so the first FF D9 ends the image. Progressive JPEGs have several scans
	// separated by other markers, which are simply copied along.
	var prev byte
	for {
		b, err := m.r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: frame without end marker", ErrFormat)
		}
		frame = append(frame, b)
		if prev == 0xFF && b == 0xD9 {
			return frame, nil
		}
		if len(frame) > MaxFrameBytes {
			return nil, fmt.Errorf("%w: frame larger than %d bytes", ErrFormat, MaxFrameBytes)
		}
		prev = b
	}
}

func (m *Reader) read(n int) ([]byte, error) {
	buf := make([]byte, n)
	_, err := io.ReadFull(m.r, buf)
	return buf, err
}
