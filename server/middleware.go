package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// reqInfo travels in a request's context so that the access log written after
// the handler carries the trx_id the handler found in the body, and the
// client the token stood for.
type reqInfo struct {
	trxID string
	log   *slog.Logger
}

type infoKey struct{}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{log: slog.Default()}
}

// setTrx records a validated trx_id; every later log line of the request
// carries it.
func setTrx(r *http.Request, trxID string) {
	ri := info(r)
	ri.trxID = trxID
	ri.log = ri.log.With("trx_id", trxID)
}

// observe is the outermost middleware: it gives the request its reqInfo and a
// deadline, recovers panics, and writes the access log line and the metrics.
// Neither bodies nor headers are logged: they hold images and tokens.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		ri := &reqInfo{log: s.log}
		ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), infoKey{}, ri), s.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		if r.Body != http.NoBody && r.Method != http.MethodGet {
			// A body trickled in byte by byte must not hold the connection
			// past the request's own deadline. (GET carries no body, and a
			// WebSocket upgrade is a GET whose connection lives on.)
			http.NewResponseController(w).SetReadDeadline(start.Add(s.cfg.RequestTimeout))
		}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				ri.log.Error("panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if ww.Status() == 0 {
					writeError(ww, r, fmt.Errorf("panic: %v", p))
				}
			}
			route := routeOf(r)
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			s.metrics.observeRequest(route, r.Method, status, elapsed)
			ri.log.Info("request", "method", r.Method, "route", route, "status", status,
				"duration_ms", float64(elapsed.Microseconds())/1000, "bytes_in", r.ContentLength,
				"bytes_out", ww.BytesWritten(), "remote", r.RemoteAddr)
		}()
		next.ServeHTTP(ww, r)
	})
}

// routeOf is the matched route pattern, so metrics stay low-cardinality.
func routeOf(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

// requireClient lets a request through only with a valid access token, taken
// from the spec's Accesstoken header or, for OAuth tooling, from
// "Authorization: Bearer".
func (s *Server) requireClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimSpace(r.Header.Get("Accesstoken"))
		if token == "" {
			if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
				token = strings.TrimSpace(h[7:])
			}
		}
		client, err := s.auth.Authenticate(token)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="livenessd"`)
			writeError(w, r, err)
			return
		}
		ri := info(r)
		ri.log = ri.log.With("client", client)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, client)))
	})
}

type clientKey struct{}

// clientOf is the authenticated client id of a request behind requireClient.
func clientOf(r *http.Request) string {
	c, _ := r.Context().Value(clientKey{}).(string)
	return c
}
