package main

import (
	"encoding/json"
	"image"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/livenessd/livenessd/internal/vpx"
	"github.com/livenessd/livenessd/protocol"
)

// The fake server's WebRTC side: it answers an offer as livenessd does
// (non-trickle, 201 with the SDP answer), decodes the VP8 track and numbers
// the decoded frames from 1, and hands rtcConverse the data channel once it
// opens.

// rtcFrame is one frame the fake decoded.
type rtcFrame struct {
	n    int // 1-based, in decoding order, as the server numbers frames
	key  bool
	size image.Point
}

// rtcPeer is the fake server's side of one session's peer connection.
type rtcPeer struct {
	f      *fakeServer
	id     string
	pc     *webrtc.PeerConnection
	dc     *webrtc.DataChannel // set before rtcConverse runs
	ssrc   atomic.Uint32
	frames chan rtcFrame // every decoded frame
	texts  chan []byte   // the client's data channel messages
	done   chan struct{} // closed when the peer connection is closed
}

// rtcPeers tracks the fake's peer connections and goroutines, so that a
// test ends with all of them.
type rtcPeers struct {
	mu    sync.Mutex
	peers []*rtcPeer
	wg    sync.WaitGroup
}

func (r *rtcPeers) add(p *rtcPeer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peers = append(r.peers, p)
}

func (r *rtcPeers) close() {
	r.mu.Lock()
	peers := r.peers
	r.mu.Unlock()
	for _, p := range peers {
		p.pc.GracefulClose()
	}
	r.wg.Wait() // the track readers and conversations, which the close ends
}

func (f *fakeServer) handleWebRTC(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch {
	case f.refuseRTC != 0:
		writeError(w, f.refuseRTC, "a connection is already live")
		return
	case r.Header.Get("Authorization") != "Bearer tok-"+id:
		writeError(w, http.StatusUnauthorized, "bad session token")
		return
	case r.Header.Get("Content-Type") != "application/sdp":
		writeError(w, http.StatusUnsupportedMediaType, "send the SDP offer as application/sdp")
		return
	}
	offer, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	pc, err := fakeRTCAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		f.t.Errorf("fake peer connection: %v", err)
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	p := &rtcPeer{f: f, id: id, pc: pc, frames: make(chan rtcFrame, 4096), texts: make(chan []byte, 64),
		done: make(chan struct{})}
	f.rtc.add(p)
	var closeOnce sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateClosed || s == webrtc.PeerConnectionStateFailed {
			closeOnce.Do(func() { close(p.done) })
		}
	})
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		f.rtc.wg.Add(1)
		defer f.rtc.wg.Done()
		p.receive(track)
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		if dc.Label() != rtcChannel {
			f.t.Errorf("data channel %q, want %q", dc.Label(), rtcChannel)
			return
		}
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			select {
			case p.texts <- m.Data:
			case <-p.done:
			}
		})
		dc.OnOpen(func() {
			p.dc = dc
			f.rtc.wg.Add(1)
			go func() {
				defer f.rtc.wg.Done()
				f.rtcConverse(p)
			}()
		})
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	<-gathered
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, pc.LocalDescription().SDP)
}

// fakeRTCAPI is a plain pion receiver: VP8, default interceptors, loopback
// candidates.
func fakeRTCAPI() *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}},
		PayloadType: 96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		panic(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		panic(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// receive decodes the track until the connection ends, numbering the
// decoded frames from 1.
func (p *rtcPeer) receive(track *webrtc.TrackRemote) {
	p.ssrc.Store(uint32(track.SSRC()))
	dec, err := vpx.NewDecoder()
	if err != nil {
		p.f.t.Errorf("decoder: %v", err)
		return
	}
	defer dec.Close()
	sb := samplebuilder.New(256, &codecs.VP8Packet{}, track.Codec().ClockRate)
	n := 0
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			img, err := dec.Decode(s.Data)
			if err != nil {
				p.f.t.Errorf("frame after %d: %v", n, err)
				continue
			}
			if img == nil {
				continue
			}
			n++
			select {
			case p.frames <- rtcFrame{n: n, key: vpx.IsKeyFrame(s.Data), size: img.Rect.Size()}:
			default:
			}
		}
	}
}

func (p *rtcPeer) send(msg any) error { return p.dc.SendText(string(protocol.Marshal(msg))) }

// frame returns the next decoded frame; ok is false when none came within
// two seconds or the connection ended.
func (p *rtcPeer) frame() (f rtcFrame, ok bool) {
	select {
	case f := <-p.frames:
		return f, true
	case <-p.done:
	case <-time.After(2 * time.Second):
		p.f.t.Error("no frame within 2 s")
	}
	return rtcFrame{}, false
}

// text returns the client's next data channel message and its type; ok is
// false when the connection ended first.
func (p *rtcPeer) text() (typ string, data []byte, ok bool) {
	select {
	case data := <-p.texts:
		var env protocol.Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			p.f.t.Errorf("client sent text that is not JSON: %q", data)
		}
		return env.Type, data, true
	case <-p.done:
		return "", nil, false
	}
}

// expectHello reads the first message, which must be the client's hello,
// and records it.
func (p *rtcPeer) expectHello() {
	typ, data, _ := p.text()
	var hello protocol.Hello
	if typ != protocol.TypeHello || json.Unmarshal(data, &hello) != nil {
		p.f.t.Errorf("first message: type %q; want a hello", typ)
	}
	p.f.mu.Lock()
	p.f.hellos = append(p.f.hellos, hello)
	p.f.mu.Unlock()
}

// pli asks the client for a key frame, as livenessd does after a loss.
func (p *rtcPeer) pli() error {
	return p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: p.ssrc.Load()}})
}

// finish sends the step's verdict and the result, lets them leave, and
// closes the peer connection as livenessd does after a result.
func (p *rtcPeer) finish(passed bool, frame int) {
	for _, msg := range finishMessages(p.id, passed, frame) {
		p.send(msg)
	}
	deadline := time.After(2 * time.Second)
	for p.dc.BufferedAmount() > 0 {
		select {
		case <-p.done: // the client closed first, having read the result
			return
		case <-deadline:
			p.f.t.Error("the result did not leave within 2 s")
			p.hangUp()
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	p.hangUp()
}

// hangUp closes the peer connection; the state change closes done.
func (p *rtcPeer) hangUp() { p.pc.Close() }
