package server

import (
	"encoding/json"
	"strings"
	"testing"
)

type keysProbe struct {
	TrxID string `json:"trx_id"`
	Inner struct {
		A int `json:"a"`
	} `json:"inner"`
}

func TestCheckKeys(t *testing.T) {
	for body, want := range map[string]string{
		`{"trx_id":"x","inner":{"a":1}}`:            "",
		`{"trx_id":"x","inner":{"a":1,"a":2}}`:      `key "a" appears twice`,
		`{"trx_id":"x","TRX_ID":"y"}`:               "case-sensitive",
		`{"list":[{"k":1},{"k":2}],"trx_id":"x"}`:   "", // the same key in two array elements is no duplicate
		`{"trx_id":"x","list":[{"k":1,"k":1}]}`:     `key "k" appears twice`,
		`{"trx_id":[{"a":1}],"inner":{"a":[1,{}]}}`: "",
		`{"trx_id":`: "", // malformed: left to the decoder
	} {
		err := checkKeys([]byte(body), &keysProbe{})
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

// FuzzCheckKeys: any bytes, never a panic, and valid JSON without repeated
// keys is never refused for a duplicate.
func FuzzCheckKeys(f *testing.F) {
	for _, s := range []string{`{}`, `{"trx_id":"x","inner":{"a":1,"a":2}}`, `[{"a":1},{"a":1}]`, `{"a":[{"b":{}}]}`, `{"x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := checkKeys(body, &keysProbe{})
		if err != nil && strings.Contains(err.Error(), "appears twice") {
			var m any
			if json.Unmarshal(body, &m) != nil {
				t.Fatalf("duplicate reported on invalid JSON %q", body)
			}
		}
	})
}

// Client messages name the JSON field, never the Go struct it sits in.
func TestFieldErrorsNameJSONFields(t *testing.T) {
	for field, want := range map[string]string{
		"Params.success_threshold": "success_threshold",
		"images":                   "images",
		"Plan.Inner.a":             "a",
		"inner.a":                  "inner.a",
	} {
		if got := jsonPath(field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
}
