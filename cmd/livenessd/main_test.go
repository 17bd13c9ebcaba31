package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/internal/testkit/pgtest"
)

// TestMain stops the PostgreSQL server the two-node test starts.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// cliEnv points the CLI at the repository's verified model cache and the
// shared mirror, whatever the test's working directory.
func cliEnv(t *testing.T) {
	t.Helper()
	testkit.Models(t) // fills models/cache, or fails with a clear message
	t.Setenv("LIVENESS_MODEL_CACHE", filepath.Join(testkit.Root(), "models", "cache"))
	t.Setenv("LIVENESS_MODEL_MIRROR", testkit.Shared(t, "models"))
	t.Setenv("LIVENESS_ORT_LIB", "")
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func sample(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testkit.Shared(t, "testdata/samples"), name)
}

// jsonLines parses output of one JSON object per line.
func jsonLines(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", len(lines)+1, err, sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

func TestUsageErrorsExitTwo(t *testing.T) {
	cliEnv(t)
	one := sample(t, "fr_obama_obama.jpg")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no args", nil},
		{"unknown command", []string{"frobnicate"}},
		{"analyze without files", []string{"analyze", "-workers", "1"}},
		{"compare with one file", []string{"compare", "-workers", "1", one}},
		{"compare with three files", []string{"compare", "-workers", "1", one, one, one}},
		{"unknown flag", []string{"analyze", "-no-such-flag", one}},
		{"eval without labels", []string{"eval", "-workers", "1"}},
		{"eval every 0th frame", []string{"eval", "-workers", "1", "-every", "0", "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, "usage") {
				t.Errorf("stderr lacks a usage message:\n%s", stderr)
			}
		})
	}
}

func TestAnalyze(t *testing.T) {
	cliEnv(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "notanimage.txt")
	if err := os.WriteFile(text, []byte("hello, not an image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gray := filepath.Join(dir, "gray.png")
	if err := os.WriteFile(gray, testkit.GrayPNG(t, 640, 480), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.jpg")
	biden := sample(t, "fr_biden_biden.jpg")

	files := []string{biden, text, gray, missing}
	code, stdout, stderr := runCLI(t, append([]string{"analyze", "-workers", "1", "-device", "cpu"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	lines := jsonLines(t, stdout)
	if len(lines) != len(files) {
		t.Fatalf("%d lines for %d files:\n%s", len(lines), len(files), stdout)
	}
	for i, f := range files {
		if lines[i]["file"] != f {
			t.Errorf("line %d is for %v, want %s (argument order)", i+1, lines[i]["file"], f)
		}
	}

	face := lines[0]
	for _, key := range []string{"file", "face_detected", "faces", "box", "roll", "pitch", "yaw",
		"left_eye", "left_eye_score", "right_eye", "right_eye_score", "mouth", "mouth_score",
		"masker", "masker_score", "spoof", "spoof_score"} {
		if _, ok := face[key]; !ok {
			t.Errorf("line 1 lacks %q: %v", key, face)
		}
	}
	if _, ok := face["error"]; ok {
		t.Errorf("line 1 has an error: %v", face["error"])
	}
	if face["face_detected"] != true {
		t.Errorf("line 1: face_detected %v, want true", face["face_detected"])
	}
	if n, _ := face["faces"].(float64); n < 1 {
		t.Errorf("line 1: faces %v, want >= 1", face["faces"])
	}
	if box, _ := face["box"].(map[string]any); box == nil || box["width"] == nil || box["height"] == nil {
		t.Errorf("line 1: box %v, want an object with width and height", face["box"])
	}
	for _, key := range []string{"left_eye", "right_eye", "mouth"} {
		if v := face[key]; v != "open" && v != "closed" {
			t.Errorf("line 1: %s %v, want open or closed", key, v)
		}
	}
	if v := face["spoof"]; v != "real" && v != "spoof" {
		t.Errorf("line 1: spoof %v, want real or spoof", v)
	}
	for _, key := range []string{"left_eye_score", "right_eye_score", "mouth_score", "masker_score", "spoof_score"} {
		if v, ok := face[key].(float64); !ok || v < 0 || v > 1 {
			t.Errorf("line 1: %s %v, want a number in [0, 1]", key, face[key])
		}
	}

	for _, i := range []int{1, 3} {
		if e, _ := lines[i]["error"].(string); e == "" {
			t.Errorf("line %d (%s): no error: %v", i+1, files[i], lines[i])
		}
	}
	if e := lines[1]["error"]; e != nil && !strings.Contains(e.(string), "not a JPEG or PNG") {
		t.Errorf("line 2: error %q, want the not-an-image error", e)
	}
	noFace := lines[2]
	if noFace["error"] != "no face found" {
		t.Errorf("line 3: error %v, want \"no face found\"", noFace["error"])
	}
	if noFace["face_detected"] != false {
		t.Errorf("line 3: face_detected %v, want false", noFace["face_detected"])
	}
}

func TestCompare(t *testing.T) {
	cliEnv(t)
	compare := func(a, b string) (sim float64, same bool) {
		t.Helper()
		code, stdout, stderr := runCLI(t, "compare", "-workers", "1", "-device", "cpu", sample(t, a), sample(t, b))
		if code != 0 {
			t.Fatalf("compare %s %s: exit %d; stderr:\n%s", a, b, code, stderr)
		}
		var out struct {
			Similarity *float64 `json:"similarity"`
			SamePerson *bool    `json:"same_person"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.Similarity == nil || out.SamePerson == nil {
			t.Fatalf("compare %s %s: output %q (%v): want similarity and same_person", a, b, stdout, err)
		}
		return *out.Similarity, *out.SamePerson
	}
	if sim, same := compare("fr_obama_obama.jpg", "fr_obama_obama2.jpg"); !same || sim <= 0.42 {
		t.Errorf("obama vs obama: similarity %.4f, same_person %v: want > 0.42, true", sim, same)
	}
	if sim, same := compare("fr_obama_obama.jpg", "fr_biden_biden.jpg"); same {
		t.Errorf("obama vs biden: similarity %.4f, same_person true: want false", sim)
	}
}

func TestCompareNeedsAFaceInEachImage(t *testing.T) {
	cliEnv(t)
	text := filepath.Join(t.TempDir(), "notanimage.txt")
	if err := os.WriteFile(text, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "compare", "-workers", "1", "-device", "cpu", sample(t, "fr_obama_obama.jpg"), text)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if stdout != "" || !strings.Contains(stderr, "notanimage.txt") {
		t.Errorf("stdout %q, stderr %q: want nothing on stdout and the file named on stderr", stdout, stderr)
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"analyze", "-h"}, {"compare", "-h"}, {"fetch", "-h"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Errorf("livenessd %v: exit %d, want 0", args, code)
		}
	}
}
