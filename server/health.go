package server

import (
	_ "embed"
	"net/http"

	"github.com/livenessd/livenessd/web"
)

// healthz says the process is up and serving HTTP.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether this node should get traffic: models loaded (the
// engine exists before the server does), the store answers, and no shutdown
// has begun.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	if err := s.store.Ping(r.Context()); err != nil {
		logger(r).Error("readiness: store", "err", err)
		writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable"})
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"status": "ready", "queue_depth": s.engine.QueueDepth()})
}

//go:embed openapi.yaml
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(openAPI)
}

// serveDemo is the demo page. Its script is inline, so the policy allows
// inline scripts but nothing from other origins.
func serveDemo(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
	w.Write(web.Index)
}
