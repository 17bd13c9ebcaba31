package rtc

import (
	"errors"
	"strings"
	"testing"
)

const goodOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB:CD\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef0123456789\r\na=rtpmap:96 VP8/90000\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef0123456789\r\n"

// An offer pion would refuse after the session's connection is taken is
// refused by CheckOffer first, naming what is missing.
func TestCheckOfferWantsICEAndDTLS(t *testing.T) {
	if err := CheckOffer(goodOffer); err != nil {
		t.Fatalf("good offer: %v", err)
	}
	for _, key := range []string{"a=ice-ufrag", "a=ice-pwd", "a=fingerprint"} {
		var kept []string
		for _, line := range strings.Split(goodOffer, "\r\n") {
			if !strings.HasPrefix(line, key) {
				kept = append(kept, line)
			}
		}
		err := CheckOffer(strings.Join(kept, "\r\n"))
		if !errors.Is(err, ErrBadOffer) || !strings.Contains(err.Error(), key) {
			t.Errorf("without %s: %v", key, err)
		}
	}
}
