package models

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedModels is the offline mirror that sits beside the checkout.
const sharedModels = "../../shared/models"

// requireMirror skips the test when the shared model folder is absent, since
// these tests verify real third-party files that are not in the repository.
func requireMirror(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat(sharedModels); err != nil || !st.IsDir() {
		t.Skipf("shared model mirror %s not present; these tests need the real model files", sharedModels)
	}
	return sharedModels
}

func TestLoadHasEveryRole(t *testing.T) {
	man, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(man.Models) != len(allRoles) {
		t.Fatalf("got %d models, want %d", len(man.Models), len(allRoles))
	}
	for _, role := range allRoles {
		m, err := man.Model(role)
		if err != nil {
			t.Fatal(err)
		}
		if m.Role != role {
			t.Errorf("Model(%q) returned role %q", role, m.Role)
		}
	}
	if _, err := man.Model("nope"); !errors.Is(err, ErrUnknownRole) {
		t.Errorf("unknown role: got %v, want ErrUnknownRole", err)
	}
	if man.Runtime.Version != "1.24.1" || man.Runtime.File != "libonnxruntime.so.1" {
		t.Errorf("runtime = %+v", man.Runtime)
	}
}

func TestManifestMatchesSHA256SUMS(t *testing.T) {
	dir := requireMirror(t)
	sums := readSums(t, filepath.Join(dir, "SHA256SUMS"))
	man, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range man.Models {
		want, ok := sums[m.File]
		if !ok {
			t.Errorf("%s: not listed in SHA256SUMS", m.File)
			continue
		}
		if m.SHA256 != want {
			t.Errorf("%s: manifest sha256 %s, SHA256SUMS %s", m.File, m.SHA256, want)
		}
		st, err := os.Stat(filepath.Join(dir, m.File))
		if err != nil {
			t.Error(err)
			continue
		}
		if st.Size() != m.Size {
			t.Errorf("%s: manifest size %d, file size %d", m.File, m.Size, st.Size())
		}
	}
}

func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 {
			sums[strings.TrimPrefix(f[1], "*")] = f[0]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

func TestParseRejectsBadManifests(t *testing.T) {
	good := string(manifestJSON)
	cases := map[string]string{
		"unknown key":   strings.Replace(good, `"licence": "MIT"`, `"licence": "MIT", "extra": 1`, 1),
		"short sha256":  strings.Replace(good, `"daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3"`, `"daede240"`, 1),
		"zero size":     strings.Replace(good, `"size": 237823`, `"size": 0`, 1),
		"bad channels":  strings.Replace(good, `"channels": "BGR"`, `"channels": "GBR"`, 1),
		"zero std":      strings.Replace(good, `"std": [1, 1, 1]`, `"std": [1, 0, 1]`, 1),
		"duplicate":     strings.Replace(good, `"role": "iris"`, `"role": "landmarks"`, 1),
		"path in file":  strings.Replace(good, `"file": "MiniFASNetV2.onnx"`, `"file": "../MiniFASNetV2.onnx"`, 1),
		"trailing data": good + "{}",
		"two sources":   strings.Replace(good, `"npm_package": "faceplugin-face-recognition-js@0.0.1",`, `"npm_package": "faceplugin-face-recognition-js@0.0.1", "url": "https://example.invalid/m.onnx",`, 1),
		"no source":     strings.Replace(good, `"npm_package": "faceplugin-face-recognition-js@0.0.1",`, ``, 1),
		"no member":     strings.Replace(good, `"member": "package/model/fr_liveness.onnx",`, ``, 1),
	}
	for name, text := range cases {
		if text == good {
			t.Errorf("%s: replacement did not apply", name)
			continue
		}
		if _, err := parse([]byte(text)); err == nil {
			t.Errorf("%s: parse succeeded, want an error", name)
		}
	}
}
