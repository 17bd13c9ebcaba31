package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/livenessd/livenessd/inference"
)

// metrics live in the server's own registry, so tests can run several servers
// in one process.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	inFlight prometheus.Gauge
	latency  *prometheus.HistogramVec
	stages   *prometheus.HistogramVec
	images   *prometheus.CounterVec
}

func newMetrics(queueDepth func() int) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livenessd_http_requests_total",
			Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "livenessd_http_requests_in_flight",
			Help: "HTTP requests being served, this scrape included.",
		}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "livenessd_http_request_duration_seconds",
			Help:    "HTTP request latency by route and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "livenessd_pipeline_stage_seconds",
			Help:    "Time of each pipeline stage per image.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .04, .08, .16, .32, .64},
		}, []string{"stage"}),
		images: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livenessd_images_judged_total",
			Help: "Images judged by outcome: passed, failed or no_face.",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.requests, m.inFlight, m.latency, m.stages, m.images,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "livenessd_inference_queue_depth",
			Help: "Images waiting for an inference worker.",
		}, func() float64 { return float64(queueDepth()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observeRequest(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

func (m *metrics) observeAnalysis(fa *inference.FaceAnalysis) {
	t := fa.Timings
	for _, st := range [...]struct {
		name string
		d    time.Duration
	}{
		{"prepare", t.Prepare}, {"detect", t.Detect}, {"mesh", t.Mesh}, {"iris", t.Iris},
		{"spoof", t.Spoof}, {"mask", t.Mask}, {"embed", t.Embed}, {"total", t.Total},
	} {
		if st.d > 0 { // stages that did not run (no face, small image) are not timed
			m.stages.WithLabelValues(st.name).Observe(st.d.Seconds())
		}
	}
}

func (m *metrics) observeOutcome(faceDetected, passed bool) {
	switch {
	case !faceDetected:
		m.images.WithLabelValues("no_face").Inc()
	case passed:
		m.images.WithLabelValues("passed").Inc()
	default:
		m.images.WithLabelValues("failed").Inc()
	}
}
