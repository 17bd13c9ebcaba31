package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// checkKeys refuses what encoding/json would silently accept: a key given
// twice at any depth (json keeps the last, so {"spoof_detection": true,
// "spoof_detection": false} turns the check off behind a reviewer's back)
// and a top-level key that matches a field of dst only case-insensitively
// ("Spoof_Detection"). Both are 400s naming the key.
//
// The first problem is held until the body has been read to its end, in one
// pass: a body that is not one valid JSON value is the decoder's to report,
// with its offset, whatever came before the syntax error.
func checkKeys(body []byte, dst any) error {
	fields := jsonFields(reflect.TypeOf(dst))
	dec := json.NewDecoder(bytes.NewReader(body))
	var problem error
	// One set of keys per open object; nil for an open array.
	var seen []map[string]bool
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // not valid JSON
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				seen = append(seen, map[string]bool{})
				expectKey = true
				continue
			case '[':
				seen = append(seen, nil)
			case '}', ']':
				seen = seen[:len(seen)-1]
			}
		case string:
			if expectKey && problem == nil {
				problem = keyProblem(seen[len(seen)-1], t, len(seen) == 1, fields)
			}
			if expectKey {
				seen[len(seen)-1][t] = true
				expectKey = false
				continue
			}
		}
		if len(seen) == 0 {
			// The first value is complete: anything after it (a second
			// value, or garbage) is the decoder's to report.
			if _, err := dec.Token(); !errors.Is(err, io.EOF) {
				return nil
			}
			return problem
		}
		// After a value inside an object, the next token is a key.
		expectKey = seen[len(seen)-1] != nil
	}
}

// keyProblem is what is wrong with key in an object that has keys so far:
// given twice, or (at the top level) a field of dst in another case.
func keyProblem(keys map[string]bool, key string, top bool, fields map[string]bool) error {
	if keys[key] {
		return errStatus(http.StatusBadRequest, fmt.Sprintf("key %q appears twice; give each field once", key))
	}
	if !top || fields == nil || fields[key] {
		return nil
	}
	for name := range fields {
		if strings.EqualFold(name, key) {
			return errStatus(http.StatusBadRequest, fmt.Sprintf("unknown field %q (field names are case-sensitive: %q)", key, name))
		}
	}
	return nil
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
