package rtc

import (
	"strings"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/livenessd/livenessd/internal/vpx"
	"github.com/livenessd/livenessd/session"
)

const (
	// keyFrameEvery: Chrome throttles key-frame requests; asking more
	// often than every 500 ms gains nothing.
	keyFrameEvery = 500 * time.Millisecond
)

// receive reads one video track until the connection ends: RTP packets are
// de-duplicated (RTX resends packets that did arrive), assembled into VP8
// frames and decoded; every picture goes to the session, which samples
// them. Nothing here may block: pion's NACK and TWCC interceptors run
// inside ReadRTP.
func (p *peer) receive(track *webrtc.TrackRemote) {
	if !strings.EqualFold(track.Codec().MimeType, webrtc.MimeTypeVP8) {
		p.log.Warn("webrtc: ignoring a track that is not VP8", "codec", track.Codec().MimeType)
		return
	}
	dec, err := vpx.NewDecoder()
	if err != nil {
		p.log.Error("webrtc: VP8 decoder", "err", err)
		p.conn.Leave("the server could not decode video")
		return
	}
	defer dec.Close()
	frames := newFrameAssembler()
	var seen seqWindow
	var lastPLI time.Time
	keyFrame := func() {
		if now := time.Now(); now.Sub(lastPLI) >= keyFrameEvery {
			lastPLI = now
			p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}})
		}
	}
	keyFrame() // the first frames decode only from a key frame
	needKey, seq := true, 0
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		if seen.duplicate(pkt.SequenceNumber) {
			continue
		}
		now := time.Now()
		complete, lost := frames.push(pkt, now)
		if lost {
			needKey = true // frames that reference the lost one would decode wrong
		}
		for _, data := range complete {
			if needKey && !vpx.IsKeyFrame(data) {
				keyFrame()
				continue
			}
			img, err := dec.Decode(data)
			if err != nil {
				needKey = true
				keyFrame()
				continue
			}
			needKey = false
			if img == nil {
				continue
			}
			seq++
			vpx.FullRange(img)
			p.conn.Frame(session.Frame{Seq: seq, At: now, Image: img})
		}
	}
}

// seqWindow remembers the last 1024 RTP sequence numbers.
type seqWindow struct {
	marks [1024]uint32 // seq+1 at seq%1024; 0 = empty
}

func (w *seqWindow) duplicate(seq uint16) bool {
	i := seq % uint16(len(w.marks))
	if w.marks[i] == uint32(seq)+1 {
		return true
	}
	w.marks[i] = uint32(seq) + 1
	return false
}
