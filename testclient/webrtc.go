package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/livenessd/livenessd/internal/cli"
	"github.com/livenessd/livenessd/internal/vp8rtp"
	"github.com/livenessd/livenessd/internal/vpx"
	"github.com/livenessd/livenessd/protocol"
)

const (
	// rtcChannel is the data channel's label the server expects.
	rtcChannel = "liveness"
	// gatherTimeout bounds ICE gathering; the offer then goes with the
	// candidates found, as the server does with its answer.
	gatherTimeout = 5 * time.Second
	// defaultBitrate is --bitrate: what a browser spends on 640x480.
	defaultBitrate = 1500
)

func runWebRTC(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webrtc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: testclient webrtc --server URL --token T --source FILE.mjpeg|DIR [flags]")
		fs.PrintDefaults()
	}
	var f sessionFlags
	f.register(fs)
	var o rtcOptions
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return cli.ParseFailure(err)
	}
	if fs.NArg() > 0 {
		return usageError(fs, stderr, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if err := o.check(); err != nil {
		return usageError(fs, stderr, err)
	}
	plan, err := f.plan(fs)
	if err != nil {
		return planFailure(fs, stderr, err)
	}
	plan.connect = o.connector(plan.fps)
	plan.observe = func(msg any) { fmt.Fprintln(stderr, describe(msg)) }
	ctx, interrupt, release := sessionContexts(f.request.timeout)
	defer release()
	return reportSession(runSession(ctx, interrupt, plan), stdout, stderr)
}

// rtcOptions are the flags of the WebRTC transport.
type rtcOptions struct {
	bitrate       int
	allowLoopback bool
}

func (o *rtcOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.bitrate, "bitrate", defaultBitrate, "VP8 target bitrate in kbit/s (WebRTC)")
	fs.BoolVar(&o.allowLoopback, "allow-loopback", true,
		"gather loopback ICE candidates, for a server on this machine (serve it with --webrtc-allow-loopback) (WebRTC)")
}

func (o *rtcOptions) check() error {
	if o.bitrate < 1 || o.bitrate > 1<<20 {
		return fmt.Errorf("--bitrate %d is not in [1, %d] kbit/s", o.bitrate, 1<<20)
	}
	return nil
}

// connector returns the plan's connect function for WebRTC at fps.
func (o rtcOptions) connector(fps float64) func(context.Context, *sessionCreated) (link, error) {
	return func(ctx context.Context, s *sessionCreated) (link, error) {
		return connectRTC(ctx, s, o, fps)
	}
}

// rtcLink is the session over WebRTC, as a browser runs it: the clip goes
// as a VP8 video track, encoded live (so a key frame can be sent whenever
// the server asks for one), and the protocol messages over the "liveness"
// data channel. There is no close code: the result is the end, and the
// server then closes the peer connection.
type rtcLink struct {
	pc       *webrtc.PeerConnection
	dc       *webrtc.DataChannel
	track    *webrtc.TrackLocalStaticSample
	fps      int
	bitrate  int
	interval time.Duration // each sample's duration

	keyFrame atomic.Bool   // the server asked for a key frame (PLI or FIR)
	msgs     chan []byte   // the data channel's text messages, in order
	ended    chan struct{} // closed when the data channel or connection ends
	endOnce  sync.Once
	endErr   error         // why it ended; written before ended is closed
	gone     chan struct{} // closed by abort: the callbacks stop delivering
	rtcp     sync.WaitGroup
	once     sync.Once

	// The encoder belongs to the frame writer; abort frees it under mu.
	mu      sync.Mutex
	enc     *vpx.Encoder // nil before the first frame
	encSize image.Point
	closed  bool
}

// errLinkClosed ends what is under way when the client ends the link.
var errLinkClosed = errors.New("the client closed the connection")

// connectRTC sets up the peer connection: a VP8 track and the data channel
// before the offer, the offer with all its candidates (no trickle) posted
// to the session's webrtc_url with the session token, the answer applied;
// it returns once the data channel is open, so that the first frame sent
// is the first the server receives (frames written before the connection
// is up are lost, which would shift the server's frame numbers).
func connectRTC(ctx context.Context, s *sessionCreated, o rtcOptions, fps float64) (_ link, err error) {
	if s.WebRTCURL == "" {
		return nil, errors.New("connect: the create-session response has no webrtc_url")
	}
	api, err := newRTCAPI(o.allowLoopback)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	var ice []webrtc.ICEServer
	for _, is := range s.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: is.URLs, Username: is.Username, Credential: is.Credential})
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: ice})
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	l := &rtcLink{
		pc:       pc,
		fps:      max(1, int(math.Round(fps))),
		bitrate:  o.bitrate,
		interval: time.Duration(float64(time.Second) / fps),
		msgs:     make(chan []byte, 64),
		ended:    make(chan struct{}),
		gone:     make(chan struct{}),
	}
	defer func() {
		if err != nil {
			l.abort()
			err = fmt.Errorf("connect: %w", err)
		}
	}()
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateFailed:
			l.end(errors.New("the WebRTC connection failed"))
		case webrtc.PeerConnectionStateClosed:
			l.end(errors.New("the WebRTC connection closed"))
		}
	})

	l.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "testclient")
	if err != nil {
		return nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(l.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, err
	}
	l.rtcp.Add(1)
	go l.readRTCP(tr.Sender())

	if l.dc, err = pc.CreateDataChannel(rtcChannel, nil); err != nil {
		return nil, err
	}
	opened := make(chan struct{})
	var openOnce sync.Once
	l.dc.OnOpen(func() { openOnce.Do(func() { close(opened) }) })
	l.dc.OnClose(func() { l.end(errors.New("the data channel closed")) })
	l.dc.OnMessage(func(m webrtc.DataChannelMessage) {
		if !m.IsString {
			l.end(errors.New("the server sent a binary message on the data channel"))
			return
		}
		select {
		case l.msgs <- m.Data:
		case <-l.gone:
		}
	})

	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err = pc.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	wait := time.NewTimer(gatherTimeout)
	defer wait.Stop()
	select {
	case <-gathered:
	case <-wait.C: // offer the candidates found so far
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	answer, err := postOffer(ctx, s, pc.LocalDescription().SDP)
	if err != nil {
		return nil, err
	}
	if err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return nil, fmt.Errorf("the server's answer: %w", err)
	}

	open := time.NewTimer(dialTimeout)
	defer open.Stop()
	select {
	case <-opened:
		return l, nil
	case <-l.ended:
		return nil, l.endErr
	case <-open.C:
		return nil, fmt.Errorf("the data channel did not open within %v", dialTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// newRTCAPI configures pion as the server does (internal/vp8rtp), so that a
// lost packet is resent rather than costing a frame.
func newRTCAPI(allowLoopback bool) (*webrtc.API, error) {
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(allowLoopback)
	// No mDNS: the server announces addresses, and a test client has no
	// name to hide.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return vp8rtp.API(se)
}

// postOffer sends the offer, WHIP-style, and returns the server's answer. A
// refusal is an *apiError carrying the server's JSON error body.
func postOffer(ctx context.Context, s *sessionCreated, offer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.WebRTCURL, strings.NewReader(offer))
	if err != nil {
		return "", fmt.Errorf("webrtc_url %q: %w", s.WebRTCURL, err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+s.SessionToken)
	resp, err := (&http.Client{Timeout: dialTimeout}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return "", fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", newAPIError(resp.StatusCode, body)
	}
	return string(body), nil
}

// readRTCP takes the server's RTCP until the sender stops, and turns a
// picture loss indication (or a full intra request) into a key frame next.
func (l *rtcLink) readRTCP(sender *webrtc.RTPSender) {
	defer l.rtcp.Done()
	buf := make([]byte, 1500)
	for {
		n, _, err := sender.Read(buf)
		if err != nil {
			return // the peer connection is closed
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				l.keyFrame.Store(true)
			}
		}
	}
}

// end records why the link ended; only the first reason counts.
func (l *rtcLink) end(err error) {
	l.endOnce.Do(func() {
		l.endErr = err
		close(l.ended)
	})
}

// sendFrame decodes the JPEG, encodes it as the next VP8 frame (a key frame
// when the server asked for one) and writes it to the track.
func (l *rtcLink) sendFrame(_ context.Context, frame []byte, onWire func()) error {
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		return fmt.Errorf("a clip frame: %w", err)
	}
	pic := vpx.FromImage(img)
	// The server stretches VP8 from limited range, as browsers send it;
	// FromImage keeps a JPEG's full range, so squeeze it as a browser would.
	vpx.LimitedRange(pic)
	data, err := l.encode(pic)
	if err != nil {
		return err
	}
	onWire()
	return l.track.WriteSample(media.Sample{Data: data, Duration: l.interval})
}

// encode compresses one picture. An encoder is made for the first picture
// and again if the clip changes size; its first frame is a key frame.
func (l *rtcLink) encode(pic *image.YCbCr) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errLinkClosed
	}
	if size := pic.Rect.Size(); l.enc == nil || size != l.encSize {
		if l.enc != nil {
			l.enc.Close()
			l.enc = nil
		}
		enc, err := vpx.NewEncoder(size.X, size.Y, l.fps, l.bitrate)
		if err != nil {
			return nil, err
		}
		l.enc, l.encSize = enc, size
	}
	frames, err := l.enc.Encode(pic, l.keyFrame.Swap(false))
	if err != nil {
		return nil, err
	}
	// The server numbers the frames it decodes: one frame per picture keeps
	// its numbers the client's.
	if len(frames) != 1 {
		return nil, fmt.Errorf("the VP8 encoder made %d frames of one picture", len(frames))
	}
	return frames[0], nil
}

func (l *rtcLink) sendJSON(_ context.Context, msg any) error {
	return l.dc.SendText(string(protocol.Marshal(msg)))
}

func (l *rtcLink) next(ctx context.Context) ([]byte, error) {
	select {
	case m := <-l.msgs:
		return m, nil
	default:
	}
	select {
	case m := <-l.msgs:
		return m, nil
	case <-l.ended:
		// The messages delivered before the end come first.
		select {
		case m := <-l.msgs:
			return m, nil
		default:
			return nil, l.endErr
		}
	case <-l.gone:
		return nil, errLinkClosed
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// finish closes the peer connection after the result; the server closes its
// side too.
func (l *rtcLink) finish() { l.abort() }

// abort closes the peer connection and waits for what it started, then
// frees the encoder.
func (l *rtcLink) abort() {
	l.once.Do(func() {
		close(l.gone)
		l.pc.GracefulClose() // the error would say only what failed to close
		l.rtcp.Wait()
		l.mu.Lock()
		defer l.mu.Unlock()
		l.closed = true
		if l.enc != nil {
			l.enc.Close()
			l.enc = nil
		}
	})
}

// closeStatus: WebRTC has no close code; a session without a result ended
// because the connection did.
func (l *rtcLink) closeStatus(err error) (int, string) { return -1, err.Error() }
