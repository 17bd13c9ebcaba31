// Package vpx is a small cgo wrapper around libvpx's VP8 decoder and encoder.
//
// It owns the libvpx codec contexts and the C buffers that go with them
// (the decoder's input copy, the encoder's raw picture), and frees them in
// Close. Data crosses the C boundary only by copy: compressed frames are
// copied into C memory before decoding, decoded planes and encoded packets
// are copied into Go memory before a call returns, so C never keeps a Go
// pointer and nothing returned refers to C memory. It also converts any
// image to the 4:2:0 layout VP8 codes (FromImage).
//
// The server uses a Decoder per WebRTC video track (one complete VP8 frame at
// a time, as pion's samplebuilder yields them); tests and the test client
// use an Encoder to send clip frames.
//
// VP8 carries no colour-range signal. Browsers encode BT.601 limited range
// (Y in 16..235), while image/color reads YCbCr as full range, so pictures
// decoded from a browser look slightly flat through image.YCbCr.At; frames
// from Encoder (fed by FromImage) round-trip in full range.
package vpx

/*
// Plain -lvpx (Debian libvpx-dev puts it on the default paths): no
// pkg-config needed on a fresh machine.
#cgo LDFLAGS: -lvpx
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8dx.h>
#include <vpx/vp8cx.h>

// Decoder state, all in C memory.
typedef struct {
	vpx_codec_ctx_t ctx;
	uint8_t *buf; // copy of the frame being decoded
	size_t cap;
} vpxw_dec;

// vpxw_dec_new returns NULL only when out of memory. On any other failure it
// returns the state with *err set; the caller reads the error strings from
// ctx and then calls vpxw_dec_free.
static vpxw_dec *vpxw_dec_new(vpx_codec_err_t *err) {
	vpxw_dec *d = calloc(1, sizeof *d);
	if (d == NULL) {
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	vpx_codec_dec_cfg_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.threads = 1;
	*err = vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0);
	return d;
}

static void vpxw_dec_free(vpxw_dec *d) {
	if (d == NULL) return;
	vpx_codec_destroy(&d->ctx); // harmless after a failed init
	free(d->buf);
	free(d);
}

// vpxw_dec_decode copies data into C memory, so libvpx never sees (or keeps)
// a Go pointer, decodes it, and returns the last picture it shows (or NULL)
// with VP8D_GET_FRAME_CORRUPTED: whether that picture was decoded from
// damaged data or predicted from a damaged reference.
static vpx_codec_err_t vpxw_dec_decode(vpxw_dec *d, const uint8_t *data, size_t n, vpx_image_t **img, int *corrupted) {
	*img = NULL;
	*corrupted = 0;
	if (n > d->cap) {
		uint8_t *b = realloc(d->buf, n);
		if (b == NULL) return VPX_CODEC_MEM_ERROR;
		d->buf = b;
		d->cap = n;
	}
	memcpy(d->buf, data, n);
	vpx_codec_err_t err = vpx_codec_decode(&d->ctx, d->buf, (unsigned int)n, NULL, 0);
	if (err != VPX_CODEC_OK) return err;
	vpx_codec_iter_t iter = NULL;
	vpx_image_t *p;
	while ((p = vpx_codec_get_frame(&d->ctx, &iter)) != NULL) *img = p;
	if (*img != NULL) return vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, corrupted);
	return VPX_CODEC_OK;
}

// Encoder state, all in C memory.
typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_image_t *img; // raw picture handed to vpx_codec_encode
} vpxw_enc;

static vpxw_enc *vpxw_enc_new(unsigned int w, unsigned int h, int fps, unsigned int kbps, int cpu_used, vpx_codec_err_t *err) {
	vpxw_enc *e = calloc(1, sizeof *e);
	if (e == NULL) {
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	vpx_codec_enc_cfg_t cfg;
	*err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0);
	if (*err != VPX_CODEC_OK) return e;
	cfg.g_w = w;
	cfg.g_h = h;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = fps;
	cfg.g_threads = 1;
	cfg.g_pass = VPX_RC_ONE_PASS;
	cfg.g_lag_in_frames = 0;
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_target_bitrate = kbps;
	cfg.rc_dropframe_thresh = 0; // one packet per picture
	cfg.rc_resize_allowed = 0;
	// Rate control as WebRTC's libvpx VP8 wrapper sets it.
	cfg.rc_min_quantizer = 2;
	cfg.rc_max_quantizer = 56;
	cfg.rc_undershoot_pct = 100;
	cfg.rc_overshoot_pct = 15;
	cfg.rc_buf_initial_sz = 500;
	cfg.rc_buf_optimal_sz = 600;
	cfg.rc_buf_sz = 1000;
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_min_dist = 0;
	cfg.kf_max_dist = 2 * fps;
	*err = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &cfg, 0);
	if (*err != VPX_CODEC_OK) return e;
	*err = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, cpu_used);
	if (*err != VPX_CODEC_OK) return e;
	e->img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, w, h, 1);
	if (e->img == NULL) *err = VPX_CODEC_MEM_ERROR;
	return e;
}

static void vpxw_enc_free(vpxw_enc *e) {
	if (e == NULL) return;
	vpx_codec_destroy(&e->ctx); // harmless after a failed init
	if (e->img != NULL) vpx_img_free(e->img);
	free(e);
}

static vpx_codec_err_t vpxw_enc_encode(vpxw_enc *e, int64_t pts, int force_kf) {
	return vpx_codec_encode(&e->ctx, e->img, pts, 1, force_kf ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
}

// vpxw_enc_next returns 1 and the next compressed frame's buffer (owned by
// libvpx, valid until the next encode), or 0 when there is none left.
static int vpxw_enc_next(vpxw_enc *e, vpx_codec_iter_t *iter, const void **buf, size_t *sz) {
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, iter)) != NULL) {
		if (pkt->kind == VPX_CODEC_CX_FRAME_PKT) {
			*buf = pkt->data.frame.buf;
			*sz = pkt->data.frame.sz;
			return 1;
		}
	}
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"unsafe"
)

// cpuUsed is VP8E_SET_CPUUSED for the encoder: 8 is near libvpx's fastest
// real-time setting, enough for tests on a small machine.
const cpuUsed = 8

// maxFrameBytes bounds one compressed frame (vpx_codec_decode takes an
// unsigned int size; real frames are far smaller).
const maxFrameBytes = 64 << 20

// CodeCorruptFrame is Error.Code for corrupt data or a damaged picture
// (libvpx's VPX_CODEC_CORRUPT_FRAME).
const CodeCorruptFrame = 7

// Compile-time check that CodeCorruptFrame matches libvpx's header.
var (
	_ [CodeCorruptFrame - C.VPX_CODEC_CORRUPT_FRAME]struct{}
	_ [C.VPX_CODEC_CORRUPT_FRAME - CodeCorruptFrame]struct{}
)

// ErrClosed is returned by Decode and Encode after Close.
var ErrClosed = errors.New("vpx: use after Close")

// Error is a failure reported by libvpx.
type Error struct {
	Op     string // what was being done: "decoder init", "decode", "encode", ...
	Code   int    // libvpx's vpx_codec_err_t, e.g. CodeCorruptFrame
	Msg    string // vpx_codec_error: the string for Code
	Detail string // vpx_codec_error_detail; may be empty
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("vpx: %s: %s: %s", e.Op, e.Msg, e.Detail)
	}
	return fmt.Sprintf("vpx: %s: %s", e.Op, e.Msg)
}

// codecError builds an Error from the context's last error.
func codecError(op string, ctx *C.vpx_codec_ctx_t, code C.vpx_codec_err_t) *Error {
	e := &Error{Op: op, Code: int(code), Msg: C.GoString(C.vpx_codec_err_to_string(code))}
	if ctx != nil && ctx.err == code {
		e.Msg = C.GoString(C.vpx_codec_error(ctx))
		if d := C.vpx_codec_error_detail(ctx); d != nil {
			e.Detail = C.GoString(d)
		}
	}
	return e
}

// IsKeyFrame reports whether frame is a VP8 key frame (bit 0 of the frame
// tag is 0 for key frames, RFC 6386 section 9.1).
func IsKeyFrame(frame []byte) bool {
	return len(frame) >= 10 && frame[0]&1 == 0 &&
		frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a
}

// Decoder decodes a VP8 stream frame by frame. Not safe for concurrent use
// (one per track).
type Decoder struct {
	c       *C.vpxw_dec
	cleanup runtime.Cleanup
}

// NewDecoder returns a single-threaded VP8 decoder. Close it when done.
func NewDecoder() (*Decoder, error) {
	var code C.vpx_codec_err_t
	c := C.vpxw_dec_new(&code)
	if c == nil {
		return nil, codecError("decoder init", nil, code)
	}
	if code != C.VPX_CODEC_OK {
		err := codecError("decoder init", &c.ctx, code)
		C.vpxw_dec_free(c)
		return nil, err
	}
	d := &Decoder{c: c}
	d.cleanup = runtime.AddCleanup(d, func(c *C.vpxw_dec) { C.vpxw_dec_free(c) }, c)
	return d, nil
}

// Decode decodes one complete VP8 frame (as from pion's samplebuilder) and
// returns a copy of the picture it shows: 4:2:0, Rect (0,0,width,height).
// It returns (nil, nil) when libvpx produced no picture (a hidden frame).
//
// An error (a *Error, or ErrClosed) means the frame could not be decoded
// (e.g. an inter frame before any key frame, a bad header) or its picture is
// damaged: libvpx decodes a truncated inter frame without error but flags
// the picture (VP8D_GET_FRAME_CORRUPTED), and the flag sticks to every
// picture predicted from it until the next key frame. Decode reports such
// pictures as errors with Code CodeCorruptFrame instead of returning them.
// (Scrambled bits in a frame of the right length may go unnoticed: VP8 has
// no checksum; SRTP authentication guards the wire.) On any error the caller should request a key frame (PLI)
// and keep feeding frames; the decoder recovers at the next key frame.
//
// libvpx cannot tell that a whole frame is missing (VP8 frames carry no
// sequence number): the next inter frame decodes without error or flag into
// a picture predicted from the wrong reference. Detect gaps upstream (RTP
// sequence numbers, samplebuilder's dropped packets) and request a key frame
// then.
func (d *Decoder) Decode(frame []byte) (*image.YCbCr, error) {
	if d.c == nil {
		return nil, ErrClosed
	}
	if len(frame) == 0 {
		return nil, &Error{Op: "decode", Code: int(C.VPX_CODEC_INVALID_PARAM), Msg: "empty frame"}
	}
	if len(frame) > maxFrameBytes {
		return nil, &Error{Op: "decode", Code: int(C.VPX_CODEC_INVALID_PARAM),
			Msg: fmt.Sprintf("frame of %d bytes is larger than %d", len(frame), maxFrameBytes)}
	}
	defer runtime.KeepAlive(d)
	var (
		img       *C.vpx_image_t
		corrupted C.int
	)
	code := C.vpxw_dec_decode(d.c, (*C.uint8_t)(unsafe.Pointer(&frame[0])), C.size_t(len(frame)), &img, &corrupted)
	if code != C.VPX_CODEC_OK {
		return nil, codecError("decode", &d.c.ctx, code)
	}
	if img == nil {
		return nil, nil
	}
	if corrupted != 0 {
		return nil, &Error{Op: "decode", Code: CodeCorruptFrame,
			Msg:    C.GoString(C.vpx_codec_err_to_string(C.VPX_CODEC_CORRUPT_FRAME)),
			Detail: "picture decoded from damaged data or a damaged reference (VP8D_GET_FRAME_CORRUPTED); waiting for a key frame"}
	}
	return copyImage(img)
}

// copyImage copies a decoded I420 picture into Go memory.
func copyImage(img *C.vpx_image_t) (*image.YCbCr, error) {
	if img.fmt != C.VPX_IMG_FMT_I420 || img.x_chroma_shift != 1 || img.y_chroma_shift != 1 {
		return nil, &Error{Op: "decode", Code: int(C.VPX_CODEC_UNSUP_FEATURE),
			Msg: fmt.Sprintf("unexpected picture format %d (want I420)", int(img.fmt))}
	}
	w, h := int(img.d_w), int(img.d_h)
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	if w == 0 || h == 0 {
		return out, nil
	}
	cw, ch := (w+1)/2, (h+1)/2
	copyPlane(out.Y, out.YStride, img.planes[0], int(img.stride[0]), w, h)
	copyPlane(out.Cb, out.CStride, img.planes[1], int(img.stride[1]), cw, ch)
	copyPlane(out.Cr, out.CStride, img.planes[2], int(img.stride[2]), cw, ch)
	return out, nil
}

// copyPlane copies a w x h plane from C memory (stride sstride) to dst.
func copyPlane(dst []byte, dstride int, src *C.uchar, sstride, w, h int) {
	s := unsafe.Slice((*byte)(unsafe.Pointer(src)), (h-1)*sstride+w)
	for y := 0; y < h; y++ {
		copy(dst[y*dstride:y*dstride+w], s[y*sstride:y*sstride+w])
	}
}

// Close frees the decoder. It is idempotent.
func (d *Decoder) Close() {
	if d.c == nil {
		return
	}
	d.cleanup.Stop()
	C.vpxw_dec_free(d.c)
	d.c = nil
}

// Encoder encodes VP8 for real-time streaming (for tests and the test
// client): one pass CBR, no look-ahead, error resilient, a key frame at
// least every 2 s, single-threaded. Not safe for concurrent use.
type Encoder struct {
	c       *C.vpxw_enc
	w, h    int
	pts     int64
	cleanup runtime.Cleanup
}

// NewEncoder returns a VP8 encoder for width x height pictures at fps frames
// per second and a target of bitrateKbps. Close it when done.
func NewEncoder(width, height, fps, bitrateKbps int) (*Encoder, error) {
	if width <= 0 || height <= 0 || width > 16383 || height > 16383 {
		return nil, fmt.Errorf("vpx: encoder size %dx%d out of range 1..16383", width, height)
	}
	if fps <= 0 || fps > 1000 {
		return nil, fmt.Errorf("vpx: encoder frame rate %d out of range 1..1000", fps)
	}
	if bitrateKbps <= 0 || bitrateKbps > 1<<20 {
		return nil, fmt.Errorf("vpx: encoder bitrate %d kbps out of range", bitrateKbps)
	}
	var code C.vpx_codec_err_t
	c := C.vpxw_enc_new(C.uint(width), C.uint(height), C.int(fps), C.uint(bitrateKbps), cpuUsed, &code)
	if c == nil {
		return nil, codecError("encoder init", nil, code)
	}
	if code != C.VPX_CODEC_OK {
		err := codecError("encoder init", &c.ctx, code)
		C.vpxw_enc_free(c)
		return nil, err
	}
	e := &Encoder{c: c, w: width, h: height}
	e.cleanup = runtime.AddCleanup(e, func(c *C.vpxw_enc) { C.vpxw_enc_free(c) }, c)
	return e, nil
}

// Encode compresses one picture, a key frame when forceKeyFrame is set, and
// returns copies of the compressed frames libvpx produced (with these
// settings exactly one). img must be 4:2:0 and of the encoder's size; see
// FromImage.
func (e *Encoder) Encode(img *image.YCbCr, forceKeyFrame bool) ([][]byte, error) {
	if e.c == nil {
		return nil, ErrClosed
	}
	if img == nil {
		return nil, errors.New("vpx: encode: nil image")
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, fmt.Errorf("vpx: encode: image is %v, want 4:2:0 (use FromImage)", img.SubsampleRatio)
	}
	r := img.Rect
	if r.Dx() != e.w || r.Dy() != e.h {
		return nil, fmt.Errorf("vpx: encode: image is %dx%d, encoder is %dx%d", r.Dx(), r.Dy(), e.w, e.h)
	}
	cw, ch := (e.w+1)/2, (e.h+1)/2
	yOff := img.YOffset(r.Min.X, r.Min.Y)
	cOff := img.COffset(r.Min.X, r.Min.Y)
	if yOff < 0 || cOff < 0 || img.YStride < e.w || img.CStride < cw ||
		len(img.Y) < yOff+(e.h-1)*img.YStride+e.w ||
		len(img.Cb) < cOff+(ch-1)*img.CStride+cw || len(img.Cr) < cOff+(ch-1)*img.CStride+cw {
		return nil, errors.New("vpx: encode: image planes are shorter than its Rect and strides need")
	}
	defer runtime.KeepAlive(e)
	raw := e.c.img
	fillPlane(raw.planes[0], int(raw.stride[0]), img.Y[yOff:], img.YStride, e.w, e.h)
	fillPlane(raw.planes[1], int(raw.stride[1]), img.Cb[cOff:], img.CStride, cw, ch)
	fillPlane(raw.planes[2], int(raw.stride[2]), img.Cr[cOff:], img.CStride, cw, ch)

	force := C.int(0)
	if forceKeyFrame {
		force = 1
	}
	code := C.vpxw_enc_encode(e.c, C.int64_t(e.pts), force)
	if code != C.VPX_CODEC_OK {
		return nil, codecError("encode", &e.c.ctx, code)
	}
	e.pts++
	var (
		frames [][]byte
		iter   C.vpx_codec_iter_t
		buf    unsafe.Pointer
		sz     C.size_t
	)
	for C.vpxw_enc_next(e.c, &iter, &buf, &sz) != 0 {
		frames = append(frames, C.GoBytes(buf, C.int(sz)))
	}
	return frames, nil
}

// fillPlane copies a w x h plane from Go memory into C memory.
func fillPlane(dst *C.uchar, dstride int, src []byte, sstride, w, h int) {
	d := unsafe.Slice((*byte)(unsafe.Pointer(dst)), (h-1)*dstride+w)
	for y := 0; y < h; y++ {
		copy(d[y*dstride:y*dstride+w], src[y*sstride:y*sstride+w])
	}
}

// Close frees the encoder. It is idempotent.
func (e *Encoder) Close() {
	if e.c == nil {
		return
	}
	e.cleanup.Stop()
	C.vpxw_enc_free(e.c)
	e.c = nil
}
