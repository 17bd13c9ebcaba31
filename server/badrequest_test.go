package server

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/livenessd/livenessd/auth"
	"github.com/livenessd/livenessd/internal/testkit"
)

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

// TestBadRequests: every client mistake gets its status, the same status in
// the body, and a message that names what was wrong. None may be a 500.
func TestBadRequests(t *testing.T) {
	ts := startServer(t, testConfig(t.TempDir()))
	obama := photo(t, "fr_obama_obama.jpg")
	raw, _ := base64.StdEncoding.DecodeString(obama)
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, image.NewPaletted(image.Rect(0, 0, 64, 64), []color.Color{color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	// A token signed with another key, and one issued two hours ago with the
	// server's own key.
	forged := issuedToken(t, bytes.Repeat([]byte("k"), 32), time.Now)
	expired := issuedToken(t, ts.key, func() time.Time { return time.Now().Add(-2 * time.Hour) })

	// Client A owns gallery "a-gallery" with user "obama".
	setup := func(path string, body map[string]any) {
		if code, out := ts.call(t, "POST", path, tokenA, body); code != 200 {
			t.Fatalf("setup %s: %d %v", path, code, out)
		}
	}
	setup("/face-api/facegallery/create-facegallery", map[string]any{"trx_id": "s1", "facegallery_id": "a-gallery"})
	setup("/face-api/facegallery/enroll-face", map[string]any{"trx_id": "s2", "facegallery_id": "a-gallery", "user_id": "obama", "image": obama})

	one := map[string]any{"trx_id": "bad-1", "face_parameters": []string{"front"}, "images": []string{obama}}
	img := func(s string) map[string]any { return with(one, "images", []string{s}) }
	const liveness = "/liveness-api/verify-face-liveness"
	const gallery = "/face-api/facegallery/"
	seventeen := make([]string, 17)
	params17 := make([]string, 17)
	for i := range seventeen {
		seventeen[i], params17[i] = "x", "front"
	}

	for _, tc := range []struct {
		name         string
		method, path string
		token        string
		contentType  string
		body         any
		status       int
		message      string
	}{
		// Access tokens.
		{"no token", "POST", liveness, "", "", one, 401, "access token missing"},
		{"unknown static token", "POST", liveness, "not-a-token-0123456789", "", one, 401, "access token invalid"},
		{"malformed JWT", "POST", liveness, "abc.def.ghi", "", one, 401, "access token invalid: not a token this server issued"},
		{"forged JWT", "POST", liveness, forged, "", one, 401, "access token invalid: not a token this server issued"},
		{"expired JWT", "POST", liveness, expired, "", one, 401, "access token expired"},
		// Body shape.
		{"wrong content type", "POST", liveness, tokenA, "text/plain", []byte("{}"), 415, "send application/json"},
		{"not JSON", "POST", liveness, tokenA, "", []byte("hello"), 400, "not valid JSON"},
		{"empty body", "POST", liveness, tokenA, "", []byte(""), 400, "body is empty"},
		{"truncated JSON", "POST", liveness, tokenA, "", []byte(`{"trx_id": "x", "images": [`), 400, "truncated"},
		{"array body", "POST", liveness, tokenA, "", []byte(`[1,2]`), 400, "must be a JSON object"},
		{"two JSON values", "POST", liveness, tokenA, "", []byte(`{"trx_id":"a"} {}`), 400, "more than one JSON value"},
		{"threshold as string", "POST", liveness, tokenA, "", with(one, "success_threshold", "1"), 400, "success_threshold: must be an integer"},
		{"spoof_detection as string", "POST", liveness, tokenA, "", with(one, "spoof_detection", "yes"), 400, "spoof_detection: must be true or false"},
		{"images as string", "POST", liveness, tokenA, "", with(one, "images", obama), 400, "images: must be an array of strings"},
		{"unknown field", "POST", liveness, tokenA, "", with(one, "spoof_detecton", false), 400, `unknown field "spoof_detecton"`},
		// encoding/json would take these: the last duplicate wins, and keys match any case.
		{"duplicate key", "POST", liveness, tokenA, "", []byte(`{"trx_id":"x","images":["` + obama + `"],"face_parameters":["front"],"spoof_detection":true,"spoof_detection":false}`),
			400, `key "spoof_detection" appears twice`},
		{"key in another case", "POST", liveness, tokenA, "", []byte(`{"trx_id":"x","images":["` + obama + `"],"face_parameters":["front"],"Spoof_Detection":false}`),
			400, `field names are case-sensitive: "spoof_detection"`},
		{"duplicate key in a session request", "POST", "/liveness-api/sessions", tokenA, "",
			[]byte(`{"trx_id":"x","face_parameters":["front"],"device_results":false,"device_results":true}`), 400, `key "device_results" appears twice`},
		// Fields.
		{"missing trx_id", "POST", liveness, tokenA, "", with(one, "trx_id", ""), 400, "trx_id: is required"},
		{"long trx_id", "POST", liveness, tokenA, "", with(one, "trx_id", strings.Repeat("x", 121)), 400, "at most 120"},
		{"trx_id with newline", "POST", liveness, tokenA, "", with(one, "trx_id", "a\nb"), 400, "trx_id: may contain only"},
		{"missing images", "POST", liveness, tokenA, "", map[string]any{"trx_id": "x", "face_parameters": []string{"front"}}, 400, "images: is required"},
		{"missing face_parameters", "POST", liveness, tokenA, "", map[string]any{"trx_id": "x", "images": []string{obama}}, 400, "face_parameters: is required"},
		{"empty images", "POST", liveness, tokenA, "", map[string]any{"trx_id": "x", "images": []string{}, "face_parameters": []string{}}, 400, "images: is empty"},
		{"length mismatch", "POST", liveness, tokenA, "", with(one, "face_parameters", []string{"front", "left"}), 400, "must be the same length"},
		{"too many images", "POST", liveness, tokenA, "", with(one, "images", seventeen, "face_parameters", params17), 400, "at most 16 allowed"},
		{"unknown parameter", "POST", liveness, tokenA, "", with(one, "face_parameters", []string{"sideways"}), 400, `face_parameters[0]: "sideways" is not a face parameter`},
		{"success_threshold 0", "POST", liveness, tokenA, "", with(one, "success_threshold", 0), 400, "success_threshold: is 0; want 1 to 1"},
		{"success_threshold above images", "POST", liveness, tokenA, "", with(one, "success_threshold", 2), 400, "success_threshold: is 2"},
		{"gallery without user", "POST", liveness, tokenA, "", with(one, "facegallery_id", "a-gallery"), 400, "must be given together"},
		{"bad gallery id", "POST", liveness, tokenA, "", with(one, "facegallery_id", "a gallery", "user_id", "u"), 400, "facegallery_id: must be 1 to 64"},
		// Images.
		{"not base64", "POST", liveness, tokenA, "", img("not base64 at all!"), 400, "images[0]: not valid base64"},
		{"bad data URL", "POST", liveness, tokenA, "", img("data:image/jpeg," + obama), 400, "data URL must look like"},
		{"text, not an image", "POST", liveness, tokenA, "", img(b64([]byte("hello, I am text, not a photo"))), 400, "images[0]: not a JPEG or PNG image"},
		{"GIF", "POST", liveness, tokenA, "", img(b64(gifBuf.Bytes())), 400, "not a JPEG or PNG image"},
		{"truncated JPEG", "POST", liveness, tokenA, "", img(b64(raw[:len(raw)/2])), 400, "corrupt or truncated"},
		{"decompression bomb", "POST", liveness, tokenA, "", img(b64(testkit.BombPNG(t))), 400, "30000x30000"},
		{"tiny image", "POST", liveness, tokenA, "", img(b64(testkit.GrayPNG(t, 16, 16))), 400, "16x16"},
		{"image over the byte limit", "POST", liveness, tokenA, "", img(strings.Repeat("A", 2<<20)), 413, "image too large"},
		{"body over the limit", "POST", liveness, tokenA, "", with(one, "images", []string{strings.Repeat("A", 9<<20)}), 413, "larger than the 8 MiB limit"},
		// Galleries.
		{"unknown gallery", "POST", liveness, tokenA, "", with(one, "facegallery_id", "nope", "user_id", "obama"), 404, "face gallery not found"},
		{"unknown user", "POST", liveness, tokenA, "", with(one, "facegallery_id", "a-gallery", "user_id", "nobody"), 404, "user not enrolled"},
		{"cross-client verify", "POST", liveness, tokenB, "", with(one, "facegallery_id", "a-gallery", "user_id", "obama"), 404, "face gallery not found"},
		{"cross-client delete gallery", "DELETE", gallery + "delete-facegallery", tokenB, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery"}, 404, "face gallery not found"},
		{"cross-client list faces", "POST", gallery + "list-faces", tokenB, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery"}, 404, "face gallery not found"},
		{"cross-client delete face", "DELETE", gallery + "delete-face", tokenB, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery", "user_id": "obama"}, 404, "face gallery not found"},
		{"gallery exists", "POST", gallery + "create-facegallery", tokenA, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery"}, 409, "already exists"},
		{"user enrolled twice", "POST", gallery + "enroll-face", tokenA, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery", "user_id": "obama", "image": obama}, 409, "already enrolled"},
		{"enrol without face", "POST", gallery + "enroll-face", tokenA, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery", "user_id": "gray", "image": b64(testkit.GrayPNG(t, 320, 240))}, 422, "no face detected"},
		{"enrol several faces", "POST", gallery + "enroll-face", tokenA, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery", "user_id": "crowd", "image": photo(t, "fr_biden_biden2.jpg")}, 422, "several faces"},
		{"enrol without image", "POST", gallery + "enroll-face", tokenA, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery", "user_id": "u"}, 400, "image: is required"},
		{"verify-face without user", "POST", gallery + "verify-face", tokenA, "", map[string]any{"trx_id": "x", "facegallery_id": "a-gallery", "image": obama}, 400, "user_id: is required"},
		// Routing and OAuth.
		{"wrong method", "GET", liveness, tokenA, "", nil, 405, "GET is not allowed"},
		{"unknown route", "POST", "/liveness-api/nope", tokenA, "", one, 404, "no route /liveness-api/nope"},
		{"oauth wrong secret", "POST", "/oauth/token", "", "application/x-www-form-urlencoded",
			[]byte("grant_type=client_credentials&client_id=" + oauthID + "&client_secret=wrong"), 401, "unknown client or wrong secret"},
		{"oauth unknown client", "POST", "/oauth/token", "", "application/x-www-form-urlencoded",
			[]byte("grant_type=client_credentials&client_id=ghost&client_secret=" + oauthSecret), 401, "unknown client or wrong secret"},
		{"oauth wrong grant", "POST", "/oauth/token", "", "application/x-www-form-urlencoded",
			[]byte("grant_type=password&client_id=" + oauthID + "&client_secret=" + oauthSecret), 400, "grant_type must be client_credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			code, out := ts.do(t, tc.method, tc.path, tc.token, ct, tc.body)
			if code != tc.status {
				t.Errorf("HTTP %d, want %d: %v", code, tc.status, out)
			}
			if out["status"] != strconv.Itoa(tc.status) {
				t.Errorf("body status %v, want %q", out["status"], strconv.Itoa(tc.status))
			}
			if msg, _ := out["status_message"].(string); !strings.Contains(msg, tc.message) {
				t.Errorf("status_message %q lacks %q", msg, tc.message)
			}
		})
	}
}

// issuedToken is a token for the OAuth client, signed with key at the time
// clock gives.
func issuedToken(t *testing.T, key []byte, clock func() time.Time) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(oauthSecret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(nil, []auth.Client{{ID: oauthID, SecretHash: string(hash)}}, key, time.Hour, auth.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := a.Issue(oauthID, oauthSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
