package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// maxListedErrors is how many session errors a summary lists.
const maxListedErrors = 5

// loadSummary is what load prints, as text or (with --json) as this JSON.
type loadSummary struct {
	Sessions        int           `json:"sessions"`
	Completed       int           `json:"completed"` // sessions that got a result
	Outcomes        outcomeCounts `json:"outcomes"`
	DurationMS      durationStats `json:"duration_ms"` // completed sessions, create to result
	FeedbackLatency latencyStats  `json:"feedback_latency_ms"`
	// JudgedFPS is frames answered per second of session, averaged over
	// the sessions: below the server's sample_fps when it cannot keep up
	// (a session never queues a frame behind the one being analysed).
	JudgedFPS   float64      `json:"judged_fps"`
	StepLatency latencyStats `json:"step_latency_ms"` // accepted frame sent to its step message
	FramesSent  int          `json:"frames_sent"`
	// FramesSkipped were due while a write was still in progress; many of
	// them mean the client, not the server, limited the frame rate.
	FramesSkipped int      `json:"frames_skipped"`
	Errors        []string `json:"errors"` // the first few
}

type outcomeCounts struct {
	Passed    int `json:"passed"`
	Failed    int `json:"failed"`
	Expired   int `json:"expired"`
	Cancelled int `json:"cancelled"`
	Error     int `json:"error"`
}

type durationStats struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
}

type latencyStats struct {
	P50     float64 `json:"p50"`
	P95     float64 `json:"p95"`
	Max     float64 `json:"max"`
	Samples int     `json:"samples"` // frames answered
}

func summarize(outcomes []sessionOutcome) loadSummary {
	s := loadSummary{Sessions: len(outcomes), Errors: []string{}}
	var durations, latencies, steps []time.Duration
	var streamed time.Duration
	for i, o := range outcomes {
		s.FramesSent += o.framesSent
		s.FramesSkipped += o.framesSkipped
		latencies = append(latencies, o.latencies...)
		steps = append(steps, o.steps...)
		streamed += o.duration
		if o.result != nil {
			s.Completed++
			durations = append(durations, o.duration)
		}
		switch o.outcome {
		case outcomePassed:
			s.Outcomes.Passed++
		case outcomeFailed:
			s.Outcomes.Failed++
		case outcomeExpired:
			s.Outcomes.Expired++
		case outcomeCancelled:
			s.Outcomes.Cancelled++
		default:
			s.Outcomes.Error++
		}
		if o.outcome == outcomeError && len(s.Errors) < maxListedErrors {
			s.Errors = append(s.Errors, fmt.Sprintf("session %d: %v", i+1, o.err))
		}
	}
	s.DurationMS = durationStats{P50: millis(percentile(durations, 50)), P95: millis(percentile(durations, 95))}
	s.FeedbackLatency, s.StepLatency = statsOf(latencies), statsOf(steps)
	if streamed > 0 {
		s.JudgedFPS = math.Round(10*float64(len(latencies))/streamed.Seconds()) / 10
	}
	return s
}

func statsOf(ds []time.Duration) latencyStats {
	return latencyStats{
		P50:     millis(percentile(ds, 50)),
		P95:     millis(percentile(ds, 95)),
		Max:     millis(slices.Max(append(ds, 0))),
		Samples: len(ds),
	}
}

// print writes the summary for a person.
func (s loadSummary) print(w io.Writer) {
	fmt.Fprintf(w, "sessions          %d/%d completed\n", s.Completed, s.Sessions)
	o := s.Outcomes
	fmt.Fprintf(w, "outcomes          passed %d, failed %d, expired %d, cancelled %d, error %d\n",
		o.Passed, o.Failed, o.Expired, o.Cancelled, o.Error)
	fmt.Fprintf(w, "session duration  p50 %vms, p95 %vms (create to result)\n", s.DurationMS.P50, s.DurationMS.P95)
	l := s.FeedbackLatency
	fmt.Fprintf(w, "feedback latency  p50 %vms, p95 %vms, max %vms (%d frames)\n", l.P50, l.P95, l.Max, l.Samples)
	fmt.Fprintf(w, "judged frames     %v per second of session\n", s.JudgedFPS)
	l = s.StepLatency
	fmt.Fprintf(w, "step latency      p50 %vms, p95 %vms, max %vms (%d passed steps; accepted frame to step)\n", l.P50, l.P95, l.Max, l.Samples)
	fmt.Fprintf(w, "frames            %d sent, %d skipped\n", s.FramesSent, s.FramesSkipped)
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "errors            %d, the first:\n", o.Error)
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}
