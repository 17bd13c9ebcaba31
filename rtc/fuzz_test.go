package rtc

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// FuzzCheckOffer: any text posted as an SDP offer is refused or accepted,
// never a panic.
func FuzzCheckOffer(f *testing.F) {
	f.Add(goodOffer)
	f.Add("v=0\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, offer string) {
		CheckOffer(offer)
	})
}

// FuzzAssembler: any sequence of RTP packets (sequence numbers, markers,
// payloads as a hostile browser could send them) never panics the VP8 frame
// assembler, and every frame it releases is made of what was sent.
func FuzzAssembler(f *testing.F) {
	f.Add([]byte{0, 1, 0x10, 1, 2, 3, 0, 2, 0x80, 4})
	f.Add([]byte{255, 255, 0x10, 9, 0, 0, 0x10})
	f.Fuzz(func(t *testing.T, data []byte) {
		a := newFrameAssembler()
		now := time.Unix(0, 0)
		total := 0
		for i := 0; i+3 <= len(data); i += 3 {
			seq := uint16(data[i])<<8 | uint16(data[i+1])
			desc := data[i+2]
			p := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: uint32(seq / 4), Marker: desc&0x80 != 0},
				Payload: []byte{desc & 0x10, desc}}
			total += len(p.Payload)
			frames, _ := a.push(p, now)
			for _, fr := range frames {
				if len(fr) > total {
					t.Fatalf("a %d-byte frame from %d bytes of payload", len(fr), total)
				}
			}
			now = now.Add(10 * time.Millisecond)
		}
	})
}
