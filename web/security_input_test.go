package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Oversized and malformed bodies (CONTRACT §5): each is a clear error with
// its code and, where a field is at fault, its name; none is a 500 and none
// changes anything.

// sendRaw sends body as is, with content type ct.
func sendRaw(c *client, method, path, ct, body string) *http.Response {
	c.t.Helper()
	return c.do(method, path, ct, strings.NewReader(body))
}

// oversizedJSON is a JSON object just over 64 KiB whose keys are all
// expected: only its size is wrong.
func oversizedJSON(fields string) string {
	return `{` + fields + `}` + strings.Repeat(" ", 64<<10)
}

func TestOversizedBodies(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	pad := strings.Repeat("x", 65<<10)
	jsons := []struct{ method, path, fields string }{
		{"POST", "/api/v1/session", `"username":"authorized_user","password":"password123"`},
		{"POST", "/api/v1/cart/items", `"product_id":1,"quantity":1`},
		{"PUT", "/api/v1/cart/items/1", `"quantity":1`},
		{"POST", "/api/v1/checkout", ``},
		{"POST", "/api/v1/task", `"product_id":1,"quantity":1`},
	}
	for _, j := range jsons {
		what := j.method + " " + j.path
		expectErrorCode(t, sendRaw(c, j.method, j.path, "application/json", oversizedJSON(j.fields)), http.StatusRequestEntityTooLarge, "too_large", what+" (whitespace)")
		expectErrorCode(t, sendRaw(c, j.method, j.path, "application/json", `{"pad":"`+pad+`"}`), http.StatusRequestEntityTooLarge, "too_large", what+" (long string)")
	}
	forms := []struct {
		path string
		v    url.Values
	}{
		{"/login", url.Values{"username": {"authorized_user"}, "password": {demoPassword}}},
		{"/cart/items", url.Values{"product_id": {"1"}}},
		{"/cart/items/1", url.Values{"quantity": {"3"}}},
		{"/task", url.Values{"product_id": {"1"}, "quantity": {"5"}}},
		{"/account/password", url.Values{"current_password": {demoPassword}, "new_password": {"a-Quite-Unusual-Phrase-42"}}},
	}
	for _, f := range forms {
		f.v.Set("pad", pad)
		res := c.postForm(f.path, f.v)
		expectStatus(t, res, http.StatusRequestEntityTooLarge, "form POST "+f.path)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("form POST %s: Content-Type %q, want an HTML page", f.path, ct)
		}
	}
	expectSignedInAs(t, c, "authorized_user", "after the oversized bodies")
	if cart := expectStatus(t, c.json("GET", "/api/v1/cart", nil), http.StatusOK, "cart"); !strings.Contains(cart, `"items":[]`) {
		t.Errorf("an oversized body changed the cart: %s", cart)
	}
	if orders := expectStatus(t, c.json("GET", "/api/v1/orders", nil), http.StatusOK, "orders"); !strings.Contains(orders, `"orders":[]`) {
		t.Errorf("an oversized body placed an order: %s", orders)
	}
	// The old password still works: the password form refused the body.
	expectStatus(t, apiLogin(a.visitor(), "authorized_user", demoPassword), http.StatusCreated, "login with the old password")
}

func TestNonJSONContentTypeRefused(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	routes := []struct{ method, path, body string }{
		{"POST", "/api/v1/session", `{"username":"authorized_user","password":"password123"}`},
		{"POST", "/api/v1/cart/items", `{"product_id":1,"quantity":1}`},
		{"PUT", "/api/v1/cart/items/1", `{"quantity":1}`},
		{"POST", "/api/v1/checkout", `{}`},
		{"POST", "/api/v1/task", `{"product_id":1,"quantity":1}`},
	}
	for _, r := range routes {
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
			"text/json", "application/json-patch+json", "application/jsonx", "application/json, text/plain"} {
			expectErrorCode(t, sendRaw(c, r.method, r.path, ct, r.body), http.StatusUnsupportedMediaType,
				"unsupported_media_type", r.method+" "+r.path+" as "+ct)
		}
	}
	if cart := expectStatus(t, c.json("GET", "/api/v1/cart", nil), http.StatusOK, "cart"); !strings.Contains(cart, `"items":[]`) {
		t.Errorf("a refused body changed the cart: %s", cart)
	}
	// A charset parameter is still JSON.
	expectStatus(t, sendRaw(c, "POST", "/api/v1/cart/items", "application/json; charset=utf-8", `{"product_id":1}`), http.StatusOK, "JSON with charset")
}

func TestMalformedJSONRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, method, path, body, field string
	}{
		{"truncated", "POST", "/api/v1/cart/items", `{"product_id":1`, "body"},
		{"empty", "POST", "/api/v1/cart/items", ``, "body"},
		{"array", "POST", "/api/v1/cart/items", `[{"product_id":1}]`, "body"},
		{"null", "POST", "/api/v1/cart/items", `null`, "body"},
		{"string", "POST", "/api/v1/cart/items", `"product_id"`, "body"},
		{"trailing garbage", "POST", "/api/v1/cart/items", `{"product_id":1} x`, "body"},
		{"two objects", "POST", "/api/v1/cart/items", `{"product_id":1}{"product_id":2}`, "body"},
		{"unknown field", "POST", "/api/v1/cart/items", `{"product_id":1,"price_cents":1}`, "price_cents"},
		{"wrong case", "POST", "/api/v1/cart/items", `{"product_id":1,"Quantity":2}`, "Quantity"},
		{"case twin", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":1,"QUANTITY":90}`, "QUANTITY"},
		{"repeated key", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":1,"quantity":2}`, "quantity"},
		{"quantity null", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":null}`, "quantity"},
		{"product id null", "POST", "/api/v1/cart/items", `{"product_id":null}`, "product_id"},
		{"repeated id", "POST", "/api/v1/task", `{"product_id":1,"quantity":1,"product_id":2}`, "product_id"},
		{"quantity string", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":"2"}`, "quantity"},
		{"quantity fraction", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":2.5}`, "quantity"},
		{"quantity 1e30", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":1e30}`, "quantity"},
		{"quantity 2^63", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":9223372036854775808}`, "quantity"},
		{"quantity bool", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":true}`, "quantity"},
		{"quantity object", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":{"n":2}}`, "quantity"},
		{"quantity negative", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":-1}`, "quantity"},
		{"quantity zero", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":0}`, "quantity"},
		{"quantity absurd", "POST", "/api/v1/cart/items", `{"product_id":1,"quantity":1000000000}`, "quantity"},
		{"product id string", "POST", "/api/v1/cart/items", `{"product_id":"1"}`, "product_id"},
		{"product id negative", "POST", "/api/v1/cart/items", `{"product_id":-1}`, "product_id"},
		{"product id missing", "POST", "/api/v1/cart/items", `{"quantity":1}`, "product_id"},
		{"put quantity string", "PUT", "/api/v1/cart/items/1", `{"quantity":"2"}`, "quantity"},
		{"put quantity fraction", "PUT", "/api/v1/cart/items/1", `{"quantity":2.5}`, "quantity"},
		{"put quantity 1e30", "PUT", "/api/v1/cart/items/1", `{"quantity":1e30}`, "quantity"},
		{"put quantity bool", "PUT", "/api/v1/cart/items/1", `{"quantity":true}`, "quantity"},
		{"put quantity negative", "PUT", "/api/v1/cart/items/1", `{"quantity":-5}`, "quantity"},
		{"put quantity absurd", "PUT", "/api/v1/cart/items/1", `{"quantity":2147483648}`, "quantity"},
		{"put quantity missing", "PUT", "/api/v1/cart/items/1", `{}`, "quantity"},
		{"put wrong case", "PUT", "/api/v1/cart/items/1", `{"Quantity":1}`, "Quantity"},
		{"task quantity absurd", "POST", "/api/v1/task", `{"product_id":1,"quantity":1000001}`, "quantity"},
		{"task quantity zero", "POST", "/api/v1/task", `{"product_id":1,"quantity":0}`, "quantity"},
		{"task quantity negative", "POST", "/api/v1/task", `{"product_id":1,"quantity":-1000}`, "quantity"},
		{"task quantity missing", "POST", "/api/v1/task", `{"product_id":1}`, "quantity"},
		{"checkout with a field", "POST", "/api/v1/checkout", `{"total_cents":0}`, "total_cents"},
		{"checkout array", "POST", "/api/v1/checkout", `[]`, "body"},
		{"login username number", "POST", "/api/v1/session", `{"username":1,"password":"x"}`, "username"},
		{"login password missing", "POST", "/api/v1/session", `{"username":"authorized_user"}`, "password"},
		{"login wrong case", "POST", "/api/v1/session", `{"Username":"authorized_user","password":"password123"}`, "Username"},
	}
	a := newApp(t)
	c := a.authorized()
	expectStatus(t, c.json("POST", "/api/v1/cart/items", map[string]int{"product_id": 1, "quantity": 1}), http.StatusOK, "fill cart")
	before := accountState(t, c)
	// The reason fits the fault; these bodies are each wrong in one way.
	reasons := map[string]string{
		"repeated key":      "more than once",
		"quantity string":   "must be a whole number",
		"quantity fraction": "must be a whole number",
		"quantity 2^63":     "out of range",
		"quantity negative": "from 1 to 100",
		"quantity absurd":   "from 1 to 100",
	}
	for _, tc := range cases {
		e := expectErrorCode(t, sendRaw(c, tc.method, tc.path, "application/json", tc.body), http.StatusBadRequest, "bad_request", tc.name)
		fields, _ := e["fields"].(map[string]any)
		why, _ := fields[tc.field].(string)
		if why == "" {
			t.Errorf("%s: fields %v, want a reason for %q", tc.name, fields, tc.field)
		}
		if want := reasons[tc.name]; !strings.Contains(why, want) {
			t.Errorf("%s: %s %q, want it to say %q", tc.name, tc.field, why, want)
		}
	}
	if after := accountState(t, c); after != before {
		t.Errorf("refused bodies changed the account:\nbefore: %s\nafter:  %s", before, after)
	}
}

// hostileBodies are bodies no client should send: each must be answered
// with a 4xx, never a 500.
func hostileBodies() []string {
	return []string{
		``, ` `, `{`, `}`, `[]`, `[`, `null`, `true`, `0`, `"x"`, `{}`, `{}{}`, `{} x`,
		`{"product_id":null,"quantity":null}`,
		`{"product_id":{"$gt":0}}`,
		`{"product_id":1,"quantity":1e309}`,
		`{"product_id":1,"quantity":-9223372036854775808}`,
		`{"product_id":9223372036854775807,"quantity":1}`,
		`{"product_id":0,"quantity":1}`,
		`{"product_id":1,"quantity":100,"product_id":2}`,
		`{"username":["admin"],"password":{"x":1}}`,
		`{"username":"\u0000admin","password":"\ud800"}`,
		`{"__proto__":{"admin":true}}`,
		"\xef\xbb\xbf{\"product_id\":1}",
		"{\"product_id\":1,\"x\xff\":1}",
		"{\"product_id\":1}\x00",
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		`{"quantity":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
		`{"username":"` + strings.Repeat("a", 60000) + `","password":"b"}`,
		`{"product_id":1,"quantity":` + strings.Repeat("9", 5000) + `}`,
	}
}

// Every JSON route that takes a body survives every hostile body: a 4xx
// (or a success for the few that are valid), never a 500 nor a panic.
func TestHostileBodiesNeverServerError(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.admin()
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/session"},
		{"POST", "/api/v1/cart/items"},
		{"PUT", "/api/v1/cart/items/1"},
		{"PUT", "/api/v1/cart/items/999999"},
		{"PUT", "/api/v1/cart/items/-1"},
		{"POST", "/api/v1/checkout"},
		{"POST", "/api/v1/task"},
	}
	for _, r := range routes {
		for _, b := range hostileBodies() {
			res := sendRaw(c, r.method, r.path, "application/json", b)
			got := body(res)
			if res.StatusCode >= 500 {
				t.Errorf("%s %s with %.60q: %d %s", r.method, r.path, b, res.StatusCode, got)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("%s %s with %.60q: the answer is not JSON: %.200s", r.method, r.path, b, got)
			}
		}
	}
	if logs := a.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("the hostile bodies made the server log errors:\n%s", errorLines(logs))
	}
}

// errorLines returns the error lines of a log.
func errorLines(logs string) string {
	var b bytes.Buffer
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "level=ERROR") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// A body over 64 KiB is refused with 413 even where the route reads no
// body, before the route acts: the limit is the request's, not the
// handler's (CONTRACT §5). It holds for a declared length and for a body
// of unknown length (chunked), which cannot be judged by its header.
func TestOversizedBodyOnBodilessRoutes(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	other := a.authorized()
	_, _, otherID := whoAmI(t, other)
	expectStatus(t, c.json("POST", "/api/v1/cart/items", map[string]int{"product_id": 1, "quantity": 1}), http.StatusOK, "fill cart")
	before := accountState(t, c)
	pad := url.Values{"pad": {strings.Repeat("x", 65<<10)}}.Encode()
	for _, r := range []struct{ method, path, ct string }{
		{"POST", "/cart/items/1/delete", "application/x-www-form-urlencoded"},
		{"POST", "/checkout", "application/x-www-form-urlencoded"},
		{"POST", "/account/sessions/revoke-others", "application/x-www-form-urlencoded"},
		{"POST", "/account/sessions/" + otherID + "/revoke", "application/x-www-form-urlencoded"},
		{"POST", "/logout", "application/x-www-form-urlencoded"},
		{"DELETE", "/api/v1/cart/items/1", "application/json"},
		{"DELETE", "/api/v1/sessions/" + otherID, "application/json"},
		{"DELETE", "/api/v1/session", "application/json"},
	} {
		for _, b := range []struct {
			how  string
			body io.Reader
		}{
			{"declared", strings.NewReader(pad)},
			{"chunked", io.MultiReader(strings.NewReader(pad))}, // length unknown
		} {
			res := c.do(r.method, r.path, r.ct, b.body)
			what := r.method + " " + r.path + " (" + b.how + ")"
			if strings.HasPrefix(r.path, "/api/") {
				expectErrorCode(t, res, http.StatusRequestEntityTooLarge, "too_large", what)
			} else {
				expectStatus(t, res, http.StatusRequestEntityTooLarge, what)
			}
		}
	}
	if after := accountState(t, c); after != before {
		t.Errorf("oversized requests acted:\nbefore: %s\nafter:  %s", before, after)
	}
	expectSignedInAs(t, other, "authorized_user", "the session the oversized requests named")
}

// A form route reads URL-encoded forms only: a multipart body answers 415
// rather than look like a form whose fields are all missing. A checkout
// with two Idempotency-Key headers is refused: which one would count is a
// guess.
func TestFormMediaAndRepeatedKey(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	before := accountState(t, c)
	res := c.do("POST", "/cart/items", "multipart/form-data; boundary=x",
		strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"product_id\"\r\n\r\n1\r\n--x--\r\n"))
	expectStatus(t, res, http.StatusUnsupportedMediaType, "multipart add to cart")
	res = c.do("POST", "/cart/items", "text/plain", strings.NewReader("product_id=1"))
	expectStatus(t, res, http.StatusUnsupportedMediaType, "text/plain add to cart")

	expectStatus(t, c.json("POST", "/api/v1/cart/items", map[string]int{"product_id": 1, "quantity": 1}), http.StatusOK, "fill cart")
	c.Header.Add("Idempotency-Key", "one")
	c.Header.Add("Idempotency-Key", "two")
	e := expectErrorCode(t, c.json("POST", "/api/v1/checkout", nil), http.StatusBadRequest, "bad_request", "two keys")
	if fields, _ := e["fields"].(map[string]any); fields["Idempotency-Key"] == nil {
		t.Errorf("the refusal does not name Idempotency-Key: %v", e)
	}
	c.Header.Del("Idempotency-Key")
	expectStatus(t, c.json("DELETE", "/api/v1/cart/items/1", nil), http.StatusOK, "empty the cart again")
	if after := accountState(t, c); after != before {
		t.Errorf("refused requests changed the account:\nbefore: %s\nafter:  %s", before, after)
	}
}
