package main

import (
	"sync"
	"time"
)

// frameLedger pairs frames with the server's answers. The server numbers
// frames from 1 in arrival order (WebSocket binary messages; WebRTC video
// frames in decoding order), which over a connection that loses nothing is
// the order they were sent, so the n-th frame sent is frame n. A feedback or
// step message naming frame k measures the time since k was sent; each frame
// is counted once, however many messages name it.
type frameLedger struct {
	mu        sync.Mutex
	sentAt    []time.Time // sentAt[k-1]: when frame k was sent
	answered  []bool      // answered[k-1]: frame k's latency is recorded
	latencies []time.Duration
}

// sent records that the next frame goes out at the given time.
func (l *frameLedger) sent(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sentAt = append(l.sentAt, at)
	l.answered = append(l.answered, false)
}

// answer records that a message naming frame arrived at the given time.
// Frames never sent (0 is "no frame") are ignored.
func (l *frameLedger) answer(frame int, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if frame < 1 || frame > len(l.sentAt) || l.answered[frame-1] {
		return
	}
	l.answered[frame-1] = true
	l.latencies = append(l.latencies, at.Sub(l.sentAt[frame-1]))
}

// totals returns how many frames were sent and the latencies recorded.
func (l *frameLedger) totals() (framesSent int, latencies []time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sentAt), append([]time.Duration(nil), l.latencies...)
}
