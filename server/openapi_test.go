package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"go.yaml.in/yaml/v3"

	"github.com/livenessd/livenessd/auth"
	"github.com/livenessd/livenessd/config"
)

// openAPIMethods are the keys of an OpenAPI path item that are operations.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadOpenAPI parses the embedded document into plain maps and slices.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	m, ok := openAPIMap(doc)
	if !ok {
		t.Fatalf("openapi.yaml: top level is %T, not a mapping", doc)
	}
	return m
}

// openAPIMap accepts both map shapes yaml.v3 produces (string keys, or any keys
// when one is not a string, such as an unquoted status code).
func openAPIMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[fmt.Sprint(k)] = v
		}
		return out, true
	}
	return nil, false
}

// openAPIOp is one documented (METHOD, path) with its definition.
type openAPIOp struct {
	method, path string
	def          map[string]any
}

func (o openAPIOp) String() string { return o.method + " " + o.path }

func openAPIOperations(t *testing.T, doc map[string]any) []openAPIOp {
	t.Helper()
	paths, ok := openAPIMap(doc["paths"])
	if !ok {
		t.Fatal("openapi.yaml: paths is missing or not a mapping")
	}
	var ops []openAPIOp
	for path, item := range paths {
		pi, ok := openAPIMap(item)
		if !ok {
			t.Errorf("paths[%s] is not a mapping", path)
			continue
		}
		for key, def := range pi {
			if !slices.Contains(openAPIMethods, key) {
				continue // summary, description, parameters, servers
			}
			d, ok := openAPIMap(def)
			if !ok {
				t.Errorf("%s %s: operation is not a mapping", strings.ToUpper(key), path)
				continue
			}
			ops = append(ops, openAPIOp{strings.ToUpper(key), path, d})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// openAPITestServer is a server without engine or store: enough to route requests
// and check tokens.
func openAPITestServer(t *testing.T) *Server {
	t.Helper()
	au, err := auth.New(nil, nil, make([]byte, 32), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &Server{
		cfg:     config.Default(),
		auth:    au,
		log:     slog.New(slog.DiscardHandler),
		metrics: newMetrics(func() int { return 0 }),
	}
}

// openAPIServedRoutes is every (METHOD, route) the router serves.
func openAPIServedRoutes(t *testing.T, h http.Handler) []string {
	t.Helper()
	routes, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("routes() returned %T, not a chi.Routes", h)
	}
	var out []string
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	documented := map[string]bool{}
	for _, op := range openAPIOperations(t, loadOpenAPI(t)) {
		documented[op.String()] = true
	}
	served := map[string]bool{}
	for _, r := range openAPIServedRoutes(t, openAPITestServer(t).routes()) {
		served[r] = true
	}
	if len(served) == 0 {
		t.Fatal("chi.Walk found no routes")
	}
	var undocumented, unserved []string
	for r := range served {
		if !documented[r] {
			undocumented = append(undocumented, r)
		}
	}
	for r := range documented {
		if !served[r] {
			unserved = append(unserved, r)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unserved)
	if len(undocumented) > 0 {
		t.Errorf("routes served but missing from openapi.yaml:\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(unserved) > 0 {
		t.Errorf("operations in openapi.yaml that the router does not serve:\n  %s", strings.Join(unserved, "\n  "))
	}
}

// TestOpenAPISecurityMatchesRoutes checks that exactly the operations the
// document marks as open (an empty security requirement) answer a request
// without a token with something other than 401, and that every other
// operation documents its 401.
func TestOpenAPISecurityMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	global, _ := doc["security"].([]any)
	h := openAPITestServer(t).routes()
	for _, op := range openAPIOperations(t, doc) {
		reqs := global
		if s, ok := op.def["security"]; ok {
			reqs, _ = s.([]any)
		}
		open := len(reqs) == 0
		for _, r := range reqs {
			if m, ok := openAPIMap(r); ok && len(m) == 0 {
				open = true
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(op.method, op.path, nil))
		needsToken := rec.Code == http.StatusUnauthorized
		switch {
		case open && needsToken:
			t.Errorf("%s: documented as open, but answers 401 without a token", op)
		case !open && !needsToken:
			t.Errorf("%s: documented as needing a token, but answers %d without one", op, rec.Code)
		}
		if responses, _ := openAPIMap(op.def["responses"]); !open && responses["401"] == nil {
			t.Errorf("%s: needs a token but does not document 401", op)
		}
	}
}

func TestOpenAPIIsValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi: %q, want a 3.x version string", doc["openapi"])
	}
	if info, _ := openAPIMap(doc["info"]); info == nil || info["title"] == nil || info["version"] == nil {
		t.Error("info.title and info.version are required")
	}

	ops := openAPIOperations(t, doc)
	if len(ops) == 0 {
		t.Fatal("no operations under paths")
	}
	ids := map[string]string{}
	for _, op := range ops {
		responses, _ := openAPIMap(op.def["responses"])
		if len(responses) == 0 {
			t.Errorf("%s: no responses", op)
		}
		for code, resp := range responses {
			if code != "default" && (len(code) != 3 || code[0] < '1' || code[0] > '5') {
				t.Errorf("%s: response key %q is not an HTTP status code", op, code)
			}
			if r, ok := openAPIMap(resp); !ok || (r["description"] == nil && r["$ref"] == nil) {
				t.Errorf("%s: response %s needs a description or a $ref", op, code)
			}
		}
		if id, _ := op.def["operationId"].(string); id != "" {
			if prev, dup := ids[id]; dup {
				t.Errorf("operationId %q used by both %s and %s", id, prev, op)
			}
			ids[id] = op.String()
		}
	}

	// Every $ref points into this document's components and resolves.
	refs := 0
	var walk func(v any, at string)
	walk = func(v any, at string) {
		if m, ok := openAPIMap(v); ok {
			for k, c := range m {
				if k == "$ref" {
					refs++
					ref, _ := c.(string)
					if err := resolveOpenAPIRef(doc, ref); err != nil {
						t.Errorf("%s: $ref %q: %v", at, ref, err)
					}
					continue
				}
				walk(c, at+"/"+k)
			}
			return
		}
		if l, ok := v.([]any); ok {
			for i, c := range l {
				walk(c, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "#")
	if refs == 0 {
		t.Error("no $ref found; the walk is broken")
	}
}

// resolveOpenAPIRef follows a local JSON pointer such as
// "#/components/schemas/Error".
func resolveOpenAPIRef(doc map[string]any, ref string) error {
	if !strings.HasPrefix(ref, "#/components/") {
		return fmt.Errorf("want a local reference into #/components/")
	}
	var cur any = doc
	for _, seg := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		m, ok := openAPIMap(cur)
		if !ok {
			return fmt.Errorf("%q is not inside a mapping", seg)
		}
		if cur, ok = m[seg]; !ok {
			return fmt.Errorf("%q not found", seg)
		}
	}
	if _, ok := openAPIMap(cur); !ok {
		return fmt.Errorf("target is %T, not a mapping", cur)
	}
	return nil
}
