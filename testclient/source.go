package main

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/livenessd/livenessd/mjpeg"
)

// maxClipBytes bounds a source held in memory.
const maxClipBytes = 512 << 20

// clip is a source of JPEG frames read into memory once, so that load's
// sessions share it instead of each reading the file.
type clip struct {
	frames        [][]byte
	width, height int // of the first frame, for the hello message
}

// loadClip reads a directory of .jpg/.jpeg files in name order, or any other
// file as Motion-JPEG (so a single JPEG is a one-frame clip).
func loadClip(path string) (*clip, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var frames [][]byte
	if info.IsDir() {
		frames, err = readJPEGDir(path)
	} else {
		frames, err = readMJPEG(path)
	}
	if err != nil {
		return nil, err
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("%s: no frames", path)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(frames[0]))
	if err != nil {
		return nil, fmt.Errorf("%s: first frame: %w", path, err)
	}
	return &clip{frames: frames, width: cfg.Width, height: cfg.Height}, nil
}

// resize re-encodes every frame at w x h (JPEG quality 90), once, before
// any session starts.
func (c *clip) resize(w, h int) error {
	for i, data := range c.frames {
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("frame %d: %w", i+1, err)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, imaging.Resize(img, w, h, imaging.Linear), &jpeg.Options{Quality: 90}); err != nil {
			return err
		}
		c.frames[i] = buf.Bytes()
	}
	c.width, c.height = w, h
	return nil
}

func readMJPEG(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := mjpeg.NewReader(f)
	var frames [][]byte
	total := 0
	for {
		frame, err := r.Next()
		if errors.Is(err, io.EOF) {
			return frames, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s frame %d: %w", path, len(frames)+1, err)
		}
		if total += len(frame); total > maxClipBytes {
			return nil, fmt.Errorf("%s: more than %d MiB of frames", path, maxClipBytes>>20)
		}
		frames = append(frames, frame)
	}
}

func readJPEGDir(dir string) ([][]byte, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var frames [][]byte
	total := 0
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".jpg" && ext != ".jpeg") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		frame, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		// Catch a mislabelled file here rather than as the server's bad_frame.
		if !bytes.HasPrefix(frame, []byte{0xFF, 0xD8}) {
			return nil, fmt.Errorf("%s: not a JPEG", path)
		}
		if total += len(frame); total > maxClipBytes {
			return nil, fmt.Errorf("%s: more than %d MiB of frames", dir, maxClipBytes>>20)
		}
		frames = append(frames, frame)
	}
	return frames, nil
}

// frame returns frame i of the playback. With loop the clip repeats forever;
// without it, ok is false past the last frame.
func (c *clip) frame(i int, loop bool) (frame []byte, ok bool) {
	if loop {
		i %= len(c.frames)
	}
	if i >= len(c.frames) {
		return nil, false
	}
	return c.frames[i], true
}
