package server

import (
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/livenessd/livenessd/lockout"
)

// tokenResponse is RFC 6749's access token response, plus the status fields
// every livenessd response carries.
type tokenResponse struct {
	status
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// tokenError is RFC 6749's error response (section 5.2) with the status fields.
type tokenError struct {
	errorBody
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// issueToken is POST /oauth/token, the OAuth 2.0 client credentials grant:
// client_id and client_secret in the form body or HTTP Basic auth (RFC 6749
// section 2.3.1); a JSON body is accepted too.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	var grant, id, secret string
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			s.tokenFail(w, r, http.StatusBadRequest, "invalid_request", "body is not a valid form")
			return
		}
		grant, id, secret = r.PostForm.Get("grant_type"), r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	case "application/json":
		var body struct {
			GrantType    string `json:"grant_type"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&body); err != nil {
			s.tokenFail(w, r, http.StatusBadRequest, "invalid_request", "body is not valid JSON")
			return
		}
		grant, id, secret = body.GrantType, body.ClientID, body.ClientSecret
	default:
		s.tokenFail(w, r, http.StatusBadRequest, "invalid_request", "send application/x-www-form-urlencoded with grant_type=client_credentials")
		return
	}
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if grant != "client_credentials" {
		s.tokenFail(w, r, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	if id == "" || secret == "" {
		s.tokenFail(w, r, http.StatusBadRequest, "invalid_request", "client_id and client_secret are required")
		return
	}
	ip := remoteIP(r)
	for _, k := range [][2]string{{"client_id", id}, {"address", ip}} {
		if st := s.guesses.State(k[0], k[1]); st.Locked(time.Now()) {
			// Refused before bcrypt runs: a guess flood must not cost a
			// verification each (16 guessing threads slowed it 10x).
			setRetryAfter(w, time.Until(st.LockedUntil))
			s.tokenFail(w, r, http.StatusTooManyRequests, "invalid_client", "too many wrong secrets for this client_id or from this address; retry later")
			return
		}
	}
	token, ttl, err := s.auth.Issue(id, secret)
	if err != nil {
		s.guesses.Fail("client_id", id)
		s.guesses.Fail("address", ip)
		w.Header().Set("WWW-Authenticate", `Basic realm="livenessd"`)
		s.tokenFail(w, r, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	info(r).log = info(r).log.With("client", id)
	writeJSON(w, r, http.StatusOK, tokenResponse{
		status:      status{Status: "200", StatusMessage: "Success"},
		AccessToken: token, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds()),
	})
}

func (s *Server) tokenFail(w http.ResponseWriter, r *http.Request, code int, kind, msg string) {
	logger(r).Info("token refused", "status", code, "error", kind)
	writeJSON(w, r, code, tokenError{
		errorBody: errorBody{Status: strconv.Itoa(code), StatusMessage: msg},
		Error:     kind, Description: msg,
	})
}

// tokenGuesses bounds wrong client secrets: 10 within a minute, per
// client_id and per source address, shut both out of /oauth/token for a
// minute. (Without it, 200 wrong secrets in a row were each verified.)
var tokenGuesses = lockout.Config{MaxFailures: 10, Window: time.Minute, Duration: time.Minute}

// remoteIP is the request's source address without the port.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
