package session

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	live     prometheus.GaugeFunc
	finished *prometheus.CounterVec
	stepTime *prometheus.HistogramVec
	latency  prometheus.Histogram
	frames   *prometheus.CounterVec
}

func newMetrics(live func() int) *metrics {
	return &metrics{
		live: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "livenessd_sessions_live",
			Help: "Interactive sessions created and not yet finished.",
		}, func() float64 { return float64(live()) }),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livenessd_sessions_finished_total",
			Help: "Finished sessions by final state.",
		}, []string{"state"}),
		stepTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "livenessd_session_step_seconds",
			Help:    "Time from a step's prompt to its end, by outcome.",
			Buckets: []float64{.25, .5, 1, 2, 3, 4, 6, 8, 12, 20, 30},
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "livenessd_session_feedback_latency_seconds",
			Help:    "From a sampled frame's arrival to the feedback or step message about it.",
			Buckets: []float64{.025, .05, .075, .1, .15, .2, .25, .35, .5, 1, 2},
		}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livenessd_session_frames_total",
			Help: "Frames received by fate: sampled, dropped (faster than sample_fps or while one is analysed), shed (inference queue full).",
		}, []string{"fate"}),
	}
}

// Collectors are the session metrics, for the server's registry.
func (m *Manager) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.metrics.live, m.metrics.finished, m.metrics.stepTime, m.metrics.latency, m.metrics.frames}
}
