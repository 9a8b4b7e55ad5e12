package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// A scenario is one kind of request that wrk sends to every target alike.
type scenario struct {
	name, about  string
	sends        string // in short, for the chart
	method, path string
	auth         bool   // send the session cookie
	ctype, body  string // request body; "{n}" in it is replaced per request when cycle > 0
	cycle        int
	expect       int
	login        bool // runs at -login-c connections
}

// The form every login sends: the demo user of CONTRACT §2.
var loginForm = url.Values{"username": {"authorized_user"}, "password": {"password123"}}.Encode()

var scenarios = []scenario{
	{name: "products", sends: "signed in", method: "GET", path: "/products", auth: true, expect: 200,
		about: "The products page (HTML, 7 products, 5.3 kB) with the session cookie: session check, user, one product query, template."},
	{name: "cart", sends: "signed in", method: "GET", path: "/api/v1/cart", auth: true, expect: 200,
		about: "The JSON cart (3 lines) with the session cookie."},
	{name: "cart-update", sends: "signed in, a JSON body", method: "PUT", path: "/api/v1/cart/items/1", auth: true, expect: 200,
		ctype: "application/json", body: `{"quantity":{n}}`, cycle: 10,
		about: "Sets the quantity of one cart line, to a different value each time (1–10: the same value again would change nothing, and sesame would skip its write and audit), and gets the cart back."},
	{name: "login", sends: "the login form, no cookie", method: "POST", path: "/login", expect: 303, login: true,
		ctype: "application/x-www-form-urlencoded", body: loginForm,
		about: "A form sign-in that succeeds: the password hash, a new session and its cookie. Fewer connections: see the README."},
	{name: "redirect", sends: "no cookie", method: "GET", path: "/products", expect: 303,
		about: "A visitor without a cookie: 303 to the login page."},
}

// probe is what signing in and a few plain requests found before the load.
type probe struct {
	cookie string // the Cookie header for the signed-in scenarios
	page   []byte // GET /products, signed in
	cart   []byte // GET /api/v1/cart after the three lines were set
}

// cartAnswer is sesame's cart shape (CONTRACT §5); decoding refuses any
// other field, so a peer that drifts from it is caught before the load.
type cartAnswer struct {
	Items []struct {
		ProductID      int64  `json:"product_id"`
		Name           string `json:"name"`
		Quantity       int64  `json:"quantity"`
		UnitPriceCents int64  `json:"unit_price_cents"`
		LineTotalCents int64  `json:"line_total_cents"`
	} `json:"items"`
	TotalCents int64 `json:"total_cents"`
}

// signIn signs in with the login form, as a browser does, checks that each
// scenario's request gets the answer it expects, and puts three lines in the
// cart (products 1–3) so that the cart scenarios send a cart with lines.
func signIn(ctx context.Context, base string) (probe, error) {
	client := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	do := func(method, path, cookie, ctype, body string, want int) ([]byte, *http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Origin", base)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != want {
			err = fmt.Errorf("%s %s answered %d, want %d: %.200s", method, path, resp.StatusCode, want, b)
		}
		return b, resp, err
	}

	var p probe
	_, resp, err := do("POST", "/login", "", "application/x-www-form-urlencoded", loginForm, http.StatusSeeOther)
	if err != nil {
		return p, fmt.Errorf("sign-in: %w", err)
	}
	var cookies []string
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
	}
	if len(cookies) == 0 {
		return p, fmt.Errorf("sign-in: POST /login answered %d with no cookie", resp.StatusCode)
	}
	p.cookie = strings.Join(cookies, "; ")

	if p.page, _, err = do("GET", "/products", p.cookie, "", "", http.StatusOK); err != nil {
		return p, err
	}
	if _, resp, err = do("GET", "/products", "", "", "", http.StatusSeeOther); err != nil {
		return p, err
	}
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
		return p, fmt.Errorf("GET /products without a cookie went to %q, not the login page", loc)
	}
	for id, q := range []int{2, 1, 3} {
		path := fmt.Sprintf("/api/v1/cart/items/%d", id+1)
		if _, _, err = do("PUT", path, p.cookie, "application/json", fmt.Sprintf(`{"quantity":%d}`, q), http.StatusOK); err != nil {
			return p, err
		}
	}
	if p.cart, _, err = do("GET", "/api/v1/cart", p.cookie, "", "", http.StatusOK); err != nil {
		return p, err
	}
	var cart cartAnswer
	dec := json.NewDecoder(bytes.NewReader(p.cart))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cart); err != nil {
		return p, fmt.Errorf("GET /api/v1/cart: not sesame's cart shape: %w: %s", err, p.cart)
	}
	if len(cart.Items) != 3 || cart.TotalCents != 2*1200+2200+3*900 {
		return p, fmt.Errorf("GET /api/v1/cart: want 3 lines worth 7,300 cents, got %s", p.cart)
	}
	return p, nil
}

// env is what bench.lua needs to send this scenario's request.
func (s scenario) env(c *config, target string, base string, p probe) map[string]string {
	e := map[string]string{
		"TARGET": target, "SCENARIO": s.name, "METHOD": s.method, "ORIGIN": base,
		"EXPECT": fmt.Sprint(s.expect), "THREADS": fmt.Sprint(c.threads),
	}
	if s.auth {
		e["COOKIE"] = p.cookie
	}
	if s.body != "" {
		e["BODY"], e["CTYPE"] = s.body, s.ctype
	}
	if s.cycle > 0 {
		e["CYCLE"] = fmt.Sprint(s.cycle)
	}
	return e
}

func (s scenario) conns(c *config) int {
	if s.login {
		return min(c.conns, c.loginConns)
	}
	return c.conns
}
