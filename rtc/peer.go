package rtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livenessd/livenessd/protocol"
	"github.com/livenessd/livenessd/session"
)

const (
	// gatherTimeout bounds ICE gathering before the answer is sent with
	// whatever candidates were found.
	gatherTimeout = 5 * time.Second
	// openTimeout is how long the client has to open the data channel; no
	// prompt can reach the user without it.
	openTimeout = 15 * time.Second
	// flushTimeout lets the last messages (the result) leave before the
	// peer connection is closed.
	flushTimeout = 2 * time.Second
)

// peer is one browser's connection to one session.
type peer struct {
	pc      *webrtc.PeerConnection
	conn    *session.Conn
	log     *slog.Logger
	ctx     context.Context // ends when the peer connection fails or closes
	cancel  context.CancelFunc
	opened  chan *webrtc.DataChannel
	notices chan any // replies to the client's text messages, written by run
	tracks  sync.WaitGroup
	once    sync.Once
}

func newPeer(pc *webrtc.PeerConnection, conn *session.Conn, log *slog.Logger) *peer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &peer{pc: pc, conn: conn, log: log, ctx: ctx, cancel: cancel,
		opened: make(chan *webrtc.DataChannel, 1), notices: make(chan any, 8)}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		p.tracks.Add(1)
		go func() {
			defer p.tracks.Done()
			p.receive(t)
		}()
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		if dc.Label() != Channel {
			return
		}
		dc.OnOpen(func() {
			select {
			case p.opened <- dc:
			default:
			}
		})
		dc.OnMessage(p.message)
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.log.Debug("webrtc connection", "state", s.String())
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			p.cancel()
		}
	})
	return p
}

// answer applies the offer and returns the answer with its candidates.
func (p *peer) answer(ctx context.Context, offer string) (string, error) {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("rtc: %w", err)
	}
	wait := time.NewTimer(gatherTimeout)
	defer wait.Stop()
	select {
	case <-gathered:
	case <-wait.C:
		p.log.Warn("webrtc: ICE gathering incomplete; answering with the candidates found")
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return p.pc.LocalDescription().SDP, nil
}

// message handles the client's text on the data channel. pion calls it from
// one goroutine per channel, which makes it this connection's read loop.
func (p *peer) message(msg webrtc.DataChannelMessage) {
	if !msg.IsString {
		p.notify(protocol.Error{Type: protocol.TypeError, Code: protocol.ErrorBadMessage,
			Message: "the data channel takes text messages; video goes in the media track"})
		return
	}
	reply, err := p.conn.Text(msg.Data, time.Now())
	if errors.Is(err, session.ErrFlood) {
		p.conn.Leave(err.Error())
		p.cancel()
		return
	}
	if reply != nil {
		p.notify(*reply)
	}
}

func (p *peer) notify(e protocol.Error) {
	select {
	case p.notices <- e:
	default:
	}
}

// run is the connection's one writer: it waits for the data channel, then
// relays the session's messages until the session ends, and closes the peer
// connection after the result has left.
func (p *peer) run() {
	defer p.stop()
	var dc *webrtc.DataChannel
	wait := time.NewTimer(openTimeout)
	defer wait.Stop()
	select {
	case dc = <-p.opened:
	case <-wait.C:
		p.conn.Leave("the WebRTC data channel did not open")
		return
	case <-p.ctx.Done():
		p.conn.Leave("the WebRTC connection failed")
		return
	}
	events := p.conn.Events()
	for {
		var msg any
		select {
		case <-p.ctx.Done():
			p.conn.Leave("the WebRTC connection failed")
			return
		case msg = <-p.notices:
		case m, ok := <-events:
			if !ok {
				p.flush(dc)
				return
			}
			msg = m
		}
		if err := dc.SendText(string(protocol.Marshal(msg))); err != nil {
			p.conn.Leave("the WebRTC data channel failed")
			return
		}
	}
}

// flush waits, briefly, for the data channel's queued messages to leave.
func (p *peer) flush(dc *webrtc.DataChannel) {
	deadline := time.Now().Add(flushTimeout)
	for dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop closes the peer connection, which ends the track readers, and tells
// the session (a no-op once it has ended).
func (p *peer) stop() {
	p.once.Do(func() {
		p.conn.Leave("the WebRTC connection closed")
		p.cancel()
		if err := p.pc.Close(); err != nil {
			p.log.Debug("webrtc close", "err", err)
		}
		p.tracks.Wait()
	})
}
