package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func batchResponse(liveness string) string {
	return `{"status":"200","status_message":"Success","liveness":"` + liveness + `",` +
		`"results":{"image1":{"face_parameter":"front","passed":true},"image2":{"face_parameter":"eyes open","passed":false}},` +
		`"trx_id":"t1","success_threshold":1,"passed_images":1,"similarity_reference":"batch","extra_field":7}`
}

func writeFiles(t *testing.T, contents ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, c := range contents {
		p := filepath.Join(dir, "img"+string(rune('a'+i)))
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestBatchSendsTheRequestAndPrintsTheResponse(t *testing.T) {
	f := newFakeServer(t)
	f.batch = func(batchRequest) (int, string) { return 200, batchResponse("passed") }
	imgs := writeFiles(t, "first image", "second image")
	code, stdout, stderr := runCLI(t, append([]string{"batch", "--server", f.URL + "/", "--token", fakeToken,
		"--params", "front, eyes open", "--spoof=false", "--threshold", "1", "--trx", "t1",
		"--gallery", "g1", "--user", "u1"}, imgs...)...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	batches, _, _ := f.received()
	req := batches[0]
	if req.TrxID != "t1" || !slices.Equal(req.FaceParameters, []string{"front", "eyes open"}) ||
		req.SpoofDetection == nil || *req.SpoofDetection || req.SuccessThreshold == nil || *req.SuccessThreshold != 1 ||
		req.FacegalleryID != "g1" || req.UserID != "u1" {
		t.Errorf("request fields: %+v", req)
	}
	for i, want := range []string{"first image", "second image"} {
		if got, _ := base64.StdEncoding.DecodeString(req.Images[i]); string(got) != want {
			t.Errorf("image %d: got %q, want %q", i+1, got, want)
		}
	}
	// Printed as sent (fields the client does not know included), indented.
	if !strings.Contains(stdout, "\n  \"liveness\": \"passed\",\n") || !strings.Contains(stdout, `"extra_field": 7`) {
		t.Errorf("stdout is not the indented response:\n%s", stdout)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Errorf("stdout is not JSON: %v", err)
	}
}

func TestBatchLeavesUnsetFieldsToTheServer(t *testing.T) {
	f := newFakeServer(t)
	f.batch = func(batchRequest) (int, string) { return 200, batchResponse("passed") }
	imgs := writeFiles(t, "a", "b")
	if code, _, stderr := runCLI(t, append([]string{"batch", "--server", f.URL, "--token", fakeToken}, imgs...)...); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	batches, _, _ := f.received()
	req := batches[0]
	if !slices.Equal(req.FaceParameters, []string{"front", "front"}) {
		t.Errorf("face_parameters %q, want front for every image", req.FaceParameters)
	}
	if req.SpoofDetection != nil || req.SuccessThreshold != nil || req.FacegalleryID != "" {
		t.Errorf("unset flags were sent: %+v", req)
	}
	if !strings.HasPrefix(req.TrxID, "testclient-") {
		t.Errorf("trx_id %q, want a generated testclient-...", req.TrxID)
	}
}

func TestBatchFailedLivenessExitsOne(t *testing.T) {
	f := newFakeServer(t)
	f.batch = func(batchRequest) (int, string) { return 200, batchResponse("failed") }
	imgs := writeFiles(t, "a", "b")
	code, stdout, stderr := runCLI(t, append([]string{"batch", "--server", f.URL, "--token", fakeToken}, imgs...)...)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stdout, `"liveness": "failed"`) {
		t.Errorf("the response is not printed:\n%s", stdout)
	}
	if !strings.Contains(stderr, "liveness failed: 1 of 2 images passed") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestBatchServerErrorsExitOne(t *testing.T) {
	f := newFakeServer(t)
	f.batch = func(batchRequest) (int, string) {
		return 400, `{"status":"400","status_message":"face_parameters[0]: \"sideways\" is not a face parameter"}`
	}
	img := writeFiles(t, "a")[0]
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"bad token":        {[]string{"--server", f.URL, "--token", "wrong"}, "HTTP 401: status 401: invalid access token"},
		"rejected request": {[]string{"--server", f.URL, "--token", fakeToken, "--params", "sideways"}, `HTTP 400: status 400: face_parameters[0]`},
		"unreachable":      {[]string{"--server", "http://127.0.0.1:1", "--token", fakeToken}, "connect"},
	} {
		code, stdout, stderr := runCLI(t, append(append([]string{"batch"}, tc.args...), img)...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1, nothing, %q", name, code, stdout, stderr, tc.want)
		}
	}
}
