package rtc

import (
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// frameAssembler turns VP8 RTP packets into frames, releasing a frame as
// soon as its last packet (marker bit) and every packet before it are in.
// pion's samplebuilder holds a complete frame until the next frame's first
// packet arrives, which costs a whole frame interval of latency (measured:
// +78 ms at 15 fps).
//
// A missing packet is waited for (NACK usually brings it back) for up to
// lossWait; then the frames it belonged to are skipped and lost reports it,
// so that the caller asks for a key frame.
type frameAssembler struct {
	pending  map[uint16]*rtp.Packet
	next     uint16 // first packet of the next frame to release
	started  bool   // next is known
	gapSince time.Time
}

const (
	lossWait   = 250 * time.Millisecond
	maxPending = 1024 // packets; a 720p key frame is ~100
)

func newFrameAssembler() *frameAssembler {
	return &frameAssembler{pending: map[uint16]*rtp.Packet{}}
}

// push adds a packet (the caller drops duplicates) and returns the frames
// it completes, oldest first; lost is true when packets were given up on.
func (a *frameAssembler) push(p *rtp.Packet, now time.Time) (frames [][]byte, lost bool) {
	if a.started && before(p.SequenceNumber, a.next) {
		return nil, false // a late resend of a frame already released or skipped
	}
	if !a.started {
		if !frameStart(p) {
			return nil, false // the stream is joined at a frame start
		}
		a.next, a.started = p.SequenceNumber, true
	}
	a.pending[p.SequenceNumber] = p
	for {
		frame, end, ok := a.complete()
		if ok {
			frames = append(frames, frame)
			a.release(end + 1)
			a.gapSince = time.Time{}
			continue
		}
		if len(a.pending) == 0 {
			return frames, lost
		}
		if a.gapSince.IsZero() {
			a.gapSince = now
		}
		if now.Sub(a.gapSince) < lossWait && len(a.pending) < maxPending {
			return frames, lost
		}
		// Give the gap up: resume at the next frame start after it.
		start, found := a.nextStart()
		if !found {
			a.release(p.SequenceNumber + 1)
			a.started = false
			return frames, true
		}
		a.release(start)
		a.gapSince, lost = time.Time{}, true
	}
}

// complete assembles the frame starting at next if all its packets are in.
func (a *frameAssembler) complete() (frame []byte, end uint16, ok bool) {
	first, in := a.pending[a.next]
	if !in || !frameStart(first) {
		return nil, 0, false
	}
	for s := a.next; ; s++ {
		p, in := a.pending[s]
		if !in || p.Timestamp != first.Timestamp {
			return nil, 0, false
		}
		var vp8 codecs.VP8Packet
		payload, err := vp8.Unmarshal(p.Payload)
		if err != nil {
			return nil, 0, false
		}
		frame = append(frame, payload...)
		if p.Marker {
			return frame, s, true
		}
	}
}

// nextStart finds the earliest pending frame start after next.
func (a *frameAssembler) nextStart() (uint16, bool) {
	var best uint16
	found := false
	for s, p := range a.pending {
		if s != a.next && frameStart(p) && (!found || before(s, best)) {
			best, found = s, true
		}
	}
	return best, found
}

// release forgets every packet before seq and makes it the next frame's.
func (a *frameAssembler) release(seq uint16) {
	for s := range a.pending {
		if before(s, seq) {
			delete(a.pending, s)
		}
	}
	a.next = seq
}

// frameStart: the first packet of a VP8 frame starts partition 0.
func frameStart(p *rtp.Packet) bool {
	var vp8 codecs.VP8Packet
	if _, err := vp8.Unmarshal(p.Payload); err != nil {
		return false
	}
	return vp8.S == 1 && vp8.PID == 0
}

// before compares RTP sequence numbers across the 16-bit wrap.
func before(a, b uint16) bool { return int16(a-b) < 0 }
