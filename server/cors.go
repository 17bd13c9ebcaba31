package server

import "net/http"

// crossOrigin lets pages on other origins use what the browser SDK needs:
// the SDK files and a session's WebRTC offer. Both are safe to share with
// any origin: the files are public, and the offer is authenticated by the
// session token in a header, never by cookies. (The WebSocket needs no CORS.)
func crossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "Location")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers CORS preflight requests; crossOrigin writes the headers.
func preflight(http.ResponseWriter, *http.Request) {}
