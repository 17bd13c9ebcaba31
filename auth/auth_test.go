package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func authority(t *testing.T, opts ...Option) *Authority {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("svc-secret-0123456789"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(map[string]string{"static-token-0123456789": "bank"},
		[]Client{{ID: "svc", SecretHash: string(hash)}}, key, time.Hour, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStaticToken(t *testing.T) {
	a := authority(t)
	if c, err := a.Authenticate("static-token-0123456789"); err != nil || c != "bank" {
		t.Errorf("static token: %q %v", c, err)
	}
	if _, err := a.Authenticate(""); !errors.Is(err, ErrMissingToken) {
		t.Errorf("empty: %v", err)
	}
	if _, err := a.Authenticate("static-token-012345678"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a prefix of a token: %v", err)
	}
}

func TestIssuedToken(t *testing.T) {
	now := time.Now()
	a := authority(t, WithClock(func() time.Time { return now }))
	tok, ttl, err := a.Issue("svc", "svc-secret-0123456789")
	if err != nil || ttl != time.Hour {
		t.Fatalf("issue: %v %v", ttl, err)
	}
	if c, err := a.Authenticate(tok); err != nil || c != "svc" {
		t.Errorf("fresh token: %q %v", c, err)
	}
	now = now.Add(61 * time.Minute)
	if _, err := a.Authenticate(tok); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("after its TTL: %v", err)
	}

	for name, secret := range map[string]string{"wrong secret": "nope", "empty secret": ""} {
		if _, _, err := a.Issue("svc", secret); !errors.Is(err, ErrInvalidClient) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := a.Issue("ghost", "svc-secret-0123456789"); !errors.Is(err, ErrInvalidClient) {
		t.Errorf("unknown client: %v", err)
	}
}

func TestForgedTokens(t *testing.T) {
	a := authority(t)
	claims := jwt.RegisteredClaims{Issuer: issuer, Subject: "svc", Audience: jwt.ClaimStrings{audience},
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}
	sign := func(m jwt.SigningMethod, k any, c jwt.Claims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	noExp := claims
	noExp.ExpiresAt = nil
	otherAud := claims
	otherAud.Audience = jwt.ClaimStrings{"elsewhere"}
	ghost := claims
	ghost.Subject = "ghost"
	good := sign(jwt.SigningMethodHS256, key, claims)
	parts := strings.Split(good, ".")
	for name, tok := range map[string]string{
		"other key":         sign(jwt.SigningMethodHS256, []byte("another-key-another-key-another-k"), claims),
		"alg none":          sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims),
		"HS512":             sign(jwt.SigningMethodHS512, key, claims),
		"no expiry":         sign(jwt.SigningMethodHS256, key, noExp),
		"other audience":    sign(jwt.SigningMethodHS256, key, otherAud),
		"unknown client":    sign(jwt.SigningMethodHS256, key, ghost),
		"tampered payload":  parts[0] + "." + parts[1] + "x." + parts[2],
		"garbage":           "a.b.c",
		"signature removed": parts[0] + "." + parts[1] + ".",
	} {
		if _, err := a.Authenticate(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
	if _, err := a.Authenticate(good); err != nil {
		t.Errorf("the untampered token: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(nil, nil, []byte("short"), time.Hour); err == nil {
		t.Error("a 5-byte key was accepted")
	}
	if _, err := New(nil, []Client{{ID: "x", SecretHash: "plaintext"}}, key, time.Hour); err == nil {
		t.Error("a plaintext secret was accepted as a hash")
	}
}

func TestHashSecret(t *testing.T) {
	if _, err := HashSecret("short"); err == nil {
		t.Error("a short secret was hashed")
	}
	h, err := HashSecret("a-long-enough-secret")
	if err != nil || bcrypt.CompareHashAndPassword([]byte(h), []byte("a-long-enough-secret")) != nil {
		t.Errorf("hash %q: %v", h, err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "signing.key")
	k1, err := LoadOrCreateKey(p)
	if err != nil || len(k1) != 32 {
		t.Fatalf("create: %d bytes, %v", len(k1), err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	k2, err := LoadOrCreateKey(p)
	if err != nil || string(k1) != string(k2) {
		t.Errorf("reload gave another key (%v)", err)
	}
	if err := os.WriteFile(p, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(p); err == nil {
		t.Error("a 5-byte key file was accepted")
	}
}
