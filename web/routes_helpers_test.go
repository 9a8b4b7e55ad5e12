package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame/sqlite"
)

// Helpers of the route tests (routes_pages_test.go, routes_api_test.go and
// friends). Their names are chosen not to clash with the harness or with
// the security tests, which share the package.

// The demo products the route tests use, by SKU (CONTRACT §2, app/demo.go).
const (
	skuMug     = "SES-MUG-01" // 1200 cents, plenty in stock
	skuTee     = "SES-TEE-02" // 2200 cents, plenty in stock
	skuLantern = "SES-LMP-06" // 4800 cents, 3 in stock
)

// expectStatus reads res and fails unless it answered want; it returns the
// body, for assertions on what the answer says.
func expectStatus(t *testing.T, res *http.Response, want int) string {
	t.Helper()
	b := body(res)
	if res.StatusCode != want {
		t.Fatalf("status %d, want %d; body: %.400s",
			res.StatusCode, want, b)
	}
	return b
}

// expectRedirect fails unless res is a 303 to location.
func expectRedirect(t *testing.T, res *http.Response, location string) {
	t.Helper()
	expectStatus(t, res, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != location {
		t.Fatalf("Location %q, want %q", got, location)
	}
}

// expectLoginRedirect fails unless res sends a visitor to the login page,
// with the way back to path.
func expectLoginRedirect(t *testing.T, res *http.Response, path string) {
	t.Helper()
	expectRedirect(t, res, "/login?next="+url.QueryEscape(path))
}

// expectHTML fails unless res answered want with an HTML page containing
// every one of snippets; it returns the page.
func expectHTML(t *testing.T, res *http.Response, want int, snippets ...string) string {
	t.Helper()
	page := expectStatus(t, res, want)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q, want HTML", ct)
	}
	for _, s := range snippets {
		if !strings.Contains(page, s) {
			t.Fatalf("page lacks %q:\n%s", s, mainOf(page))
		}
	}
	return page
}

// mainOf is the <main> of page, what a failure needs to show.
func mainOf(page string) string {
	if i := strings.Index(page, "<main>"); i >= 0 {
		page = page[i:]
	}
	if len(page) > 2000 {
		page = page[:2000] + "…"
	}
	return page
}

// expectJSON fails unless res answered want with a JSON object; it returns
// the object.
func expectJSON(t *testing.T, res *http.Response, want int) map[string]any {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("status %d, want %d; body: %.400s",
			res.StatusCode, want, body(res))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON", ct)
	}
	return decode(t, res)
}

// expectAPIError fails unless res is the JSON error of CONTRACT §5 with
// status and code; it returns the "error" object.
func expectAPIError(t *testing.T, res *http.Response, status int, code string) map[string]any {
	t.Helper()
	v := expectJSON(t, res, status)
	e, ok := v["error"].(map[string]any)
	if !ok || len(v) != 1 {
		t.Fatalf("not an error body: %v", v)
	}
	if e["code"] != code {
		t.Fatalf("error code %v, want %q (%v)", e["code"], code, e)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without a message: %v", e)
	}
	return e
}

// expectFields fails unless the error object e names exactly fields.
func expectFields(t *testing.T, e map[string]any, fields ...string) {
	t.Helper()
	got, _ := e["fields"].(map[string]any)
	if len(got) != len(fields) {
		t.Fatalf("error fields %v, want %v", got, fields)
	}
	for _, f := range fields {
		if why, _ := got[f].(string); why == "" {
			t.Fatalf("error fields %v, want a reason for %q", got, f)
		}
	}
}

// shape describes the JSON kind of each key of an object: "string",
// "number", "bool", "array", "object", "time" (an RFC 3339 string in UTC),
// or "cursor" (null or a string).
type shape map[string]string

// expectShape fails unless obj has exactly the keys of s, each of its kind.
func expectShape(t *testing.T, what string, obj any, s shape) map[string]any {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%s: %T %v, want an object", what, obj, obj)
	}
	for k := range m {
		if _, ok := s[k]; !ok {
			t.Errorf("%s: unexpected key %q in %v", what, k, m)
		}
	}
	for k, kind := range s {
		v, ok := m[k]
		if !ok {
			t.Errorf("%s: no key %q in %v", what, k, m)
			continue
		}
		if !jsonKind(v, kind) {
			t.Errorf("%s: %q is %T %v, want %s", what, k, v, v, kind)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

func jsonKind(v any, kind string) bool {
	switch kind {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "bool":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "time":
		s, ok := v.(string)
		if !ok {
			return false
		}
		tm, err := time.Parse(time.RFC3339, s)
		return err == nil && strings.HasSuffix(s, "Z") && tm.Location() == time.UTC
	case "cursor":
		_, ok := v.(string)
		return v == nil || ok
	}
	panic("unknown JSON kind " + kind)
}

// jsonTime parses an RFC 3339 time of an answer.
func jsonTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %v: %v", v, err)
	}
	return tm
}

// jsonInt is a JSON number as an int64.
func jsonInt(t *testing.T, v any) int64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok || f != float64(int64(f)) {
		t.Fatalf("%T %v is not a whole number", v, v)
	}
	return int64(f)
}

// apiGet fetches an API resource that must answer 200.
func apiGet(t *testing.T, c *client, path string) map[string]any {
	t.Helper()
	return expectJSON(t, c.json(http.MethodGet, path, nil), http.StatusOK)
}

// productID returns the id of the demo product with sku.
func productID(t *testing.T, c *client, sku string) int64 {
	t.Helper()
	for _, p := range apiGet(t, c, "/api/v1/products")["products"].([]any) {
		if p := p.(map[string]any); p["sku"] == sku {
			return jsonInt(t, p["id"])
		}
	}
	t.Fatalf("no product %s", sku)
	return 0
}

// stockOf returns the stock of product id.
func stockOf(t *testing.T, c *client, id int64) int64 {
	t.Helper()
	return jsonInt(t, apiGet(t, c, "/api/v1/products/"+itoa64(id))["stock"])
}

// cartQuantities returns the cart of c's user as product id → quantity.
func cartQuantities(t *testing.T, c *client) map[int64]int64 {
	t.Helper()
	q := map[int64]int64{}
	for _, l := range apiGet(t, c, "/api/v1/cart")["items"].([]any) {
		l := l.(map[string]any)
		q[jsonInt(t, l["product_id"])] = jsonInt(t, l["quantity"])
	}
	return q
}

// orderCount returns how many orders c's user has (up to 500).
func orderCount(t *testing.T, c *client) int {
	t.Helper()
	return len(apiGet(t, c, "/api/v1/orders?limit=500")["orders"].([]any))
}

// sessionID returns the public id of c's session.
func sessionID(t *testing.T, c *client) string {
	t.Helper()
	id, _ := apiGet(t, c, "/api/v1/me")["session"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatal("no public session id in /api/v1/me")
	}
	return id
}

// hasEvent reports whether c's own audit trail holds an event with action,
// outcome and a detail containing detail.
func hasEvent(t *testing.T, c *client, action, outcome, detail string) bool {
	t.Helper()
	for _, e := range apiGet(t, c, "/api/v1/activity?limit=500")["events"].([]any) {
		e := e.(map[string]any)
		if e["action"] == action && e["outcome"] == outcome && strings.Contains(e["detail"].(string), detail) {
			return true
		}
	}
	return false
}

// isSignedIn reports whether c's cookie still opens a session, by whether a
// private page lets it in.
func isSignedIn(t *testing.T, c *client) bool {
	t.Helper()
	res := c.get("/cart")
	body(res)
	switch res.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	t.Fatalf("GET /cart: status %d", res.StatusCode)
	return false
}

// addBuyers creates n users holding the customer and privileged roles
// (what authorized_user holds) with password password123, through a second
// handle on the app's database, as another sesame process would.
func addBuyers(t *testing.T, a *testApp, n int) []string {
	t.Helper()
	path, ok := strings.CutPrefix(a.srv.Config.DB, "sqlite:")
	if !ok {
		t.Fatalf("not a SQLite database: %s", a.srv.Config.DB)
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hash, err := testParams.Hash("password123")
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("buyer%02d", i)
		if _, err := db.CreateUser(context.Background(), names[i], hash, []string{"customer", "privileged"}); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
