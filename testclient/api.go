package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxResponseBytes bounds what is read of one HTTP response.
const maxResponseBytes = 16 << 20

// livenessFields are the request fields a batch call and a session share.
// Pointers and omitempty leave unset fields out, so the server's defaults
// apply.
type livenessFields struct {
	TrxID            string   `json:"trx_id"`
	FaceParameters   []string `json:"face_parameters"`
	SpoofDetection   *bool    `json:"spoof_detection,omitempty"`
	SuccessThreshold *int     `json:"success_threshold,omitempty"`
	FacegalleryID    string   `json:"facegallery_id,omitempty"`
	UserID           string   `json:"user_id,omitempty"`
}

// apiClient calls the server's REST endpoints with the access token.
type apiClient struct {
	server string // base URL without a trailing slash
	token  string
	http   *http.Client
}

func newAPIClient(server, token string, timeout time.Duration) *apiClient {
	return &apiClient{
		server: strings.TrimRight(server, "/"),
		token:  token,
		http:   &http.Client{Timeout: timeout},
	}
}

// apiError is an HTTP answer other than 2xx, with the server's JSON error
// body when it sent one.
type apiError struct {
	HTTPStatus    int
	Status        string `json:"status"`
	StatusMessage string `json:"status_message"`
	// other is the start of a body without a status_message (a proxy's
	// error page, say), so that the message still says something.
	other string
}

func (e *apiError) Error() string {
	if e.StatusMessage == "" {
		return fmt.Sprintf("HTTP %d: %q", e.HTTPStatus, e.other)
	}
	return fmt.Sprintf("HTTP %d: status %s: %s", e.HTTPStatus, e.Status, e.StatusMessage)
}

// postJSON sends body to path and returns the body of a 2xx answer; any
// other answer is an *apiError.
func (c *apiClient) postJSON(ctx context.Context, path string, body any) ([]byte, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+path, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req)
}

// session is GET /liveness-api/sessions/{id}: the full result, as the
// integrator's backend reads it (the device hears only passed or failed).
func (c *apiClient) session(ctx context.Context, id string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+"/liveness-api/sessions/"+id, nil)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

// do sends req with the access token and returns the body of a 2xx answer;
// any other answer is an *apiError.
func (c *apiClient) do(req *http.Request) ([]byte, error) {
	req.Header.Set("Accesstoken", c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, newAPIError(resp.StatusCode, data)
	}
	return data, nil
}

// newAPIError reads the JSON error body of a failed call.
func newAPIError(httpStatus int, body []byte) *apiError {
	e := &apiError{HTTPStatus: httpStatus}
	if json.Unmarshal(body, e) != nil || e.StatusMessage == "" {
		e.other = string(body[:min(len(body), 200)])
	}
	return e
}
