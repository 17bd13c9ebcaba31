package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/livenessd/livenessd/auth"
	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/liveness"
	"github.com/livenessd/livenessd/rtc"
	"github.com/livenessd/livenessd/session"
	"github.com/livenessd/livenessd/store"
)

// statusClientClosed is nginx's 499: the client left before the answer. No
// one reads it; it keeps such requests out of the 5xx counts and error logs.
const statusClientClosed = 499

// apiError is an error with the HTTP status it should be answered with; the
// handlers create them for failures that have no sentinel elsewhere.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errStatus(status int, msg string) error { return &apiError{status, msg} }

// statusOf maps every error a handler can return to an HTTP status. The
// message sent is err.Error() for client errors (they name the field or
// image at fault) and a fixed text for server errors, which are logged.
func statusOf(err error) int {
	var ae *apiError
	var fe *liveness.FieldError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae.status
	case errors.As(err, &fe), errors.Is(err, rtc.ErrBadOffer):
		return http.StatusBadRequest
	case errors.As(err, &tooBig), errors.Is(err, liveness.ErrImageTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, liveness.ErrBase64), errors.Is(err, inference.ErrNotImage),
		errors.Is(err, inference.ErrImageSize), errors.Is(err, inference.ErrImageCorrupt):
		return http.StatusBadRequest
	case errors.Is(err, auth.ErrMissingToken), errors.Is(err, auth.ErrInvalidToken),
		errors.Is(err, auth.ErrExpiredToken), errors.Is(err, auth.ErrInvalidClient):
		return http.StatusUnauthorized
	case errors.Is(err, store.ErrGalleryNotFound), errors.Is(err, store.ErrFaceNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrGalleryExists), errors.Is(err, store.ErrFaceExists):
		return http.StatusConflict
	case errors.Is(err, liveness.ErrNoFace), errors.Is(err, liveness.ErrSeveralFaces),
		errors.Is(err, liveness.ErrMaskedFace):
		return http.StatusUnprocessableEntity
	case errors.Is(err, session.ErrNotFound), errors.Is(err, store.ErrAuditImageNotFound):
		return http.StatusNotFound
	case errors.Is(err, session.ErrBadToken):
		return http.StatusUnauthorized
	case errors.Is(err, store.ErrStorageFull):
		return http.StatusInsufficientStorage
	case errors.Is(err, session.ErrClientLimit), errors.As(err, new(*lockedError)), errors.As(err, new(*rateError)):
		return http.StatusTooManyRequests
	case errors.Is(err, session.ErrConnected):
		return http.StatusConflict
	case errors.Is(err, session.ErrFinished):
		return http.StatusGone
	case errors.Is(err, session.ErrElsewhere):
		// 421 Misdirected Request: this node cannot serve the stream; the
		// message names the one that can.
		return http.StatusMisdirectedRequest
	case errors.Is(err, inference.ErrBusy), errors.Is(err, inference.ErrClosed),
		errors.Is(err, session.ErrTooMany), errors.Is(err, session.ErrClosed), errors.Is(err, rtc.ErrClosed):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return statusClientClosed
	}
	return http.StatusInternalServerError
}

// messageOf is the status_message for err.
func messageOf(err error, status int) string {
	switch status {
	case http.StatusInternalServerError:
		return "internal error; the server log has the details under this trx_id"
	case http.StatusInsufficientStorage:
		return "the server's storage is full: nothing new can be stored; reads and deletes still work (delete audit images, faces or galleries to free space)"
	case http.StatusServiceUnavailable:
		return "the server is busy or shutting down; retry shortly (" + err.Error() + ")"
	case http.StatusGatewayTimeout:
		return "the request took longer than the server's request timeout"
	case statusClientClosed:
		return "the client closed the request"
	case http.StatusRequestEntityTooLarge:
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "request body is larger than the " + humanBytes(tooBig.Limit) + " limit"
		}
	}
	return err.Error()
}
