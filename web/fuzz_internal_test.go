package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sesamehq/sesame"
)

// routesOnly is a Handler with its route table and nothing behind it, for
// the checks that only ask the table.
func routesOnly() *Handler {
	h := &Handler{mux: http.NewServeMux(), publicRoutes: http.NewServeMux()}
	h.routes()
	return h
}

// FuzzSafeNext: whatever a login's next asks for, the browser is sent to
// this site or nowhere: the answer is "" or a path that, resolved against
// the site as a browser resolves a Location, stays on the site.
func FuzzSafeNext(f *testing.F) {
	h := routesOnly()
	for _, seed := range []string{"/cart", "/orders/3?x=1", "//evil.example/", "/\\evil.example", "https://evil.example/",
		"/%2Fevil.example", "/%5Cevil.example", "/\t/evil.example", "javascript:alert(1)", "/cart#frag", "", "/api/v1/me", "/login",
		"/./../cart", "/%2e%2e/cart", "/cart\r\nSet-Cookie: x=1"} {
		f.Add(seed)
	}
	site, _ := url.Parse("https://shop.example/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := h.safeNext(next)
		if got == "" {
			return
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("safeNext(%q) = %q: not a plain local path", next, got)
		}
		u, err := site.Parse(got)
		if err != nil || u.Host != site.Host || u.Scheme != site.Scheme {
			t.Fatalf("safeNext(%q) = %q leads to %v (%v)", next, got, u, err)
		}
	})
}

// FuzzDecodeJSON: any body is read into a request struct or refused with
// an error the client is told about (400, 413, 415): never a panic, never
// an error the front end would answer with 500.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{`{"product_id":1,"quantity":2}`, `{}`, `[]`, `null`, `{"product_id":null}`, `{"Product_ID":1}`,
		`{"product_id":1,"product_id":2}`, `{"quantity":1e400}`, `{"quantity":-1}`, `{"x":1}`, `{"product_id":"1"}`, `{`,
		`{"product_id":1} {}`, "\xff", `{"quantity":99999999999999999999}`} {
		f.Add(seed, "application/json")
	}
	f.Add(`{}`, "text/plain")
	f.Add(`{}`, "application/json; charset=utf-8")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := httptest.NewRequest("POST", "/api/v1/cart/items", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBody)
		var in cartItemJSON
		err := decodeJSON(r, &in)
		if err == nil {
			return
		}
		if p := problemFor(err); p.Status >= 500 {
			t.Fatalf("body %q (%s): %v answers %d", body, contentType, err, p.Status)
		}
	})
}

// FuzzParseForm: any form body is read or refused with a client error,
// never a panic or a 500, and a field given twice is always refused.
func FuzzParseForm(f *testing.F) {
	for _, seed := range []string{"product_id=1&quantity=2", "a=1&a=2", "%zz", "=&=&", "quantity=" + strings.Repeat("9", 30), "x;y=1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/cart/items", bytes.NewBufferString(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		err := parseForm(r)
		var inv *sesame.InvalidError
		if err != nil && !errors.As(err, &inv) {
			if p := problemFor(err); p.Status >= 500 {
				t.Fatalf("form %q: %v answers %d", body, err, p.Status)
			}
		}
		if err == nil {
			for field, vs := range r.PostForm {
				if len(vs) > 1 {
					t.Fatalf("form %q: field %q given %d times was accepted", body, field, len(vs))
				}
			}
		}
	})
}
