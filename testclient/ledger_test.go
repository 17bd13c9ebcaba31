package main

import (
	"slices"
	"testing"
	"time"
)

func TestLedgerPairsEachFrameWithItsFirstAnswer(t *testing.T) {
	var l frameLedger
	t0 := time.Now()
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	l.sent(ms(0))  // frame 1
	l.sent(ms(10)) // frame 2
	l.sent(ms(20)) // frame 3

	l.answer(2, ms(50), false) // 40 ms after frame 2 was sent
	l.answer(2, ms(90), true)  // frame 2 again: already counted
	l.answer(0, ms(60), false) // a step that timed out names no frame
	l.answer(4, ms(70), true)  // never sent
	l.answer(1, ms(30), true)  // answers may come out of order; a passed step

	sent, latencies, steps := l.totals()
	if sent != 3 {
		t.Errorf("%d frames sent, want 3", sent)
	}
	if want := []time.Duration{40 * time.Millisecond, 30 * time.Millisecond}; !slices.Equal(latencies, want) {
		t.Errorf("latencies %v, want %v", latencies, want)
	}
	if want := []time.Duration{30 * time.Millisecond}; !slices.Equal(steps, want) {
		t.Errorf("step latencies %v, want %v", steps, want)
	}
}
