package vpx

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/livenessd/livenessd/internal/testkit"
	"github.com/livenessd/livenessd/mjpeg"
)

const clipName = "live_mouth_open_640x480_15fps.mjpeg"

var (
	clipOnce   sync.Once
	clipImages []image.Image
	clipErr    error
)

// clip returns the first n decoded JPEG frames of the real clip (skipping
// the test when ../shared is absent).
func clip(tb testing.TB, n int) []image.Image {
	tb.Helper()
	dir := testkit.Shared(tb, "testdata/video")
	clipOnce.Do(func() {
		f, err := os.Open(filepath.Join(dir, clipName))
		if err != nil {
			clipErr = err
			return
		}
		defer f.Close()
		r := mjpeg.NewReader(f)
		for {
			b, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				clipErr = err
				return
			}
			img, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				clipErr = fmt.Errorf("frame %d: %w", len(clipImages), err)
				return
			}
			clipImages = append(clipImages, img)
		}
	})
	if clipErr != nil {
		tb.Fatalf("reading %s: %v", clipName, clipErr)
	}
	if len(clipImages) < n {
		tb.Fatalf("%s has %d frames, want at least %d", clipName, len(clipImages), n)
	}
	return clipImages[:n]
}

// clip420 returns the first n clip frames as 4:2:0, 640x480.
func clip420(tb testing.TB, n int) []*image.YCbCr {
	tb.Helper()
	var out []*image.YCbCr
	for _, img := range clip(tb, n) {
		out = append(out, FromImage(img))
	}
	return out
}

// encodeAll encodes pics in order (key frames forced at the given indices)
// and checks that each picture gives exactly one compressed frame.
func encodeAll(tb testing.TB, enc *Encoder, pics []*image.YCbCr, forceAt ...int) [][]byte {
	tb.Helper()
	var frames [][]byte
	for i, p := range pics {
		force := false
		for _, f := range forceAt {
			force = force || f == i
		}
		out, err := enc.Encode(p, force)
		if err != nil {
			tb.Fatalf("encode frame %d: %v", i, err)
		}
		if len(out) != 1 {
			tb.Fatalf("encode frame %d: got %d compressed frames, want 1", i, len(out))
		}
		frames = append(frames, out[0])
	}
	return frames
}

func psnrY(a, b *image.YCbCr) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var sum float64
	for y := 0; y < h; y++ {
		ra := a.Y[a.YOffset(a.Rect.Min.X, a.Rect.Min.Y+y):][:w]
		rb := b.Y[b.YOffset(b.Rect.Min.X, b.Rect.Min.Y+y):][:w]
		for x := range ra {
			d := float64(ra[x]) - float64(rb[x])
			sum += d * d
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(sum/float64(w*h)))
}

func newDecoder(tb testing.TB) *Decoder {
	tb.Helper()
	d, err := NewDecoder()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(d.Close)
	return d
}

func newEncoder(tb testing.TB, w, h, fps, kbps int) *Encoder {
	tb.Helper()
	e, err := NewEncoder(w, h, fps, kbps)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

func decodePic(tb testing.TB, d *Decoder, frame []byte, i int) *image.YCbCr {
	tb.Helper()
	pic, err := d.Decode(frame)
	if err != nil {
		tb.Fatalf("decode frame %d: %v", i, err)
	}
	if pic == nil {
		tb.Fatalf("decode frame %d: no picture", i)
	}
	return pic
}

func TestRoundTripClip(t *testing.T) {
	pics := clip420(t, 30)
	enc := newEncoder(t, 640, 480, 15, 1000)
	frames := encodeAll(t, enc, pics)

	if !IsKeyFrame(frames[0]) {
		t.Fatal("first frame is not a key frame")
	}
	keys, total := 0, 0
	for i, f := range frames {
		total += len(f)
		if IsKeyFrame(f) {
			keys++
			if i > 0 {
				t.Errorf("unforced key frame at %d (kf_max_dist is 2 s = 30 frames)", i)
			}
		}
	}
	t.Logf("30 frames: %d key, %d bytes (key frame %d bytes, %.0f kbps at 15 fps)",
		keys, total, len(frames[0]), float64(total)*8*15/30/1000)

	dec := newDecoder(t)
	minP, sumP := math.Inf(1), 0.0
	for i, f := range frames {
		pic := decodePic(t, dec, f, i)
		if pic.Rect != image.Rect(0, 0, 640, 480) || pic.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("frame %d: got %v %v, want (0,0)-(640,480) 4:2:0", i, pic.Rect, pic.SubsampleRatio)
		}
		if len(pic.Cb) != 320*240 || pic.CStride != 320 || pic.YStride != 640 {
			t.Fatalf("frame %d: chroma %d bytes, strides %d/%d", i, len(pic.Cb), pic.YStride, pic.CStride)
		}
		p := psnrY(pics[i], pic)
		minP = min(minP, p)
		sumP += p
	}
	t.Logf("Y PSNR vs source: mean %.2f dB, min %.2f dB", sumP/30, minP)
	if minP <= 30 {
		t.Errorf("Y PSNR min %.2f dB, want > 30", minP)
	}
}

func TestForcedKeyFrame(t *testing.T) {
	pics := clip420(t, 12)
	enc := newEncoder(t, 640, 480, 15, 1000)
	frames := encodeAll(t, enc, pics, 6)
	for i, f := range frames {
		if want := i == 0 || i == 6; IsKeyFrame(f) != want {
			t.Errorf("frame %d: key frame %v, want %v", i, IsKeyFrame(f), want)
		}
	}
	// The whole stream, and a decoder that joins at the forced key frame,
	// as a receiver does after a PLI.
	all := newDecoder(t)
	var full []*image.YCbCr
	for i, f := range frames {
		full = append(full, decodePic(t, all, f, i))
	}
	late := newDecoder(t)
	if _, err := late.Decode(frames[5]); err == nil {
		t.Error("fresh decoder accepted an inter frame")
	}
	for i := 6; i < len(frames); i++ {
		pic := decodePic(t, late, frames[i], i)
		if !bytes.Equal(pic.Y, full[i].Y) || !bytes.Equal(pic.Cb, full[i].Cb) || !bytes.Equal(pic.Cr, full[i].Cr) {
			t.Errorf("frame %d from the forced key frame differs from the continuous decode", i)
		}
		if p := psnrY(pics[i], pic); p <= 30 {
			t.Errorf("frame %d: Y PSNR %.2f dB", i, p)
		}
	}
}

func TestDecodeGarbage(t *testing.T) {
	pics := clip420(t, 8)
	enc := newEncoder(t, 640, 480, 15, 1000)
	frames := encodeAll(t, enc, pics)

	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 4000)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	interGarbage := append([]byte{garbage[0] | 1}, garbage[1:]...) // tagged as an inter frame
	keyGarbage := append([]byte{garbage[0] &^ 1}, garbage[1:]...)  // tagged as a key frame, bad start code
	truncatedKey := frames[0][:len(frames[0])/3]

	dec := newDecoder(t)
	for _, c := range []struct {
		name string
		data []byte
	}{{"empty", nil}, {"inter-tagged garbage", interGarbage}, {"key-tagged garbage", keyGarbage}, {"truncated key frame", truncatedKey}} {
		_, err := dec.Decode(c.data)
		var ve *Error
		if !errors.As(err, &ve) || ve.Msg == "" {
			t.Fatalf("fresh decoder, %s: got %v, want a *vpx.Error", c.name, err)
		}
		t.Logf("fresh decoder, %s: %v (code %d)", c.name, err, ve.Code)
	}
	// The decoder keeps working from a key frame.
	for i := 0; i < 4; i++ {
		if p := psnrY(pics[i], decodePic(t, dec, frames[i], i)); p <= 30 {
			t.Errorf("frame %d after garbage: Y PSNR %.2f dB", i, p)
		}
	}
	// Mid-stream, garbage is rejected; libvpx marks its last reference as
	// damaged, so the next inter frame is refused too, and the decoder
	// recovers at the next key frame.
	for _, bad := range [][]byte{keyGarbage, interGarbage, truncatedKey} {
		if _, err := dec.Decode(bad); err == nil {
			t.Errorf("mid-stream garbage of %d bytes decoded without error", len(bad))
		} else {
			t.Logf("mid-stream: %v", err)
		}
	}
	if pic, err := dec.Decode(frames[4]); err == nil || pic != nil {
		t.Errorf("inter frame after mid-stream garbage: picture %v, err %v; want an error", pic != nil, err)
	} else {
		t.Logf("mid-stream: next inter frame: %v", err)
	}
	if _, err := dec.Decode(frames[0]); err != nil {
		t.Fatalf("key frame after mid-stream garbage: %v", err)
	}
	if p := psnrY(pics[1], decodePic(t, dec, frames[1], 1)); p <= 30 {
		t.Errorf("inter frame after recovery: Y PSNR %.2f dB", p)
	}
}

// TestDecodeCorruptInterFrame: libvpx decodes a truncated inter frame
// without error but flags the picture, and every picture predicted from it,
// as corrupted; Decode turns that into errors until the next key frame.
// Scrambled bits inside a frame of the right length are not always noticed:
// VP8 has no checksum (on the wire SRTP authentication rejects such packets).
func TestDecodeCorruptInterFrame(t *testing.T) {
	pics := clip420(t, 20)
	enc := newEncoder(t, 640, 480, 15, 1000)
	const bad, key = 8, 15
	frames := encodeAll(t, enc, pics, key)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		name    string
		damage  func([]byte) []byte
		flagged bool
	}{
		{"truncated to 1/4", func(f []byte) []byte { return f[:len(f)/4] }, true},
		{"last 10% lost", func(f []byte) []byte { return f[:len(f)*9/10] }, true},
		{"tail scrambled", func(f []byte) []byte {
			g := append([]byte(nil), f...)
			for k := len(g) / 2; k < len(g); k++ {
				g[k] = byte(rng.Uint32())
			}
			return g
		}, false},
	} {
		dec := newDecoder(t)
		errs := 0
		for i, f := range frames {
			if i == bad {
				f = c.damage(f)
			}
			pic, err := dec.Decode(f)
			if err != nil {
				errs++
			}
			switch {
			case i < bad || i >= key:
				if err != nil || pic == nil {
					t.Errorf("%s: frame %d: picture %v, err %v", c.name, i, pic != nil, err)
				}
			case c.flagged:
				var ve *Error
				if !errors.As(err, &ve) || ve.Code != CodeCorruptFrame || pic != nil {
					t.Errorf("%s: frame %d: picture %v, err %v; want a corrupt-frame error", c.name, i, pic != nil, err)
				}
			}
			if i == bad {
				p := 0.0
				if pic != nil {
					p = psnrY(pics[i], pic)
				}
				t.Logf("%s: err %v, picture %v (Y PSNR %.2f dB)", c.name, err, pic != nil, p)
			}
		}
		t.Logf("%s: %d errors for frames %d..%d, none from the key frame at %d", c.name, errs, bad, key-1, key)
	}
}

// TestMissingFrame documents what libvpx does when an inter frame is lost:
// VP8 frames carry no sequence number, so the decoder cannot notice; the
// next frames decode without error but predict from the wrong reference.
func TestMissingFrame(t *testing.T) {
	pics := clip420(t, 30)
	enc := newEncoder(t, 640, 480, 15, 1000)
	frames := encodeAll(t, enc, pics)

	clean, lossy := newDecoder(t), newDecoder(t)
	const lost = 10
	worstClean, worstLossy := math.Inf(1), math.Inf(1)
	for i, f := range frames {
		want := decodePic(t, clean, f, i)
		if i == lost {
			continue
		}
		got := decodePic(t, lossy, f, i) // no error: libvpx cannot notice
		if i < lost {
			continue
		}
		if bytes.Equal(got.Y, want.Y) {
			t.Errorf("frame %d after losing frame %d is identical to the clean decode", i, lost)
		}
		pc, pl := psnrY(pics[i], want), psnrY(pics[i], got)
		worstClean, worstLossy = min(worstClean, pc), min(worstLossy, pl)
		if i == lost+1 || i == lost+5 || i == len(frames)-1 {
			t.Logf("frame %d: Y PSNR %.2f dB clean, %.2f dB after losing frame %d", i, pc, pl, lost)
		}
	}
	t.Logf("frames %d..%d: worst Y PSNR %.2f dB clean, %.2f dB after the loss (no error, no corrupted flag)",
		lost+1, len(frames)-1, worstClean, worstLossy)
}

func TestEncodeRejectsWrongImages(t *testing.T) {
	enc := newEncoder(t, 64, 48, 15, 300)
	for name, img := range map[string]*image.YCbCr{
		"nil":       nil,
		"too small": image.NewYCbCr(image.Rect(0, 0, 32, 48), image.YCbCrSubsampleRatio420),
		"too large": image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420),
		"4:4:4":     image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio444),
		"4:2:2":     image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio422),
		"short planes": {Y: make([]byte, 10), Cb: make([]byte, 10), Cr: make([]byte, 10),
			YStride: 64, CStride: 32, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 64, 48)},
	} {
		if _, err := enc.Encode(img, false); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	// Still usable, including from a sub-image with an odd origin.
	big := image.NewYCbCr(image.Rect(0, 0, 65, 49), image.YCbCrSubsampleRatio420)
	sub := big.SubImage(image.Rect(1, 1, 65, 49)).(*image.YCbCr)
	if out, err := enc.Encode(sub, false); err != nil || len(out) != 1 {
		t.Fatalf("encode sub-image: %d frames, %v", len(out), err)
	}
	for _, args := range [][4]int{{0, 48, 15, 300}, {64, -1, 15, 300}, {64, 48, 0, 300}, {64, 48, 15, 0}, {20000, 48, 15, 300}} {
		if e, err := NewEncoder(args[0], args[1], args[2], args[3]); err == nil {
			e.Close()
			t.Errorf("NewEncoder%v: no error", args)
		}
	}
}

// TestOddSize checks stride and chroma rounding for odd dimensions.
func TestOddSize(t *testing.T) {
	const w, h = 33, 17
	src := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			src.Y[src.YOffset(x, y)] = uint8(40 + 4*x + 3*y)
		}
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = 100, 160
	}
	enc := newEncoder(t, w, h, 15, 500)
	frames := encodeAll(t, enc, []*image.YCbCr{src, src, src})
	dec := newDecoder(t)
	for i, f := range frames {
		pic := decodePic(t, dec, f, i)
		if pic.Rect != src.Rect || len(pic.Cb) != 17*9 {
			t.Fatalf("frame %d: %v with %d chroma samples", i, pic.Rect, len(pic.Cb))
		}
		if p := psnrY(src, pic); p <= 30 {
			t.Errorf("frame %d: Y PSNR %.2f dB", i, p)
		}
	}
}

// TestResolutionChange: browsers start small and step up, sending a key
// frame of the new size; one decoder follows.
func TestResolutionChange(t *testing.T) {
	small := image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420)
	for i := range small.Y {
		small.Y[i] = uint8(i)
	}
	for i := range small.Cb {
		small.Cb[i], small.Cr[i] = 128, 128
	}
	s := encodeAll(t, newEncoder(t, 320, 180, 30, 300), []*image.YCbCr{small, small, small})
	l := encodeAll(t, newEncoder(t, 640, 480, 30, 1000), clip420(t, 3))
	dec := newDecoder(t)
	for i, f := range append(s, l...) {
		want := image.Rect(0, 0, 320, 180)
		if i >= len(s) {
			want = image.Rect(0, 0, 640, 480)
		}
		if pic := decodePic(t, dec, f, i); pic.Rect != want {
			t.Errorf("frame %d: %v, want %v", i, pic.Rect, want)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	dec.Close()
	dec.Close()
	if _, err := dec.Decode([]byte{1, 2, 3}); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
	enc, err := NewEncoder(64, 48, 15, 300)
	if err != nil {
		t.Fatal(err)
	}
	enc.Close()
	enc.Close()
	if _, err := enc.Encode(image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420), false); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
}

func TestIsKeyFrame(t *testing.T) {
	for _, b := range [][]byte{nil, {0}, {1, 0, 0, 0x9d, 1, 0x2a, 0, 0, 0, 0}, {0, 0, 0, 0x9d, 1, 0x2b, 0, 0, 0, 0}} {
		if IsKeyFrame(b) {
			t.Errorf("IsKeyFrame(%x) = true", b)
		}
	}
	if !IsKeyFrame([]byte{0x50, 0x42, 0, 0x9d, 1, 0x2a, 0x80, 2, 0xe0, 1}) {
		t.Error("IsKeyFrame of a key frame header = false")
	}
}

func TestFromImage(t *testing.T) {
	red := color.NRGBA{255, 0, 0, 255}
	gray := color.NRGBA{128, 128, 128, 255}
	blue := color.NRGBA{0, 0, 255, 255}
	// 5x3: the last column and row are cropped. Each 2x2 block is one colour.
	n := image.NewNRGBA(image.Rect(10, 20, 15, 23))
	fill := func(x0, y0 int, c color.NRGBA) {
		for y := y0; y < y0+2; y++ {
			for x := x0; x < x0+2; x++ {
				n.SetNRGBA(10+x, 20+y, c)
			}
		}
	}
	fill(0, 0, red)
	fill(2, 0, gray)
	n.SetNRGBA(14, 20, blue) // cropped column
	n.SetNRGBA(10, 22, blue) // cropped row
	out := FromImage(n)
	if out.Rect != image.Rect(0, 0, 4, 2) || out.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("got %v %v, want (0,0)-(4,2) 4:2:0", out.Rect, out.SubsampleRatio)
	}
	// BT.601 full range, as image/color: red is (76, 85, 255), gray 128 is (128, 128, 128).
	check := func(name string, img *image.YCbCr, x, y int, want color.YCbCr) {
		t.Helper()
		got := img.YCbCrAt(x, y)
		if got != want {
			t.Errorf("%s at (%d,%d): got %v, want %v", name, x, y, got, want)
		}
	}
	check("NRGBA red", out, 0, 0, color.YCbCr{76, 85, 255})
	check("NRGBA red", out, 1, 1, color.YCbCr{76, 85, 255})
	check("NRGBA gray", out, 2, 0, color.YCbCr{128, 128, 128})
	check("NRGBA gray", out, 3, 1, color.YCbCr{128, 128, 128})
	if y, cb, cr := color.RGBToYCbCr(255, 0, 0); (color.YCbCr{y, cb, cr}) != (color.YCbCr{76, 85, 255}) {
		t.Errorf("image/color red is %d,%d,%d", y, cb, cr)
	}

	// Half-transparent white over black is mid gray, as color.YCbCrModel says.
	tr := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for i := 0; i < 4; i++ {
		tr.SetNRGBA(i%2, i/2, color.NRGBA{255, 255, 255, 128})
	}
	want := color.YCbCrModel.Convert(color.NRGBA{255, 255, 255, 128}).(color.YCbCr)
	check("NRGBA translucent", FromImage(tr), 0, 0, want)

	// 4:4:4 with distinct chroma in a 2x2 block averages it.
	y444 := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio444)
	set := func(x, y int, c color.YCbCr) {
		y444.Y[y444.YOffset(x, y)] = c.Y
		y444.Cb[y444.COffset(x, y)] = c.Cb
		y444.Cr[y444.COffset(x, y)] = c.Cr
	}
	for i := 0; i < 4; i++ {
		set(i%2, i/2, color.YCbCr{76, 85, 255}) // red
	}
	set(2, 0, color.YCbCr{255, 128, 128}) // white
	set(3, 0, color.YCbCr{255, 128, 128})
	set(2, 1, color.YCbCr{29, 255, 107}) // blue
	set(3, 1, color.YCbCr{29, 255, 107})
	o444 := FromImage(y444)
	check("444 red", o444, 1, 0, color.YCbCr{76, 85, 255})
	check("444 white", o444, 2, 0, color.YCbCr{255, 192, 118}) // chroma of white+blue
	check("444 blue", o444, 3, 1, color.YCbCr{29, 192, 118})
	if y, cb, cr := color.RGBToYCbCr(blue.R, blue.G, blue.B); y != 29 || cb != 255 || cr != 107 {
		t.Errorf("image/color blue is %d,%d,%d", y, cb, cr)
	}

	// 4:2:2 and a 4:2:0 sub-image with an odd origin.
	y422 := image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio422)
	copy(y422.Y, []byte{10, 20, 30, 40})
	copy(y422.Cb, []byte{100, 110})
	copy(y422.Cr, []byte{200, 210})
	o422 := FromImage(y422)
	if !bytes.Equal(o422.Y, []byte{10, 20, 30, 40}) || o422.Cb[0] != 105 || o422.Cr[0] != 205 {
		t.Errorf("4:2:2: Y %v Cb %v Cr %v", o422.Y, o422.Cb, o422.Cr)
	}

	// Gray images and a real JPEG (4:2:0 or 4:2:2 from image/jpeg) against
	// color.YCbCrModel on a few pixels.
	g := image.NewGray(image.Rect(0, 0, 3, 3))
	for i := range g.Pix {
		g.Pix[i] = 128
	}
	check("gray", FromImage(g), 1, 1, color.YCbCr{128, 128, 128})

	frames := clip(t, 1)
	src := frames[0]
	conv := FromImage(src)
	t.Logf("clip JPEG decodes as %T %v", src, subsample(src))
	for _, p := range []image.Point{{0, 0}, {320, 240}, {639, 479}, {100, 300}} {
		wantY := color.YCbCrModel.Convert(src.At(p.X, p.Y)).(color.YCbCr).Y
		if got := conv.YCbCrAt(p.X, p.Y).Y; got != wantY {
			t.Errorf("clip Y at %v: got %d, want %d", p, got, wantY)
		}
	}
}

func subsample(img image.Image) string {
	if y, ok := img.(*image.YCbCr); ok {
		return y.SubsampleRatio.String()
	}
	return "-"
}

// benchStream encodes the first n clip frames scaled to w x h once.
func benchStream(b *testing.B, w, h, n, kbps int) ([]*image.YCbCr, [][]byte) {
	b.Helper()
	var pics []*image.YCbCr
	for _, img := range clip(b, n) {
		if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
			img = imaging.Fill(img, w, h, imaging.Center, imaging.Linear)
		}
		pics = append(pics, FromImage(img))
	}
	enc := newEncoder(b, w, h, 30, kbps)
	return pics, encodeAll(b, enc, pics)
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct{ w, h, kbps int }{{640, 480, 1500}, {1280, 720, 2500}} {
		b.Run(fmt.Sprintf("%dx%d", c.w, c.h), func(b *testing.B) {
			_, frames := benchStream(b, c.w, c.h, 60, c.kbps)
			total := 0
			for _, f := range frames {
				total += len(f)
			}
			dec, err := NewDecoder()
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % len(frames)
				if k == 0 && i > 0 {
					dec.Close()
					if dec, err = NewDecoder(); err != nil {
						b.Fatal(err)
					}
				}
				if pic, err := dec.Decode(frames[k]); err != nil || pic == nil {
					b.Fatalf("frame %d: %v", k, err)
				}
			}
			b.StopTimer()
			dec.Close()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
			b.ReportMetric(float64(total)*8*30/float64(len(frames))/1000, "stream-kbps")
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	b.Run("640x480", func(b *testing.B) {
		pics, _ := benchStream(b, 640, 480, 60, 1500)
		enc := newEncoder(b, 640, 480, 30, 1500)
		bytes := 0
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			out, err := enc.Encode(pics[i%len(pics)], false)
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range out {
				bytes += len(f)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
		b.ReportMetric(float64(bytes)*8*30/float64(b.N)/1000, "stream-kbps")
	})
}
