package server

import (
	_ "embed"
	"errors"
	"net/http"
	"strings"

	"github.com/livenessd/livenessd/store"
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
		status := "store unavailable"
		if errors.Is(err, store.ErrStorageFull) {
			status = "storage full"
		}
		writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"status": status})
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

// staticFiles serves the embedded pages and SDK. Scripts come only from
// this server; media and connections stay on it too (plus the WebSocket).
func staticFiles() http.Handler {
	files := http.FileServerFS(web.Files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; "+
			"style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; "+
			"frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY") // the camera page must not be framed by another site (clickjacking)
		if strings.HasSuffix(r.URL.Path, ".ts") {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8") // the .d.ts declarations
		}
		files.ServeHTTP(w, r)
	})
}
