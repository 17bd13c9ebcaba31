package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"
)

// errorBody is every error response: the spec's status fields, and the trx_id
// when the request carried a valid one.
type errorBody struct {
	Status        string `json:"status"`
	StatusMessage string `json:"status_message"`
	TrxID         string `json:"trx_id,omitempty"`
}

// writeJSON sends v with status. Encoding errors can only be a broken
// connection at this point, so they are logged, not answered.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		logger(r).Debug("writing response", "err", err)
	}
}

// setRetryAfter tells the client how long to wait, in whole seconds (at least 1).
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}

// writeError answers err with the status statusOf picks; an error that knows
// when to retry (a limit, a lockout) sets Retry-After to it.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	var later interface{ RetryAfter() time.Duration }
	switch {
	case errors.As(err, &later):
		setRetryAfter(w, later.RetryAfter())
	case status == http.StatusServiceUnavailable:
		setRetryAfter(w, time.Second)
	}
	if status >= 500 {
		logger(r).Error("request failed", "status", status, "err", err)
	} else {
		logger(r).Info("request refused", "status", status, "err", err)
	}
	writeJSON(w, r, status, errorBody{Status: strconv.Itoa(status), StatusMessage: messageOf(err, status), TrxID: info(r).trxID})
}

// status is a success body without payload.
type status struct {
	Status        string `json:"status"`
	StatusMessage string `json:"status_message"`
	TrxID         string `json:"trx_id,omitempty"`
}

func ok(r *http.Request) status {
	return status{Status: "200", StatusMessage: "Success", TrxID: info(r).trxID}
}

func logger(r *http.Request) *slog.Logger { return info(r).log }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
