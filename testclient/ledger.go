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
	// steps are the latencies of passed steps: from sending the frame the
	// server accepted to its step message (the prompt-to-step delay once
	// the user shows the parameter).
	steps []time.Duration
}

// sent records that the next frame goes out at the given time.
func (l *frameLedger) sent(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sentAt = append(l.sentAt, at)
	l.answered = append(l.answered, false)
}

// answer records that a message naming frame arrived at the given time;
// step is true for a passed step's message. Frames never sent (0 is "no
// frame") are ignored.
func (l *frameLedger) answer(frame int, at time.Time, step bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if frame < 1 || frame > len(l.sentAt) || l.answered[frame-1] {
		return
	}
	l.answered[frame-1] = true
	d := at.Sub(l.sentAt[frame-1])
	l.latencies = append(l.latencies, d)
	if step {
		l.steps = append(l.steps, d)
	}
}

// totals returns how many frames were sent and the latencies recorded.
func (l *frameLedger) totals() (framesSent int, latencies, steps []time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sentAt), append([]time.Duration(nil), l.latencies...), append([]time.Duration(nil), l.steps...)
}
