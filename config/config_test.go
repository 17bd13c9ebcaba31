package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "livenessd.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsNeedOnlyAToken(t *testing.T) {
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "LIVENESS_API_TOKENS") {
		t.Errorf("no tokens: %v, want an error naming LIVENESS_API_TOKENS", err)
	}
	c, err = Load("", env(map[string]string{"LIVENESS_API_TOKENS": "demo:demo-token-0123456789"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Limits.MaxImages != 16 || c.StorePath() != filepath.Join("data", "livenessd.db") {
		t.Errorf("defaults: %+v", c)
	}
}

func TestFileThenEnvironment(t *testing.T) {
	p := writeFile(t, `
addr: 0.0.0.0:9000
data_dir: /var/lib/livenessd
request_timeout: 10s
limits:
  max_images: 8
auth:
  api_tokens:
    - {client: bank, token: bank-token-0123456789}
inference:
  workers: 3
  thresholds:
    turn_yaw: 25
`)
	c, err := Load(p, env(map[string]string{"LIVENESS_ADDR": "127.0.0.1:7000", "LIVENESS_WORKERS": "5",
		"LIVENESS_API_TOKENS": "demo:demo-token-0123456789"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" || c.Inference.Workers != 5 {
		t.Errorf("environment did not override the file: addr %s workers %d", c.Addr, c.Inference.Workers)
	}
	if c.DataDir != "/var/lib/livenessd" || c.RequestTimeout != 10*time.Second || c.Limits.MaxImages != 8 ||
		c.Inference.Thresholds.TurnYaw != 25 {
		t.Errorf("file values lost: %+v", c)
	}
	if c.Inference.Thresholds.TiltPitch != 15 {
		t.Errorf("a threshold the file did not set lost its default: %v", c.Inference.Thresholds.TiltPitch)
	}
	if len(c.Auth.APITokens) != 2 || c.Auth.APITokens[1].Client != "demo" {
		t.Errorf("tokens: %+v", c.Auth.APITokens)
	}
}

func TestUnknownKeysAreErrors(t *testing.T) {
	for _, text := range []string{
		"adr: 127.0.0.1:1\n",
		"inference:\n  thresholds:\n    turn_yaww: 3\n",
		"limits:\n  max_image: 3\n",
	} {
		if _, err := Load(writeFile(t, text), env(nil)); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("%q: %v, want an unknown-field error", text, err)
		}
	}
}

func TestValidateReportsEverything(t *testing.T) {
	c := Default()
	c.Auth.APITokens = []APIToken{{Client: "a", Token: "short"}}
	c.Limits.MaxImages = 0
	c.LogLevel = "loud"
	c.Inference.Thresholds.Spoof = 1.5
	c.Inference.PAD.Fusion = "vote"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"at least 16 characters", "max_images 0", `log_level "loud"`, "thresholds.spoof 1.5", `inference.pad.fusion "vote"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestBadEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"LIVENESS_WORKERS":       "many",
		"LIVENESS_API_TOKENS":    "just-a-token",
		"LIVENESS_OAUTH_CLIENTS": "id-without-hash",
		"LIVENESS_TOKEN_TTL":     "forever",
	} {
		_, err := Load("", env(map[string]string{k: v}))
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v, want an error naming the variable", k, v, err)
		}
		if err != nil && strings.Contains(v, "token") && strings.Contains(err.Error(), v) {
			t.Errorf("%s: the error echoes the secret", k)
		}
	}
}
