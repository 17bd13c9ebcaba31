// Package rtc owns the WebRTC transport of liveness sessions: checking a
// browser's SDP offer, answering it with pion (non-trickle, WHIP-style),
// receiving the VP8 camera track (de-duplicated, depacketized, decoded with
// libvpx), handing the pictures to the session, and relaying the session's
// protocol messages over the "liveness" data channel. It knows nothing of
// HTTP.
package rtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/livenessd/livenessd/internal/vp8rtp"
	"github.com/livenessd/livenessd/session"
)

// Config is the networking of the WebRTC transport.
type Config struct {
	// UDPPort, when set, carries every peer connection over that one UDP
	// port (easy to open in a firewall); 0 uses an ephemeral port each.
	UDPPort int `yaml:"udp_port"`
	// PublicIPs are announced in place of the host's own addresses, for a
	// server behind 1:1 NAT (a cloud VM's public IP).
	PublicIPs []string `yaml:"public_ips"`
	// ICEServers are STUN/TURN servers, used by the server and handed to
	// clients when a session is created.
	ICEServers []ICEServer `yaml:"ice_servers"`
	// AllowLoopback gathers loopback candidates: only for a browser on the
	// same machine (tests). Browsers need --allow-loopback-in-peer-connection.
	AllowLoopback bool `yaml:"allow_loopback"`
}

// ICEServer is one STUN or TURN server, in the browser's RTCIceServer shape.
type ICEServer struct {
	URLs       []string `yaml:"urls" json:"urls"`
	Username   string   `yaml:"username" json:"username,omitempty"`
	Credential string   `yaml:"credential" json:"credential,omitempty"`
}

// Errors callers map to their own refusals.
var (
	// ErrBadOffer is an offer this transport cannot take; the message says why.
	ErrBadOffer = errors.New("unusable SDP offer")
	// ErrClosed means the receiver is shutting down.
	ErrClosed = errors.New("the WebRTC transport is shutting down")
)

// Channel is the data channel's label; the client creates it before its offer.
const Channel = "liveness"

// Receiver answers offers and runs the peer connections.
type Receiver struct {
	api  *webrtc.API
	cfg  Config
	log  *slog.Logger
	mux  ice.UDPMux // nil without UDPPort
	wg   sync.WaitGroup
	mu   sync.Mutex
	live map[*peer]struct{}
}

// New prepares the pion API (internal/vp8rtp: VP8 with RTX, NACK, RTCP
// reports, TWCC) with the networking of cfg.
func New(cfg Config, log *slog.Logger) (*Receiver, error) {
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(cfg.AllowLoopback)
	// A phone that vanishes (network lost, app killed) is declared failed
	// after about 8 s of silence (disconnected at 3 s, failed 5 s later)
	// instead of pion's 30 s, so its session ends while the user may still
	// retry. Keepalives every second keep a live path from looking silent.
	se.SetICETimeouts(3*time.Second, 5*time.Second, time.Second)
	if len(cfg.PublicIPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: cfg.PublicIPs, AsCandidateType: webrtc.ICECandidateTypeHost,
		}); err != nil {
			return nil, fmt.Errorf("rtc: public_ips: %w", err)
		}
	}
	r := &Receiver{cfg: cfg, log: log, live: map[*peer]struct{}{}}
	if cfg.UDPPort != 0 {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{Port: cfg.UDPPort})
		if err != nil {
			return nil, fmt.Errorf("rtc: udp_port: %w", err)
		}
		r.mux = webrtc.NewICEUDPMux(nil, conn)
		se.SetICEUDPMux(r.mux)
	}
	api, err := vp8rtp.API(se)
	if err != nil {
		if r.mux != nil {
			r.mux.Close()
		}
		return nil, fmt.Errorf("rtc: %w", err)
	}
	r.api = api
	return r, nil
}

// CheckOffer refuses, before any session is touched, an offer that is not
// SDP or lacks what a session needs: a VP8 video stream and a data channel.
func CheckOffer(offer string) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: not SDP: %v", ErrBadOffer, err)
	}
	var video, vp8, data bool
	// ICE credentials and the DTLS fingerprint may sit at session level or
	// in each media section; pion refuses the offer without them, but only
	// after the session's one connection would have been taken.
	has := map[string]bool{}
	for _, a := range sd.Attributes {
		has[a.Key] = true
	}
	for _, md := range sd.MediaDescriptions {
		for _, a := range md.Attributes {
			if a.Key == "ice-ufrag" || a.Key == "ice-pwd" || a.Key == "fingerprint" {
				has[a.Key] = true
			}
		}
		switch md.MediaName.Media {
		case "video":
			if md.MediaName.Port.Value == 0 {
				continue // a rejected or stopped stream
			}
			video = true
			for _, a := range md.Attributes {
				if a.Key == "rtpmap" && strings.Contains(strings.ToUpper(a.Value), "VP8/90000") {
					vp8 = true
				}
			}
		case "application":
			data = true
		}
	}
	switch {
	case !video:
		return fmt.Errorf("%w: no video stream: add the camera track before createOffer", ErrBadOffer)
	case !vp8:
		return fmt.Errorf("%w: the video stream does not offer VP8", ErrBadOffer)
	case !data:
		return fmt.Errorf("%w: no data channel: create the %q data channel before createOffer", ErrBadOffer, Channel)
	}
	for _, key := range []string{"ice-ufrag", "ice-pwd", "fingerprint"} {
		if !has[key] {
			return fmt.Errorf("%w: no a=%s line: send the offer exactly as createOffer made it", ErrBadOffer, key)
		}
	}
	return nil
}

// Answer connects an offer to a session's Conn and returns the answer, with
// every ICE candidate in it (the client need not trickle). From here the
// peer connection lives until the session ends or the connection fails; on
// an error the Conn has been left.
func (r *Receiver) Answer(ctx context.Context, offer string, conn *session.Conn, log *slog.Logger) (string, error) {
	// Leave before any stop, which would leave with a vaguer reason.
	leave := func() { conn.Leave("the WebRTC offer could not be answered") }
	ice := make([]webrtc.ICEServer, len(r.cfg.ICEServers))
	for i, s := range r.cfg.ICEServers {
		ice[i] = webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential}
	}
	pc, err := r.api.NewPeerConnection(webrtc.Configuration{ICEServers: ice})
	if err != nil {
		leave()
		return "", fmt.Errorf("rtc: %w", err)
	}
	p := newPeer(pc, conn, log)
	if !r.add(p) {
		leave()
		pc.Close()
		return "", ErrClosed
	}
	answer, err := p.answer(ctx, offer)
	if err != nil {
		leave()
		r.remove(p)
		p.stop()
		return "", err
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer r.remove(p)
		p.run()
	}()
	return answer, nil
}

func (r *Receiver) add(p *peer) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live == nil {
		return false
	}
	r.live[p] = struct{}{}
	return true
}

func (r *Receiver) remove(p *peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.live, p)
}

// closeGrace is how long Close lets peers whose sessions have ended send
// their last messages before it cuts them off.
const closeGrace = flushTimeout + time.Second

// Close ends every peer connection and waits for their goroutines. Sessions
// are closed first: their peers then send the final error and result and
// end on their own; the rest are stopped after closeGrace.
func (r *Receiver) Close() {
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeGrace):
	}
	r.mu.Lock()
	peers := r.live
	r.live = nil
	r.mu.Unlock()
	for p := range peers {
		p.stop()
	}
	<-done
	if r.mux != nil {
		r.mux.Close()
	}
}
