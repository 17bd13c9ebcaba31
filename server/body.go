package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
)

// decodeJSON reads the request body into dst, strictly: a body over the
// limit, a wrong Content-Type, malformed JSON, a field of the wrong type, an
// unknown field (a typo such as "spoof_detecton" must not be silently
// ignored) or trailing data are each reported in words a client can act on.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errStatus(http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send application/json", ct))
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return errStatus(http.StatusRequestTimeout, "the request body did not arrive within the server's request timeout")
	}
	if err != nil {
		return jsonError(err)
	}
	if err := checkKeys(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errStatus(http.StatusBadRequest, "body holds more than one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.Is(err, io.EOF):
		return errStatus(http.StatusBadRequest, "body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errStatus(http.StatusBadRequest, "body is truncated JSON")
	case errors.As(err, &syntax):
		return errStatus(http.StatusBadRequest, fmt.Sprintf("body is not valid JSON (at byte %d): %v", syntax.Offset, err))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errStatus(http.StatusBadRequest, fmt.Sprintf("body must be a JSON object, not %s", typ.Value))
		}
		return errStatus(http.StatusBadRequest, fmt.Sprintf("%s: must be %s, not %s", jsonPath(typ.Field), jsonType(typ.Type.String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errStatus(http.StatusBadRequest, "unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return errStatus(http.StatusBadRequest, "body: "+err.Error())
}

// jsonPath is encoding/json's field path without the Go names of embedded
// structs ("Params.success_threshold" is "success_threshold" to a client).
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	for len(parts) > 1 && parts[0] != "" && parts[0][0] >= 'A' && parts[0][0] <= 'Z' {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

// jsonType names a Go type the way a JSON client thinks of it.
func jsonType(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64":
		return "an integer"
	case "[]string":
		return "an array of strings"
	}
	return goType
}
