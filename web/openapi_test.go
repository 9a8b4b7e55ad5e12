package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sesamehq/sesame/web"
)

// The OpenAPI document, web/openapi.yaml, describes the whole JSON API.
// Every call of the JSON API that a web test makes, through client.do, is
// checked against it here, request and answer, so that the document cannot
// drift from the code:
//
//   - a call the document does not have (no such path or method) must be
//     refused (401 for a visitor, 404, 405; 403 cross-origin and 413 too
//     large, which come before routing) with the error shape;
//   - a request the document refuses (a wrong type, a missing field, no
//     session cookie where one is needed…) must be refused by the server
//     too, with a 4xx that the document lists for the call;
//   - every answer must be one the document lists for the call, its status,
//     headers and body, whatever the request.
//
// A request the document accepts may still be refused with a documented
// status: the document cannot say everything (a password on the list of
// common ones, a product that does not exist).

// apiSpec is the document, loaded and checked once, with its router.
var apiSpec = sync.OnceValues(func() (*spec, error) {
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	whole, err := doc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("as JSON: %w", err)
	}
	asJSON, err := jsonschema.UnmarshalJSON(bytes.NewReader(whole))
	if err != nil {
		return nil, fmt.Errorf("as JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(specURL, asJSON); err != nil {
		return nil, fmt.Errorf("as JSON Schema: %w", err)
	}
	return &spec{doc: doc, router: router, compiler: c, schemas: map[string]*jsonschema.Schema{}}, nil
})

// specURL names the document as a JSON Schema resource, so that a body's
// schema is compiled from its place in it, its $refs resolved there.
const specURL = "openapi.json"

// The validator is safe for concurrent use (the race detector runs over
// the parallel tests that share it). kin-openapi checks the routes, the
// parameters, the security and the statuses; the bodies are checked here,
// against schemas compiled once each (kin-openapi compiles a 3.1 schema
// anew for every value, which made the check cost more than the tests).
type spec struct {
	doc      *openapi3.T
	router   routers.Router
	compiler *jsonschema.Compiler

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema // by JSON pointer into the document
}

// schema returns the compiled schema at pointer (a JSON pointer into the
// document), compiling it the first time.
func (s *spec) schema(pointer string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[pointer]; ok {
		return sch, nil
	}
	sch, err := s.compiler.Compile(specURL + "#" + pointer)
	if err != nil {
		return nil, err
	}
	s.schemas[pointer] = sch
	return sch, nil
}

// checkBody checks a JSON body against the schema at pointer.
func (s *spec) checkBody(pointer string, body []byte) error {
	sch, err := s.schema(pointer)
	if err != nil {
		return fmt.Errorf("schema %s: %w", pointer, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%#v", err) // GoString: every failing keyword and where
	}
	return nil
}

// pointerTo is the JSON pointer of the place of a referable object: its
// $ref's when it is one, else where it stands.
func pointerTo(ref, at string) string {
	if ref != "" {
		return strings.TrimPrefix(ref, "#")
	}
	return at
}

// escape writes one token of a JSON pointer.
func escape(token string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}

// checkBodies checks the request body against the operation's and the
// answer's against the one its status and content type name.
func (s *spec) checkBodies(route *routers.Route, req *http.Request, sent []byte, res *http.Response, got []byte) []error {
	var errs []error
	op := "/paths/" + escape(route.Path) + "/" + strings.ToLower(route.Method)
	if rb := route.Operation.RequestBody; rb != nil && len(sent) > 0 && res.StatusCode < 400 {
		mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
		if mt == "application/json" {
			if err := s.checkBody(pointerTo(rb.Ref, op+"/requestBody")+"/content/application~1json/schema", sent); err != nil {
				errs = append(errs, fmt.Errorf("request body: %w", err))
			}
		}
	}
	code := fmt.Sprint(res.StatusCode)
	r := route.Operation.Responses.Value(code)
	if r == nil || r.Value == nil {
		return append(errs, fmt.Errorf("status %s is not documented", code))
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if len(r.Value.Content) == 0 {
		if len(got) > 0 {
			errs = append(errs, fmt.Errorf("a %s answer with a body, documented without one", code))
		}
		return errs
	}
	if r.Value.Content.Get(mt) == nil {
		return append(errs, fmt.Errorf("Content-Type %q is not documented for %s", mt, code))
	}
	if mt == "application/json" {
		if err := s.checkBody(pointerTo(r.Ref, op+"/responses/"+code)+"/content/application~1json/schema", got); err != nil {
			errs = append(errs, fmt.Errorf("answer body: %w", err))
		}
	}
	return errs
}

// specOptions are the validator's: every status must be documented (no
// default answers), a body where the call takes none is refused, and the
// session cookie is the one security scheme.
var specOptions = &openapi3filter.Options{
	IncludeResponseStatus:             true,
	ExcludeRequestBody:                true, // checked by checkBodies
	ExcludeResponseBody:               true,
	RejectWhenRequestBodyNotSpecified: true,
	SkipSettingDefaults:               true,
	MultiError:                        true,
	AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		if in.SecuritySchemeName != "sessionCookie" {
			return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
		}
		if _, err := in.RequestValidationInput.Request.Cookie(in.SecurityScheme.Name); err != nil {
			return errors.New("no session cookie")
		}
		return nil
	},
}

// describedPath reports whether the document describes path: the API and
// the probes.
func describedPath(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}

// checkAPI holds one call of the API, sent as req with body sent, and its
// answer res with body got, to the document; a mismatch fails the test
// (and lets it go on, since it may run on another goroutine).
func (c *client) checkAPI(req *http.Request, sent []byte, res *http.Response, got []byte) {
	c.t.Helper()
	if !describedPath(req.URL.Path) || req.Method == http.MethodHead {
		return
	}
	s, err := apiSpec()
	if err != nil {
		c.t.Errorf("web/openapi.yaml: %v", err)
		return
	}
	what := req.Method + " " + req.URL.RequestURI()
	req.Body = io.NopCloser(bytes.NewReader(sent))
	req.ContentLength = int64(len(sent))
	ctx := context.Background()

	route, params, err := s.router.FindRoute(req)
	if err != nil {
		// What the server refuses before routing (a cross-origin request,
		// an oversized body) is refused wherever it is sent.
		switch res.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed,
			http.StatusRequestEntityTooLarge:
		default:
			c.t.Errorf("OpenAPI: %s is not in the document (%v), yet answered %d", what, err, res.StatusCode)
			return
		}
		if err := s.errorShape(res, got); err != nil {
			c.t.Errorf("OpenAPI: %s, not in the document, answered %d: %v", what, res.StatusCode, err)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: specOptions}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && res.StatusCode < 400 {
		c.t.Errorf("OpenAPI: the document refuses the request %s:\n%v\nbut the server answered %d", what, err, res.StatusCode)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode,
		Header: res.Header, Options: specOptions}
	out.SetBodyBytes(got)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.t.Errorf("OpenAPI: the answer %d to %s is not one the document gives:\n%v\nbody: %.600s", res.StatusCode, what, err, got)
	}
	for _, err := range s.checkBodies(route, req, sent, res, got) {
		c.t.Errorf("OpenAPI: %s answered %d: %v\nsent: %.300s\nbody: %.600s", what, res.StatusCode, err, sent, got)
	}
}

// errorShape checks an answer against the document's error shape.
func (s *spec) errorShape(res *http.Response, body []byte) error {
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json", res.Header.Get("Content-Type"))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return s.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
}

// TestOpenAPIDocument: the document is OpenAPI 3.1 and valid (examples
// included), and it describes exactly the routes of the JSON API and the
// probes that the server has, by method and path.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	s, err := apiSpec()
	if err != nil {
		t.Fatalf("web/openapi.yaml: %v", err)
	}
	if s.doc.OpenAPI != "3.1.0" || !s.doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1.0", s.doc.OpenAPI)
	}
	var documented []string
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	var served []string
	for _, p := range web.Patterns(newApp(t).srv.Handler()) {
		method, path, _ := strings.Cut(p, " ")
		if describedPath(path) {
			served = append(served, method+" "+path)
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but not in web/openapi.yaml", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("%s is in web/openapi.yaml but not served", r)
		}
	}
	if len(served) < 30 {
		t.Errorf("only %d API routes found: %v", len(served), served)
	}
}

// TestOpenAPIServed: GET /api/v1/openapi.yaml gives the document as it is
// in the repository, to anyone, as YAML that may be cached and revalidated,
// never with a cookie, even when the session's token is due for renewal.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	user := a.authorized()
	a.clock.Advance(16 * time.Minute) // past the renewal interval
	for _, c := range []*client{a.visitor(), user} {
		res := c.get("/api/v1/openapi.yaml")
		got := expectStatus(t, res, http.StatusOK, "GET /api/v1/openapi.yaml")
		if got != string(want) {
			t.Error("the document served differs from web/openapi.yaml")
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/yaml" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
			t.Errorf("Cache-Control %q, want the document cacheable", cc)
		}
		if len(res.Cookies()) != 0 {
			t.Errorf("the document came with cookies %v", res.Cookies())
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Security-Policy") == "" {
			t.Error("the document lacks the security headers")
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		again := c.withHeaders("If-None-Match", etag).get("/api/v1/openapi.yaml")
		expectStatus(t, again, http.StatusNotModified, "revalidation")
	}
	expectStatus(t, a.visitor().do("POST", "/api/v1/openapi.yaml", "", nil), http.StatusMethodNotAllowed, "POST")
}
