package main

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// numberedClip has n one-byte frames holding their index.
func numberedClip(n int) *clip {
	c := &clip{}
	for i := range n {
		c.frames = append(c.frames, []byte{byte(i)})
	}
	return c
}

func TestPlaybackSkipsFramesRatherThanQueueing(t *testing.T) {
	var sent []int
	send := func(frame []byte) error {
		if len(sent) == 0 {
			time.Sleep(60 * time.Millisecond) // six frame intervals
		}
		sent = append(sent, int(frame[0]))
		return nil
	}
	skipped, err := playback(context.Background(), numberedClip(30), false, 100, send)
	if err != nil {
		t.Fatal(err)
	}
	if sent[1] < 4 {
		t.Errorf("after a 60 ms send at 100 fps the next frame is %d; frames were queued, not skipped", sent[1])
	}
	for i := 1; i < len(sent); i++ {
		if sent[i] <= sent[i-1] {
			t.Fatalf("frames out of order: %v", sent)
		}
	}
	if len(sent)+skipped != 30 {
		t.Errorf("%d sent + %d skipped, want the clip's 30", len(sent), skipped)
	}
}

func TestPlaybackLoopsUntilStopped(t *testing.T) {
	ctx, stop := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer stop()
	var sent []int
	_, err := playback(ctx, numberedClip(2), true, 100, func(frame []byte) error {
		sent = append(sent, int(frame[0]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) < 6 {
		t.Fatalf("only %d frames in 150 ms at 100 fps", len(sent))
	}
	// The last frame is followed by the first again (a slow machine may skip
	// frames, so not necessarily right after it).
	if i := slices.Index(sent, 1); i < 0 || !slices.Contains(sent[i:], 0) {
		t.Errorf("frames %v never restart at 0", sent)
	}
}

func TestPlaybackStopsAtTheFirstFailedSend(t *testing.T) {
	broken := errors.New("broken pipe")
	calls := 0
	_, err := playback(context.Background(), numberedClip(10), true, 100, func([]byte) error {
		calls++
		if calls == 3 {
			return broken
		}
		return nil
	})
	if !errors.Is(err, broken) || calls != 3 {
		t.Errorf("err %v after %d sends, want the send's error after 3", err, calls)
	}
}
