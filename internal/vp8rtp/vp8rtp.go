// Package vp8rtp holds what both ends of a VP8 WebRTC stream in this
// repository agree on: the codecs (VP8 with RTX, so a lost packet is resent
// and Chrome's padding probes cost no frame), their RTCP feedback, and pion's
// default interceptors (NACK, RTCP reports, TWCC). The server's rtc package
// and the test client build their pion API from it.
package vp8rtp

import (
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// Payload types of VP8 and its retransmission stream.
const (
	PayloadVP8 = 96
	PayloadRTX = 97
)

// API returns a pion API with the VP8 media setup and se's networking.
func API(se webrtc.SettingEngine) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	feedback := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: feedback}, PayloadType: PayloadVP8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=96"}, PayloadType: PayloadRTX},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}
