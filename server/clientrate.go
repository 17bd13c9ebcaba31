package server

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// clientRates holds one token bucket per authenticated client
// (limits.client_rate, client_burst). Clients are configured, not created by
// requests, so the map stays as small as the configuration.
type clientRates struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

func newClientRates(perSecond float64, burst int) *clientRates {
	return &clientRates{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*rate.Limiter{}}
}

// allow takes one request from client's bucket, or says how long until one
// is there.
func (c *clientRates) allow(client string) (bool, time.Duration) {
	c.mu.Lock()
	b, ok := c.buckets[client]
	if !ok {
		b = rate.NewLimiter(c.limit, c.burst)
		c.buckets[client] = b
	}
	c.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d
	}
	return true, 0
}

// rateError is a 429: the client is over its request rate.
type rateError struct{ wait time.Duration }

func (e *rateError) RetryAfter() time.Duration { return e.wait }

func (e *rateError) Error() string {
	return fmt.Sprintf("too many requests from this client; retry in %.1f s", e.wait.Seconds())
}

// limitClient answers 429 to a client over limits.client_rate.
func (s *Server) limitClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := s.rates.allow(clientOf(r)); !ok {
			writeError(w, r, &rateError{wait})
			return
		}
		next.ServeHTTP(w, r)
	})
}
