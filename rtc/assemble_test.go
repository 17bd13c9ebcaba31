package rtc

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// packets splits a frame's bytes into n VP8 RTP packets from seq on.
func packets(seq uint16, ts uint32, frame []byte, n int) []*rtp.Packet {
	var out []*rtp.Packet
	size := (len(frame) + n - 1) / n
	for i := range n {
		desc := byte(0x00)
		if i == 0 {
			desc = 0x10 // S: start of partition 0
		}
		chunk := frame[i*size : min(len(frame), (i+1)*size)]
		out = append(out, &rtp.Packet{
			Header:  rtp.Header{SequenceNumber: seq + uint16(i), Timestamp: ts, Marker: i == n-1},
			Payload: append([]byte{desc}, chunk...),
		})
	}
	return out
}

func TestAssemblerReleasesOnTheMarker(t *testing.T) {
	now := time.Now()
	a := newFrameAssembler()
	f1, f2 := bytes.Repeat([]byte{1}, 30), bytes.Repeat([]byte{2}, 30)
	p1, p2 := packets(65534, 100, f1, 3), packets(1, 200, f2, 3) // across the 16-bit wrap
	// Out of order within the frame: nothing until all three are in, then
	// the frame at once, without waiting for the next frame.
	for i, p := range []*rtp.Packet{p1[0], p1[2], p1[1]} {
		frames, lost := a.push(p, now)
		if lost || (i < 2 && frames != nil) || (i == 2 && (len(frames) != 1 || !bytes.Equal(frames[0], f1))) {
			t.Fatalf("packet %d: %d frames, lost %v", i, len(frames), lost)
		}
	}
	// A late resend of a released packet is ignored.
	if frames, lost := a.push(p1[1], now); frames != nil || lost {
		t.Errorf("late resend: %d frames, lost %v", len(frames), lost)
	}
	for i, p := range p2 {
		frames, _ := a.push(p, now)
		if (i < 2) != (frames == nil) {
			t.Errorf("frame 2, packet %d: %d frames", i, len(frames))
		}
	}
}

func TestAssemblerSkipsALostPacket(t *testing.T) {
	now := time.Now()
	a := newFrameAssembler()
	f1, f2, f3 := bytes.Repeat([]byte{1}, 30), bytes.Repeat([]byte{2}, 30), bytes.Repeat([]byte{3}, 30)
	p1, p2, p3 := packets(10, 100, f1, 3), packets(13, 200, f2, 2), packets(15, 300, f3, 2)
	// Frame 1 loses its middle packet for good; frame 2 waits behind it.
	for _, p := range []*rtp.Packet{p1[0], p1[2], p2[0], p2[1]} {
		if frames, lost := a.push(p, now); frames != nil || lost {
			t.Fatalf("released %d frames before the gap was given up", len(frames))
		}
	}
	// The next packet after lossWait gives the gap up: frame 2 comes out,
	// marked as following a loss; frame 3 follows normally.
	frames, lost := a.push(p3[0], now.Add(lossWait))
	if !lost || len(frames) != 1 || !bytes.Equal(frames[0], f2) {
		t.Fatalf("after the wait: %d frames, lost %v", len(frames), lost)
	}
	frames, lost = a.push(p3[1], now.Add(lossWait))
	if lost || len(frames) != 1 || !bytes.Equal(frames[0], f3) {
		t.Errorf("frame 3: %d frames, lost %v", len(frames), lost)
	}
}

func TestAssemblerWaitsForAFrameStart(t *testing.T) {
	a := newFrameAssembler()
	p := packets(5, 100, bytes.Repeat([]byte{1}, 20), 2)
	if frames, _ := a.push(p[1], time.Now()); frames != nil {
		t.Error("released a frame from its tail alone")
	}
	q := packets(7, 200, bytes.Repeat([]byte{2}, 20), 2)
	a.push(q[0], time.Now())
	if frames, _ := a.push(q[1], time.Now()); len(frames) != 1 {
		t.Errorf("first whole frame: %d frames", len(frames))
	}
}
