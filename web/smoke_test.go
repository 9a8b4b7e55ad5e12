package web_test

import (
	"net/http"
	"testing"
)

func TestHarness(t *testing.T) {
	a := newApp(t)
	if res := a.visitor().get("/products"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fproducts" {
		t.Fatalf("visitor /products: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, c := range []*client{a.authorized(), a.unauthorized(), a.admin()} {
		if res := c.get("/products"); res.StatusCode != http.StatusOK {
			t.Errorf("/products: %d", res.StatusCode)
		}
	}
}
