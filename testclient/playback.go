package main

import (
	"context"
	"time"
)

// playback sends the clip's frames in real time, as a camera would: frame i
// is due i/fps after the start. Frames that come due while a send is still in
// progress are skipped, never queued, so a slow connection cannot build a
// backlog. It returns the number skipped when ctx ends, when the clip ends
// (without loop), or at the first failed send.
func playback(ctx context.Context, c *clip, loop bool, fps float64, send func([]byte) error) (skipped int, err error) {
	ticker := time.NewTicker(time.Duration(float64(time.Second) / fps))
	defer ticker.Stop()
	start := time.Now()
	for next := 0; ; next++ {
		due := int(time.Since(start).Seconds() * fps)
		if !loop {
			due = min(due, len(c.frames))
		}
		if due > next {
			skipped += due - next
			next = due
		}
		frame, ok := c.frame(next, loop)
		if !ok {
			return skipped, nil
		}
		if err := send(frame); err != nil {
			return skipped, err
		}
		select {
		case <-ctx.Done():
			return skipped, nil
		case <-ticker.C:
		}
	}
}
