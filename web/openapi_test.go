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
	return &spec{doc: doc, router: router}, nil
})

// The validator is safe for concurrent use (the race detector runs over
// the parallel tests that share it); it compiles each schema it checks a
// value against anew, which is what the check costs.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

// specOptions are the validator's: every status must be documented (no
// default answers), a body where the call takes none is refused, and the
// session cookie is the one security scheme.
var specOptions = &openapi3filter.Options{
	IncludeResponseStatus:             true,
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
