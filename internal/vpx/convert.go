package vpx

import (
	"image"
	"image/color"
)

// FromImage converts img to a new 4:2:0 *image.YCbCr with Rect at the origin,
// for Encode. Odd widths and heights lose their last column or row (4:2:0
// pictures here have even sizes). Colours convert as image/color.RGBToYCbCr
// does (BT.601, full range); each chroma sample is the rounded mean of its
// 2x2 block. Transparent pixels count as composited over black, as
// color.YCbCrModel treats them.
func FromImage(img image.Image) *image.YCbCr {
	b := img.Bounds()
	w, h := b.Dx()&^1, b.Dy()&^1
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	if w == 0 || h == 0 {
		return out
	}
	switch src := img.(type) {
	case *image.YCbCr:
		fromYCbCr(out, src)
	case *image.Gray:
		fromGray(out, src)
	default:
		fromRGB(out, img)
	}
	return out
}

// fromYCbCr copies luma and averages chroma over each 2x2 block, which is
// exact for every subsample ratio (replicated samples average to themselves).
func fromYCbCr(out, src *image.YCbCr) {
	w, h := out.Rect.Dx(), out.Rect.Dy()
	x0, y0 := src.Rect.Min.X, src.Rect.Min.Y
	for y := 0; y < h; y++ {
		so := src.YOffset(x0, y0+y)
		copy(out.Y[y*out.YStride:y*out.YStride+w], src.Y[so:so+w])
	}
	if src.SubsampleRatio == image.YCbCrSubsampleRatio420 && x0%2 == 0 && y0%2 == 0 {
		for cy := 0; cy < h/2; cy++ {
			so := src.COffset(x0, y0+2*cy)
			do := cy * out.CStride
			copy(out.Cb[do:do+w/2], src.Cb[so:so+w/2])
			copy(out.Cr[do:do+w/2], src.Cr[so:so+w/2])
		}
		return
	}
	for cy := 0; cy < h/2; cy++ {
		for cx := 0; cx < w/2; cx++ {
			x, y := x0+2*cx, y0+2*cy
			o00, o10 := src.COffset(x, y), src.COffset(x+1, y)
			o01, o11 := src.COffset(x, y+1), src.COffset(x+1, y+1)
			cb := int(src.Cb[o00]) + int(src.Cb[o10]) + int(src.Cb[o01]) + int(src.Cb[o11])
			cr := int(src.Cr[o00]) + int(src.Cr[o10]) + int(src.Cr[o01]) + int(src.Cr[o11])
			do := cy*out.CStride + cx
			out.Cb[do] = uint8((cb + 2) / 4)
			out.Cr[do] = uint8((cr + 2) / 4)
		}
	}
}

func fromGray(out *image.YCbCr, src *image.Gray) {
	w, h := out.Rect.Dx(), out.Rect.Dy()
	for y := 0; y < h; y++ {
		so := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y)
		copy(out.Y[y*out.YStride:y*out.YStride+w], src.Pix[so:so+w])
	}
	for i := range out.Cb {
		out.Cb[i] = 128
		out.Cr[i] = 128
	}
}

// fromRGB converts any other image, with fast paths for *image.RGBA and
// *image.NRGBA.
func fromRGB(out *image.YCbCr, img image.Image) {
	w, h := out.Rect.Dx(), out.Rect.Dy()
	o := img.Bounds().Min
	rgb := rgbAt(img)
	for cy := 0; cy < h/2; cy++ {
		for cx := 0; cx < w/2; cx++ {
			var cb, cr int
			for dy := 0; dy < 2; dy++ {
				for dx := 0; dx < 2; dx++ {
					x, y := 2*cx+dx, 2*cy+dy
					r, g, b := rgb(o.X+x, o.Y+y)
					yy, u, v := color.RGBToYCbCr(r, g, b)
					out.Y[y*out.YStride+x] = yy
					cb += int(u)
					cr += int(v)
				}
			}
			do := cy*out.CStride + cx
			out.Cb[do] = uint8((cb + 2) / 4)
			out.Cr[do] = uint8((cr + 2) / 4)
		}
	}
}

// rgbAt returns a function giving the 8-bit alpha-premultiplied colour at
// (x, y), the same values color.YCbCrModel would convert.
func rgbAt(img image.Image) func(x, y int) (r, g, b uint8) {
	switch src := img.(type) {
	case *image.RGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			p := src.Pix[src.PixOffset(x, y):]
			return p[0], p[1], p[2]
		}
	case *image.NRGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			p := src.Pix[src.PixOffset(x, y):]
			if p[3] == 0xff {
				return p[0], p[1], p[2]
			}
			r, g, b, _ := color.NRGBA{p[0], p[1], p[2], p[3]}.RGBA()
			return uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)
		}
	default:
		return func(x, y int) (uint8, uint8, uint8) {
			r, g, b, _ := img.At(x, y).RGBA()
			return uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)
		}
	}
}
