package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// checkKeys refuses what encoding/json would silently accept: a key given
// twice at any depth (json keeps the last, so {"spoof_detection": true,
// "spoof_detection": false} turns the check off behind a reviewer's back)
// and a top-level key that matches a field of dst only case-insensitively
// ("Spoof_Detection"). Both are 400s naming the key.
func checkKeys(body []byte, dst any) error {
	if !json.Valid(body) {
		return nil // malformed JSON is the decoder's to report, with its offset
	}
	fields := jsonFields(reflect.TypeOf(dst))
	dec := json.NewDecoder(bytes.NewReader(body))
	depth := 0
	// One set of keys per open object; nil for an open array.
	var seen []map[string]bool
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end (a second value after it is the decoder's to report)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				seen = append(seen, map[string]bool{})
				depth++
				expectKey = true
				continue
			case '[':
				seen = append(seen, nil)
				depth++
			case '}', ']':
				seen = seen[:len(seen)-1]
				depth--
			}
		case string:
			if expectKey {
				keys := seen[len(seen)-1]
				if keys[t] {
					return errStatus(http.StatusBadRequest, fmt.Sprintf("key %q appears twice; give each field once", t))
				}
				keys[t] = true
				if depth == 1 && fields != nil && !fields[t] {
					for name := range fields {
						if strings.EqualFold(name, t) {
							return errStatus(http.StatusBadRequest, fmt.Sprintf("unknown field %q (field names are case-sensitive: %q)", t, name))
						}
					}
				}
				expectKey = false
				continue
			}
		}
		// After a value inside an object, the next token is a key.
		expectKey = len(seen) > 0 && seen[len(seen)-1] != nil
	}
}

// jsonFields are the JSON names of a struct's fields, embedded structs'
// included; nil when t is not a struct (or a pointer to one).
func jsonFields(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	out := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			for k := range jsonFields(f.Type) {
				out[k] = true
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = true
	}
	return out
}
