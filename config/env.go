package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/livenessd/livenessd/inference"
)

// applyEnv overrides c with the LIVENESS_* variables that are set.
func (c *Config) applyEnv(getenv func(string) string) error {
	str := map[string]*string{
		"LIVENESS_ADDR":         &c.Addr,
		"LIVENESS_DATA_DIR":     &c.DataDir,
		"LIVENESS_LOG_LEVEL":    &c.LogLevel,
		"LIVENESS_LOG_FORMAT":   &c.LogFormat,
		"LIVENESS_DB":           &c.Store.Path,
		"LIVENESS_STORE_DRIVER": &c.Store.Driver,
		"LIVENESS_STORE_DSN":    &c.Store.DSN,
		"LIVENESS_NODE_ID":      &c.Node.ID,
		"LIVENESS_MODEL_CACHE":  &c.Models.Cache,
		"LIVENESS_MODEL_MIRROR": &c.Models.Mirror,
		"LIVENESS_ORT_LIB":      &c.Models.ORTLib,
	}
	for key, dst := range str {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	if v := getenv("LIVENESS_DEVICE"); v != "" {
		c.Inference.Device = inference.Device(v)
	}
	if v := getenv("LIVENESS_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("LIVENESS_WORKERS %q: not an integer", v)
		}
		c.Inference.Workers = n
	}
	if v := getenv("LIVENESS_WEBRTC_UDP_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("LIVENESS_WEBRTC_UDP_PORT %q: not an integer", v)
		}
		c.WebRTC.UDPPort = n
	}
	if v := getenv("LIVENESS_WEBRTC_PUBLIC_IPS"); v != "" {
		c.WebRTC.PublicIPs = strings.Split(v, ",")
	}
	if v := getenv("LIVENESS_TOKEN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("LIVENESS_TOKEN_TTL: %w", err)
		}
		c.Auth.TokenTTL = d
	}
	if v := getenv("LIVENESS_API_TOKENS"); v != "" {
		tokens, err := ParseAPITokens(v)
		if err != nil {
			return fmt.Errorf("LIVENESS_API_TOKENS: %w", err)
		}
		c.Auth.APITokens = append(c.Auth.APITokens, tokens...)
	}
	if v := getenv("LIVENESS_OAUTH_CLIENTS"); v != "" {
		clients, err := parseClients(v)
		if err != nil {
			return fmt.Errorf("LIVENESS_OAUTH_CLIENTS: %w", err)
		}
		c.Auth.Clients = append(c.Auth.Clients, clients...)
	}
	return nil
}

// ParseAPITokens reads "clientA:tokenA,clientB:tokenB".
func ParseAPITokens(s string) ([]APIToken, error) {
	pairs, err := splitPairs(s)
	if err != nil {
		return nil, err
	}
	out := make([]APIToken, len(pairs))
	for i, p := range pairs {
		out[i] = APIToken{Client: p[0], Token: p[1]}
	}
	return out, nil
}

// parseClients reads "id:bcrypt-hash,..." (bcrypt hashes hold no ':' or ',').
func parseClients(s string) ([]Client, error) {
	pairs, err := splitPairs(s)
	if err != nil {
		return nil, err
	}
	out := make([]Client, len(pairs))
	for i, p := range pairs {
		out[i] = Client{ID: p[0], SecretHash: p[1]}
	}
	return out, nil
}

// splitPairs parses comma-separated "key:value" items; values may not be
// echoed in errors because they are secrets.
func splitPairs(s string) ([][2]string, error) {
	var out [][2]string
	for i, item := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("item %d: want client:secret", i+1)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}
