package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the whole API surface; /openapi.yaml documents exactly these
// routes (a test keeps the two in step).
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.observe, middleware.GetHead)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errStatus(http.StatusNotFound, "no route "+r.URL.Path+"; see /openapi.yaml"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errStatus(http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path))
	})

	static := staticFiles()
	r.Method(http.MethodGet, "/", static)
	r.Method(http.MethodGet, "/batch.html", static)
	r.Method(http.MethodGet, "/assets/{file}", static)
	r.With(crossOrigin).Method(http.MethodGet, "/sdk/{file}", static)
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	r.Get("/openapi.yaml", serveOpenAPI)
	r.Post("/oauth/token", s.issueToken)
	// The device's stream authenticates with its session token instead.
	r.Get("/liveness-api/sessions/{id}/ws", s.sessionSocket)
	r.With(crossOrigin).Post("/liveness-api/sessions/{id}/webrtc", s.sessionWebRTC)
	r.With(crossOrigin).Options("/liveness-api/sessions/{id}/webrtc", preflight)
	r.Post("/demo/sessions", s.demoSession)

	r.Group(func(r chi.Router) {
		r.Use(s.requireClient, s.limitClient)
		r.With(s.gate).Post("/liveness-api/verify-face-liveness", s.verifyFaceLiveness)
		r.Post("/liveness-api/sessions", s.createSession)
		r.Get("/liveness-api/sessions/{id}", s.sessionStatus)
		r.Get("/liveness-api/sessions/{id}/images/{n}", s.auditImage)
		r.Delete("/liveness-api/sessions/{id}/images", s.deleteAuditImages)
		r.Get("/liveness-api/lockout", s.lockoutStatus)
		r.Route("/face-api/facegallery", func(r chi.Router) {
			r.Post("/create-facegallery", s.changeStore(needs{}, s.createGallery))
			r.Get("/my-facegalleries", s.myGalleries)
			r.Delete("/delete-facegallery", s.changeStore(needs{}, s.deleteGallery))
			r.With(s.gate).Post("/enroll-face", s.enrollFace)
			r.Post("/list-faces", s.listFaces)
			r.Delete("/delete-face", s.changeStore(needs{user: true}, s.deleteFace))
			r.With(s.gate).Post("/verify-face", s.verifyFace)
		})
	})
	return r
}
