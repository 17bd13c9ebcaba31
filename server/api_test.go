package server

import (
	"io"
	"strconv"
	"strings"
	"testing"
)

// results returns results.imageN objects in order.
func results(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	rs, ok := body["results"].(map[string]any)
	if !ok {
		t.Fatalf("no results object in %v", body)
	}
	out := make([]map[string]any, len(rs))
	for i := range out {
		r, ok := rs["image"+strconv.Itoa(i+1)].(map[string]any)
		if !ok {
			t.Fatalf("results lacks image%d: %v", i+1, rs)
		}
		out[i] = r
	}
	return out
}

// specFields are every field of results.imageN in ../shared/spec/liveness-api.md.
var specFields = []string{"match", "verified", "similarity", "masker", "spoof", "spoof_score", "roll", "pitch",
	"yaw", "left_eye", "left_eye_score", "right_eye", "right_eye_score", "mouth", "mouth_score"}

func mustLiveness(t *testing.T, ts *testServer, token string, body map[string]any, want string) []map[string]any {
	t.Helper()
	code, out := ts.call(t, "POST", "/liveness-api/verify-face-liveness", token, body)
	if code != 200 || out["status"] != "200" {
		t.Fatalf("status %d %v: %v", code, out["status"], out["status_message"])
	}
	if out["liveness"] != want {
		t.Errorf("liveness %v, want %s; results: %v", out["liveness"], want, out["results"])
	}
	if out["trx_id"] != body["trx_id"] {
		t.Errorf("trx_id %v, want %v", out["trx_id"], body["trx_id"])
	}
	return results(t, out)
}

func TestBatchOfRealPhotosPasses(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	// Kit Harington facing the camera, then turned to his own right.
	rs := mustLiveness(t, ts, tokenA, batch(t, "kit-1",
		"fr_kit_harington_john1.jpeg", "front", "fr_kit_harington_john2.jpeg", "right"), "passed")
	for i, r := range rs {
		for _, f := range specFields {
			if _, ok := r[f]; !ok {
				t.Errorf("image%d lacks the spec's field %q", i+1, f)
			}
		}
		if r["match"] != true || r["verified"] != true || r["spoof"] != "real" || r["passed"] != true {
			t.Errorf("image%d: %v", i+1, r)
		}
	}
	if rs[0]["similarity"] != 1.0 {
		t.Errorf("the reference image's similarity is %v, want 1", rs[0]["similarity"])
	}
	if yaw := rs[1]["yaw"].(float64); yaw > -20 {
		t.Errorf("turned-right photo has yaw %v, want <= -20", yaw)
	}

	// Asked for the wrong pose, the same photos fail and say why.
	rs = mustLiveness(t, ts, tokenA, batch(t, "kit-2",
		"fr_kit_harington_john1.jpeg", "front", "fr_kit_harington_john2.jpeg", "left"), "failed")
	if rs[1]["match"] != false || !strings.Contains(reasons(rs[1]), "turn left") {
		t.Errorf("left on a right turn: %v", rs[1])
	}
	// success_threshold 1 lets one good image carry the batch.
	mustLiveness(t, ts, tokenA, with(batch(t, "kit-3",
		"fr_kit_harington_john1.jpeg", "front", "fr_kit_harington_john2.jpeg", "left"), "success_threshold", 1), "passed")
}

func reasons(r map[string]any) string {
	var out []string
	rs, _ := r["reasons"].([]any)
	for _, s := range rs {
		out = append(out, s.(string))
	}
	return strings.Join(out, "; ")
}

func TestTwoPeopleFailWithoutGallery(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	rs := mustLiveness(t, ts, tokenA, batch(t, "mixed",
		"fr_rose_leslie_img1.jpg", "front", "fr_biden_biden.jpg", "front"), "failed")
	if rs[0]["verified"] != true || rs[1]["verified"] != false {
		t.Errorf("verified: %v, %v", rs[0]["verified"], rs[1]["verified"])
	}
	if !strings.Contains(reasons(rs[1]), "different person") {
		t.Errorf("image2 reasons: %v", rs[1]["reasons"])
	}
	// The same person twice passes.
	mustLiveness(t, ts, tokenA, batch(t, "rose",
		"fr_rose_leslie_img1.jpg", "front", "fr_rose_leslie_img2.jpg", "front"), "passed")
}

func TestSpoofDetection(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	for _, tc := range []struct{ photo, param string }{
		{"silentface_F1_print.jpg", "right"},
		{"silentface_F2_replay.jpg", "front"},
	} {
		t.Run(tc.photo, func(t *testing.T) {
			on := batch(t, "spoof-on", tc.photo, tc.param)
			rs := mustLiveness(t, ts, tokenA, on, "failed")
			if rs[0]["spoof"] != "spoof" || rs[0]["spoof_score"].(float64) < 0.5 || rs[0]["match"] != true {
				t.Errorf("spoof on: %v", rs[0])
			}
			rs = mustLiveness(t, ts, tokenA, with(on, "trx_id", "spoof-off", "spoof_detection", false), "passed")
			if _, ok := rs[0]["spoof"]; ok {
				t.Errorf("spoof_detection false still reports spoof: %v", rs[0])
			}
		})
	}
	mustLiveness(t, ts, tokenA, batch(t, "real", "silentface_T1_real.jpg", "eyes open"), "passed")
}

func TestGalleryEnrolAndVerify(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	post := func(path string, body map[string]any) map[string]any {
		t.Helper()
		code, out := ts.call(t, "POST", path, tokenA, body)
		if code != 200 || out["status"] != "200" {
			t.Fatalf("%s: %d %v", path, code, out)
		}
		return out
	}
	post("/face-api/facegallery/create-facegallery", map[string]any{"trx_id": "g1", "facegallery_id": "riset.ai@production"})
	post("/face-api/facegallery/enroll-face", map[string]any{"trx_id": "g2", "facegallery_id": "riset.ai@production",
		"user_id": "obama", "user_name": "Barack Obama", "image": photo(t, "fr_obama_obama.jpg")})

	verify := func(img string) map[string]any {
		return post("/face-api/facegallery/verify-face", map[string]any{"trx_id": "g3", "facegallery_id": "riset.ai@production",
			"user_id": "obama", "image": photo(t, img)})
	}
	if out := verify("fr_obama_obama2.jpg"); out["verified"] != true || out["similarity"].(float64) < 0.5 {
		t.Errorf("another photo of the enrolled person: %v", out)
	}
	if out := verify("fr_biden_biden.jpg"); out["verified"] != false || out["similarity"].(float64) > 0.3 {
		t.Errorf("a different person: %v", out)
	}

	// The batch endpoint verifies against the gallery face.
	gallery := func(b map[string]any) map[string]any {
		return with(b, "facegallery_id", "riset.ai@production", "user_id", "obama")
	}
	rs := mustLiveness(t, ts, tokenA, gallery(batch(t, "b1", "fr_obama_obama.jpg", "front")), "passed")
	if rs[0]["verified"] != true {
		t.Errorf("enrolled photo not verified: %v", rs[0])
	}
	rs = mustLiveness(t, ts, tokenA, gallery(batch(t, "b2", "fr_biden_biden.jpg", "front")), "failed")
	if rs[0]["verified"] != false || rs[0]["match"] != true {
		t.Errorf("biden against obama: %v", rs[0])
	}

	out := post("/face-api/facegallery/list-faces", map[string]any{"trx_id": "g4", "facegallery_id": "riset.ai@production"})
	faces := out["faces"].([]any)
	if len(faces) != 1 || faces[0].(map[string]any)["user_name"] != "Barack Obama" {
		t.Errorf("list-faces: %v", out)
	}
	code, out := ts.call(t, "GET", "/face-api/facegallery/my-facegalleries?trx_id=g5", tokenA, nil)
	if gs := out["facegalleries"].([]any); code != 200 || len(gs) != 1 || gs[0].(map[string]any)["faces"] != 1.0 {
		t.Errorf("my-facegalleries: %d %v", code, out)
	}
	// Client B sees nothing of it.
	if _, out := ts.call(t, "GET", "/face-api/facegallery/my-facegalleries", tokenB, nil); len(out["facegalleries"].([]any)) != 0 {
		t.Errorf("client B sees client A's galleries: %v", out)
	}

	del := func(path string, body map[string]any) {
		t.Helper()
		if code, out := ts.call(t, "DELETE", path, tokenA, body); code != 200 {
			t.Fatalf("%s: %d %v", path, code, out)
		}
	}
	del("/face-api/facegallery/delete-face", map[string]any{"trx_id": "g6", "facegallery_id": "riset.ai@production", "user_id": "obama"})
	if code, _ := ts.call(t, "POST", "/face-api/facegallery/verify-face", tokenA, map[string]any{"trx_id": "g7",
		"facegallery_id": "riset.ai@production", "user_id": "obama", "image": photo(t, "fr_obama_obama2.jpg")}); code != 404 {
		t.Errorf("verify after delete-face: %d, want 404", code)
	}
	del("/face-api/facegallery/delete-facegallery", map[string]any{"trx_id": "g8", "facegallery_id": "riset.ai@production"})
	if _, out := ts.call(t, "GET", "/face-api/facegallery/my-facegalleries", tokenA, nil); len(out["facegalleries"].([]any)) != 0 {
		t.Errorf("gallery survived its deletion: %v", out)
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	form := []byte("grant_type=client_credentials&client_id=" + oauthID + "&client_secret=" + oauthSecret)
	code, out := ts.do(t, "POST", "/oauth/token", "", "application/x-www-form-urlencoded", form)
	if code != 200 || out["token_type"] != "Bearer" || out["expires_in"] != 3600.0 {
		t.Fatalf("token: %d %v", code, out)
	}
	token := out["access_token"].(string)
	code, out = ts.call(t, "POST", "/face-api/facegallery/create-facegallery", token, map[string]any{"trx_id": "o1", "facegallery_id": "svc"})
	if code != 200 {
		t.Fatalf("with an issued token: %d %v", code, out)
	}
	// The gallery belongs to the OAuth client, not to the static-token clients.
	if _, out := ts.call(t, "GET", "/face-api/facegallery/my-facegalleries", tokenA, nil); len(out["facegalleries"].([]any)) != 0 {
		t.Errorf("client A sees the OAuth client's gallery: %v", out)
	}
}

func TestHealthReadinessMetrics(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	if code, out := ts.call(t, "GET", "/healthz", "", nil); code != 200 || out["status"] != "ok" {
		t.Errorf("healthz: %d %v", code, out)
	}
	if code, out := ts.call(t, "GET", "/readyz", "", nil); code != 200 || out["status"] != "ready" {
		t.Errorf("readyz: %d %v", code, out)
	}
	for path, want := range map[string]string{
		"/":                  "/sdk/livenessd.js",
		"/batch.html":        "/liveness-api/verify-face-liveness",
		"/sdk/livenessd.js":  "export class LivenessCheck",
		"/sdk/livenessd.css": ".lvd-",
	} {
		page, err := client.Get(ts.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(page.Body)
		page.Body.Close()
		if page.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %s, lacks %q", path, page.StatusCode, page.Header.Get("Content-Type"), want)
		}
	}
	mustLiveness(t, ts, tokenA, batch(t, "m1", "fr_obama_obama.jpg", "front"), "passed")
	resp, err := client.Get(ts.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	if _, err := io.Copy(&sb, resp.Body); err != nil {
		t.Fatal(err)
	}
	text := sb.String()
	for _, want := range []string{
		`livenessd_http_requests_total{code="200",method="POST",route="/liveness-api/verify-face-liveness"} 1`,
		`livenessd_pipeline_stage_seconds_count{stage="detect"} 1`,
		`livenessd_images_judged_total{outcome="passed"} 1`,
		`livenessd_inference_queue_depth 0`,
		`livenessd_http_request_duration_seconds_bucket{method="GET",route="/readyz"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
