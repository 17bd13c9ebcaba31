// Package auth owns who a caller is: static API tokens mapped to client ids,
// and OAuth 2.0 client-credentials tokens (HMAC-signed JWTs) issued to
// clients whose secrets are configured as bcrypt hashes. It knows nothing of
// HTTP headers.
package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

// Errors callers map to 401 responses.
var (
	ErrMissingToken  = errors.New("access token missing")
	ErrInvalidToken  = errors.New("access token invalid")
	ErrExpiredToken  = errors.New("access token expired")
	ErrInvalidClient = errors.New("unknown client or wrong secret")
)

const (
	issuer   = "livenessd"
	audience = "liveness-api"
)

// Client is an OAuth client allowed to obtain tokens.
type Client struct {
	ID         string
	SecretHash string // bcrypt
}

// Authority checks tokens and issues new ones. It is safe for concurrent use.
type Authority struct {
	static  map[[sha256.Size]byte]string // sha256(token) -> client id
	clients map[string][]byte            // client id -> bcrypt hash
	key     []byte
	ttl     time.Duration
	now     func() time.Time
}

// Option adjusts an Authority.
type Option func(*Authority)

// WithClock replaces time.Now, for tests of expiry.
func WithClock(now func() time.Time) Option { return func(a *Authority) { a.now = now } }

// New builds an Authority. staticTokens maps token -> client id; key signs
// issued tokens and must be at least 32 bytes.
func New(staticTokens map[string]string, clients []Client, key []byte, ttl time.Duration, opts ...Option) (*Authority, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("auth: signing key has %d bytes; want at least 32", len(key))
	}
	a := &Authority{
		static:  make(map[[sha256.Size]byte]string, len(staticTokens)),
		clients: make(map[string][]byte, len(clients)),
		key:     key,
		ttl:     ttl,
		now:     time.Now,
	}
	// Looking tokens up by their hash keeps the comparison independent of
	// how many leading bytes of a guess are right.
	for tok, client := range staticTokens {
		a.static[sha256.Sum256([]byte(tok))] = client
	}
	for _, c := range clients {
		if _, err := bcrypt.Cost([]byte(c.SecretHash)); err != nil {
			return nil, fmt.Errorf("auth: client %q: secret_hash is not a bcrypt hash: %v", c.ID, err)
		}
		a.clients[c.ID] = []byte(c.SecretHash)
	}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// Authenticate returns the client id a token stands for.
func (a *Authority) Authenticate(token string) (string, error) {
	if token == "" {
		return "", ErrMissingToken
	}
	if client, ok := a.static[sha256.Sum256([]byte(token))]; ok {
		return client, nil
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return a.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithAudience(audience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(a.now))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", ErrExpiredToken
	case err != nil:
		// The library's own wording ("token has invalid claims: ...")
		// would tell a forger which check stopped the token.
		return "", fmt.Errorf("%w: not a token this server issued", ErrInvalidToken)
	}
	if _, known := a.clients[claims.Subject]; !known {
		return "", fmt.Errorf("%w: client %q is no longer configured", ErrInvalidToken, claims.Subject)
	}
	return claims.Subject, nil
}

// dummyHash keeps a request for an unknown client as slow as one for a known
// client with a wrong secret, so timing does not reveal which ids exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("livenessd-dummy-secret"), bcrypt.DefaultCost)

// Issue exchanges a client's id and secret for a signed token that expires
// after the configured TTL.
func (a *Authority) Issue(clientID, secret string) (token string, ttl time.Duration, err error) {
	hash, known := a.clients[clientID]
	if !known {
		hash = dummyHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(secret)) != nil || !known {
		return "", 0, ErrInvalidClient
	}
	now := a.now()
	claims := jwt.RegisteredClaims{
		Issuer:    issuer,
		Subject:   clientID,
		Audience:  jwt.ClaimStrings{audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(a.ttl)),
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.key)
	if err != nil {
		return "", 0, fmt.Errorf("auth: signing: %w", err)
	}
	return token, a.ttl, nil
}

// HashSecret makes the bcrypt hash to configure for a client secret.
func HashSecret(secret string) (string, error) {
	if len(secret) < 16 {
		return "", errors.New("auth: a client secret needs at least 16 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
	return string(h), err
}
