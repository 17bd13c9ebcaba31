package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livenessd/livenessd/internal/testkit"
)

// maxRSS is the documented bound (README "Configuration", Memory) on the server's memory
// under any mix of hostile images with the default limits.
const maxRSS = 1536 << 20

// TestMemoryStaysBoundedUnderImageBombs replays the hostile probe's
// reproductions against a real livenessd with the default limits: a
// 40-megapixel JPEG of a few hundred kB sent as a frame by 8 WebSocket
// sessions (it took the server to 9.3 GB), two batches of 16 x 40 MP PNGs
// (5.5 GB), and 6 concurrent batches of two 40 MP photos, which are
// allowed. Peak RSS must stay under maxRSS.
func TestMemoryStaysBoundedUnderImageBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 40-megapixel images")
	}
	cliEnv(t)
	srv := testkit.StartLivenessd(t, t.TempDir(), nil, "--workers", "2")
	defer srv.Stop(t)
	bigJPEG, bigPNG := bombs(t)
	post := func(path string, body any) (int, map[string]any) {
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accesstoken", testkit.LivenessdToken)
		resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	jpeg64, png64 := base64.StdEncoding.EncodeToString(bigJPEG), base64.StdEncoding.EncodeToString(bigPNG)

	var wg sync.WaitGroup
	statuses := make(chan int, 64)
	for range 8 { // sessions streaming the 40 MP JPEG as frames
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, created := post("/liveness-api/sessions", map[string]any{"trx_id": "bomb", "face_parameters": []string{"front"}})
			if code != 200 {
				t.Errorf("create session: %d %v", code, created)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, created["ws_url"].(string)+"?session_token="+created["session_token"].(string), nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer ws.CloseNow()
			ws.SetReadLimit(1 << 20)
			go func() {
				for {
					if _, _, err := ws.Read(ctx); err != nil {
						return
					}
				}
			}()
			for range 5 {
				if ws.Write(ctx, websocket.MessageBinary, bigJPEG) != nil {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		}()
	}
	for _, n := range []int{16, 16, 2, 2, 2, 2, 2, 2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			imgs, params := make([]string, n), make([]string, n)
			for i := range imgs {
				imgs[i], params[i] = png64, "front"
				if n == 2 {
					imgs[i] = jpeg64
				}
			}
			code, _ := post("/liveness-api/verify-face-liveness", map[string]any{"trx_id": "bomb", "images": imgs, "face_parameters": params})
			statuses <- code
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for c := range statuses {
		counts[c]++
	}
	peak := srv.PeakRSS(t)
	t.Logf("peak RSS %d MB under the bombs (bound %d MB); batch answers %v", peak>>20, maxRSS>>20, counts)
	if peak > maxRSS {
		t.Errorf("peak RSS %d MB, over the %d MB bound", peak>>20, maxRSS>>20)
	}
	if counts[413] != 2 {
		t.Errorf("the 16 x 40 MP batches: %v, want two 413s", counts)
	}
}

// bombs are a 6320x6320 (40 MP) JPEG and PNG of one colour: a few hundred
// kB that decode to 160 MB each.
func bombs(t *testing.T) (jpg, pngData []byte) {
	img := image.NewNRGBA(image.Rect(0, 0, 6320, 6320))
	c := color.NRGBA{120, 100, 90, 255}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var j, p bytes.Buffer
	if err := jpeg.Encode(&j, img, &jpeg.Options{Quality: 10}); err != nil {
		t.Fatal(err)
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	return j.Bytes(), p.Bytes()
}
