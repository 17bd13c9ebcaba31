package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livenessd/livenessd/internal/testkit"
)

// TestEval runs `livenessd eval` on a labels file of the camera set's
// format written here: a live photo, a replay photo and the print clip
// (every 4th of its 80 frames); items are named from the folder above the
// root, and sorted by name.
func TestEval(t *testing.T) {
	cliEnv(t)
	dir := t.TempDir()
	labels := filepath.Join(dir, "labels.json")
	testdata, err := filepath.Abs(testkit.Shared(t, "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"root": "` + testdata + `", "files": {
		"samples/silentface_T1_real.jpg": {"kind": "live", "labels": {"real": true}},
		"samples/silentface_F2_replay.jpg": {"kind": "replay", "labels": {"real": false, "attack_type": "replay"}},
		"video/nuaa_print_0001_640x480_10fps.mjpeg": {"kind": "print", "labels": {"real": false, "attack_type": "print"}},
		"faces/head_pose/whatever.jpg": {"labels": {"yaw_deg": 10}}}}`
	if err := os.WriteFile(labels, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "eval", "-workers", "1", "-every", "4", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"22 items: 1 live, 21 attacks", "APCER print", "APCER replay", "DET", "equal error",
		"APCER <= 5%", "as a session", "testdata/video/nuaa_print_0001_640x480_10fps.mjpeg  print"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = runCLI(t, "eval", "-workers", "1", "-every", "4", "-json", labels)
	if code != 0 {
		t.Fatalf("--json: exit %d\n%s", code, stderr)
	}
	lines := jsonLines(t, stdout)
	if len(lines) != 22 {
		t.Fatalf("%d lines, want 22 (1 + 1 + 80/4)", len(lines))
	}
	first := lines[0]
	if first["item"] != "testdata/samples/silentface_F2_replay.jpg" || first["real"] != false || first["attack_type"] != "replay" {
		t.Errorf("first line %v", first)
	}
	if pad, ok := first["pad_scores"].(map[string]any); !ok || len(pad) != 1 || pad["faceplugin"] == nil {
		t.Errorf("pad_scores %v, want the default models'", first["pad_scores"])
	}
	if lines[3]["item"] != "testdata/video/nuaa_print_0001_640x480_10fps.mjpeg#4" {
		t.Errorf("fourth line %v, want the clip's frame 4", lines[3]["item"])
	}

	if code, _, stderr := runCLI(t, "eval", "-workers", "1", filepath.Join(dir, "missing.json")); code != 1 || !strings.Contains(stderr, "missing.json") {
		t.Errorf("missing labels: exit %d, %s", code, stderr)
	}
}
