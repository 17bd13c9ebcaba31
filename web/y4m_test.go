package web

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"

	"github.com/livenessd/livenessd/mjpeg"
)

// writeY4M turns an .mjpeg clip into a YUV4MPEG2 (.y4m) file at fps, for
// Chromium's fake camera: an .mjpeg carries no frame rate and Chromium plays
// it at 30 fps, so a 15 fps clip would run twice as fast as it was filmed
// and every head turn would last half as long as the person held it.
func writeY4M(src, dst string, fps int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	r := mjpeg.NewReader(in)
	var header bool
	for {
		data, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.Close()
			return err
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			out.Close()
			return err
		}
		b := img.Bounds()
		wd, ht := b.Dx()&^1, b.Dy()&^1
		if !header {
			fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", wd, ht, fps)
			header = true
		}
		w.WriteString("FRAME\n")
		y, cb, cr := planes(img, wd, ht)
		w.Write(y)
		w.Write(cb)
		w.Write(cr)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// planes converts img to full-range 4:2:0 Y, Cb and Cr planes of wd x ht.
func planes(img image.Image, wd, ht int) (y, cb, cr []byte) {
	b := img.Bounds()
	y = make([]byte, wd*ht)
	cb, cr = make([]byte, wd*ht/4), make([]byte, wd*ht/4)
	for j := 0; j < ht; j++ {
		for i := 0; i < wd; i++ {
			r, g, bl, _ := img.At(b.Min.X+i, b.Min.Y+j).RGBA()
			yy, u, v := rgbToYCbCr(r>>8, g>>8, bl>>8)
			y[j*wd+i] = yy
			if i%2 == 0 && j%2 == 0 {
				k := (j/2)*(wd/2) + i/2
				cb[k], cr[k] = u, v
			}
		}
	}
	return y, cb, cr
}

func rgbToYCbCr(r, g, b uint32) (uint8, uint8, uint8) {
	clamp := func(v float64) uint8 { return uint8(min(255, max(0, v+0.5))) }
	fr, fg, fb := float64(r), float64(g), float64(b)
	return clamp(0.299*fr + 0.587*fg + 0.114*fb),
		clamp(128 - 0.168736*fr - 0.331264*fg + 0.5*fb),
		clamp(128 + 0.5*fr - 0.418688*fg - 0.081312*fb)
}
