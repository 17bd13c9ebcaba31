package main

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livenessd/livenessd/internal/testkit"
)

func TestLoadClipReadsASharedMJPEG(t *testing.T) {
	path := filepath.Join(testkit.Shared(t, "testdata/video"), "live_mouth_open_640x480_15fps.mjpeg")
	c, err := loadClip(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.frames) < 10 {
		t.Fatalf("%d frames, want a clip", len(c.frames))
	}
	if c.width != 640 || c.height != 480 {
		t.Errorf("hello size %dx%d, want 640x480", c.width, c.height)
	}
	for i, frame := range c.frames {
		if _, err := jpeg.DecodeConfig(bytes.NewReader(frame)); err != nil {
			t.Fatalf("frame %d does not decode: %v", i+1, err)
		}
	}
}

func TestLoadClipReadsADirectoryInNameOrder(t *testing.T) {
	dir := t.TempDir()
	want := map[string][]byte{"02.jpg": tinyJPEG(t, 2), "01.jpeg": tinyJPEG(t, 1), "03.JPG": tinyJPEG(t, 3)}
	for name, data := range want {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Neither other files nor subdirectories are frames.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a frame"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub.jpg"), 0o755)

	c, err := loadClip(dir)
	if err != nil {
		t.Fatal(err)
	}
	order := []string{"01.jpeg", "02.jpg", "03.JPG"}
	if len(c.frames) != len(order) {
		t.Fatalf("%d frames, want %d", len(c.frames), len(order))
	}
	for i, name := range order {
		if !bytes.Equal(c.frames[i], want[name]) {
			t.Errorf("frame %d is not %s", i+1, name)
		}
	}
	if c.width != 32 || c.height != 24 {
		t.Errorf("hello size %dx%d, want 32x24", c.width, c.height)
	}
}

func TestLoadClipRejectsUnusableSources(t *testing.T) {
	empty := t.TempDir()
	mislabelled := t.TempDir()
	os.WriteFile(filepath.Join(mislabelled, "a.jpg"), []byte("\x89PNG not a jpeg"), 0o644)
	garbage := filepath.Join(t.TempDir(), "clip.mjpeg")
	os.WriteFile(garbage, append(tinyJPEG(t, 1), 0xFF, 0xD8, 0xFF), 0o644) // second frame truncated

	for name, tc := range map[string]struct{ path, want string }{
		"missing":     {filepath.Join(empty, "nope.mjpeg"), "no such file"},
		"empty dir":   {empty, "no frames"},
		"mislabelled": {mislabelled, "not a JPEG"},
		"truncated":   {garbage, "frame 2"},
	} {
		if _, err := loadClip(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error about %q", name, err, tc.want)
		}
	}
}

func TestClipLoopsOnlyWhenAsked(t *testing.T) {
	c := &clip{frames: [][]byte{{0}, {1}, {2}}}
	for i := range 3 {
		if f, ok := c.frame(i, false); !ok || f[0] != byte(i) {
			t.Errorf("frame(%d) = %v, %v", i, f, ok)
		}
	}
	if _, ok := c.frame(3, false); ok {
		t.Error("frame past the end without loop is available")
	}
	for i, want := range map[int]byte{3: 0, 4: 1, 8: 2, 300: 0} {
		if f, ok := c.frame(i, true); !ok || f[0] != want {
			t.Errorf("looping frame(%d) = %v, %v; want [%d]", i, f, ok, want)
		}
	}
}
