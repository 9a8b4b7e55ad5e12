package web_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The protective headers of every answer, the session cookie's attributes,
// endpoints that must not exist, and the secrets that must never leave the
// server (CONTRACT §6).

// requiredCSP are the directives every Content-Security-Policy must hold.
var requiredCSP = map[string]string{
	"default-src":     "'self'",
	"object-src":      "'none'",
	"base-uri":        "'none'",
	"form-action":     "'self'",
	"frame-ancestors": "'none'",
}

// expectProtectiveHeaders fails unless res carries the headers every
// answer must, and no-store when it answers a signed-in user.
func expectProtectiveHeaders(t *testing.T, res *http.Response, signedIn bool, what string) {
	t.Helper()
	body(res)
	h := res.Header
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s (%d): X-Content-Type-Options %q", what, res.StatusCode, got)
	}
	if got := h.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("%s (%d): Referrer-Policy %q", what, res.StatusCode, got)
	}
	csp := h.Values("Content-Security-Policy")
	if len(csp) != 1 {
		t.Errorf("%s (%d): Content-Security-Policy %q, want one", what, res.StatusCode, csp)
		return
	}
	directives := map[string]string{}
	for _, d := range strings.Split(csp[0], ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[strings.ToLower(name)] = strings.TrimSpace(value)
	}
	for name, want := range requiredCSP {
		if directives[name] != want {
			t.Errorf("%s (%d): CSP %s is %q, want %q (%s)", what, res.StatusCode, name, directives[name], want, csp[0])
		}
	}
	if strings.Contains(csp[0], "unsafe-inline") || strings.Contains(csp[0], "unsafe-eval") {
		t.Errorf("%s: CSP allows unsafe code: %s", what, csp[0])
	}
	if signedIn && h.Get("Cache-Control") != "no-store" {
		t.Errorf("%s (%d): Cache-Control %q for a signed-in user, want no-store", what, res.StatusCode, h.Get("Cache-Control"))
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	visitor, user, limited := a.visitor(), a.authorized(), a.unauthorized()
	cross := []string{"Sec-Fetch-Site", "cross-site"}
	reqs := []struct {
		c                         *client
		method, path, ct, payload string
		kv                        []string
	}{
		{c: visitor, method: "GET", path: "/"},
		{c: visitor, method: "GET", path: "/login"},
		{c: visitor, method: "GET", path: "/products"},
		{c: visitor, method: "GET", path: "/api/v1/me"},
		{c: visitor, method: "GET", path: "/no-such-page"},
		{c: visitor, method: "GET", path: "/api/v1/no-such-call"},
		{c: visitor, method: "GET", path: "/static/style.css"},
		{c: visitor, method: "GET", path: "/static/"},
		{c: visitor, method: "GET", path: "/static//style.css"},
		{c: visitor, method: "GET", path: "/healthz"},
		{c: visitor, method: "GET", path: "/readyz"},
		{c: visitor, method: "DELETE", path: "/login"},
		{c: visitor, method: "POST", path: "/login", ct: "application/x-www-form-urlencoded", payload: "username=x&password=y"},
		{c: visitor, method: "POST", path: "/api/v1/session", ct: "text/plain", payload: "x"},
		{c: visitor, method: "POST", path: "/api/v1/cart/items", kv: cross},
		{c: user, method: "GET", path: "/"},
		{c: user, method: "GET", path: "/login"},
		{c: user, method: "GET", path: "/products"},
		{c: user, method: "GET", path: "/cart"},
		{c: user, method: "GET", path: "/checkout"},
		{c: user, method: "GET", path: "/orders"},
		{c: user, method: "GET", path: "/orders/424242"},
		{c: user, method: "GET", path: "/orders?limit=0"},
		{c: user, method: "GET", path: "/task"},
		{c: user, method: "GET", path: "/logout"},
		{c: user, method: "GET", path: "/account/sessions"},
		{c: user, method: "GET", path: "/account/activity"},
		{c: user, method: "GET", path: "/account/password"},
		{c: user, method: "GET", path: "/no-such-page"},
		{c: user, method: "GET", path: "/healthz"},
		{c: user, method: "GET", path: "/api/v1/me"},
		{c: user, method: "GET", path: "/api/v1/products"},
		{c: user, method: "GET", path: "/api/v1/products/424242"},
		{c: user, method: "GET", path: "/api/v1/cart"},
		{c: user, method: "GET", path: "/api/v1/orders"},
		{c: user, method: "GET", path: "/api/v1/sessions"},
		{c: user, method: "GET", path: "/api/v1/activity"},
		{c: user, method: "GET", path: "/api/v1/no-such-call"},
		{c: user, method: "PATCH", path: "/api/v1/cart"},
		{c: user, method: "POST", path: "/api/v1/cart/items", ct: "application/json", payload: `{"product_id":1}`},
		{c: user, method: "POST", path: "/api/v1/cart/items", ct: "application/json", payload: `{"product_id":"1"}`},
		{c: user, method: "POST", path: "/api/v1/cart/items", ct: "application/json", payload: `{"pad":"` + strings.Repeat("x", 65<<10) + `"}`},
		{c: user, method: "PUT", path: "/api/v1/cart/items/1", ct: "text/plain", payload: "1"},
		{c: user, method: "POST", path: "/cart/items", ct: "application/x-www-form-urlencoded", payload: "product_id=1"},
		{c: user, method: "POST", path: "/cart/items", ct: "application/x-www-form-urlencoded", payload: "product_id=x"},
		{c: user, method: "POST", path: "/cart/items", kv: cross},
		{c: user, method: "POST", path: "/api/v1/checkout", kv: cross},
		{c: limited, method: "GET", path: "/checkout"},
		{c: limited, method: "POST", path: "/api/v1/checkout"},
		{c: limited, method: "GET", path: "/task"},
		{c: user, method: "POST", path: "/logout"},
	}
	for _, r := range reqs {
		what := r.method + " " + r.path
		signedIn := r.c != visitor && !strings.HasPrefix(r.path, "/static/")
		res := r.c.withHeaders(r.kv...).do(r.method, r.path, r.ct, strings.NewReader(r.payload))
		expectProtectiveHeaders(t, res, signedIn, what)
	}
	// Strict-Transport-Security only where the connection is TLS.
	if res := a.visitor().get("https://example.com/login"); res.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no Strict-Transport-Security over TLS")
	}
	if res := a.visitor().get("/login"); res.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("Strict-Transport-Security over plain HTTP")
	}
	// Sign-in answers: the form's redirect and the API's 201.
	expectProtectiveHeaders(t, formLogin(a.visitor(), "authorized_user", demoPassword), false, "form login")
	expectProtectiveHeaders(t, apiLogin(a.visitor(), "authorized_user", demoPassword), false, "API login")
}

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// The session cookie is HttpOnly, SameSite=Lax, host-only on /, not Secure
// over plain HTTP, and carries 256 random bits.
func TestSessionCookieAttributes(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	seen := map[string]bool{}
	for i, login := range []func(*client, string, string) *http.Response{formLogin, apiLogin, formLogin, apiLogin} {
		res := login(a.visitor(), "authorized_user", demoPassword)
		body(res)
		var raw []string
		for _, line := range res.Header.Values("Set-Cookie") {
			if strings.Contains(line, "sesame_session") {
				raw = append(raw, line)
			}
		}
		cookies := res.Cookies()
		if len(raw) != 1 || len(cookies) != 1 {
			t.Fatalf("login %d: Set-Cookie %q, want exactly the session cookie", i, res.Header.Values("Set-Cookie"))
		}
		ck := cookies[0]
		if ck.Name != "sesame_session" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" ||
			ck.Domain != "" || ck.Secure {
			t.Errorf("login %d: cookie %q", i, raw[0])
		}
		for _, attr := range []string{"Domain=", "Secure", "__Host-"} {
			if strings.Contains(raw[0], attr) {
				t.Errorf("login %d: cookie %q has %s on plain HTTP", i, raw[0], attr)
			}
		}
		if !tokenPattern.MatchString(ck.Value) {
			t.Fatalf("login %d: token %q is not 43 base64url characters", i, ck.Value)
		}
		if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err != nil || len(b) != 32 {
			t.Errorf("login %d: token %q does not decode to 256 bits", i, ck.Value)
		}
		if seen[ck.Value] {
			t.Fatalf("login %d: token %q issued twice", i, ck.Value)
		}
		seen[ck.Value] = true
	}
}

// No directory listing, no source or template, no debug or profiling
// endpoint on the main listener. A signed-in user gets 404; a visitor gets
// 404 under /static/ and is sent to sign in anywhere else, as from every
// page that is not public. A path that is not in canonical form (dot
// segments) may first be redirected to its canonical form, as net/http
// does; that must then answer the same.
func TestNoListingsOrDebugEndpoints(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	for _, c := range []*client{a.visitor(), a.admin()} {
		signedIn := c.token() != ""
		for _, path := range []string{
			"/static/", "/static", "/static/.", "/static/..%2fweb.go", "/static/%2e%2e/web.go",
			"/static/templates", "/templates/login.html", "/static/../go.mod",
			"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=2",
			"/debug/vars", "/metrics", "/.git/config", "/sesame.db",
		} {
			res := c.get(path)
			loc := res.Header.Get("Location")
			if res.StatusCode/100 == 3 && strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "/login") {
				res = c.get(loc)
				loc = res.Header.Get("Location")
			}
			b := body(res)
			switch {
			case res.StatusCode == http.StatusNotFound:
			case !signedIn && res.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/login?next="):
			default:
				t.Errorf("GET %s (signed in: %v): %d %q, want 404 or, for a visitor, 303 to /login: %.200s",
					path, signedIn, res.StatusCode, loc, b)
			}
		}
	}
}

// The session token is never in a page, a JSON body, a URL or the log, and
// the store keeps only its hash; no password reaches the log; the public
// session id shown in pages and the API is not the token.
func TestSecretsStaySecret(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const wrong, newPassword = "Wr0ng-Secret-Guess-1", "Brand-New-Secret-Phrase-9"
	var answers []string // every body and header but Set-Cookie
	tokens := map[string]bool{}
	see := func(c *client, res *http.Response) {
		t.Helper()
		h := res.Header.Clone()
		h.Del("Set-Cookie")
		answers = append(answers, body(res), strings.Join(h.Values("Location"), " "), strings.Join(headerLines(h), "\n"))
		if tok := c.token(); tok != "" {
			tokens[tok] = true
		}
	}

	form, api, admin := a.visitor(), a.visitorFrom("198.51.100.40"), a.visitorFrom("198.51.100.41")
	see(form, formLogin(form, "authorized_user", wrong))
	see(api, apiLogin(api, "authorized_user", wrong))
	see(form, formLogin(form, "authorized_user", demoPassword))
	see(api, apiLogin(api, "authorized_user", demoPassword))
	see(admin, formLogin(admin, "admin", a.adminPassword))
	for _, c := range []*client{form, api, admin} {
		for _, path := range []string{"/", "/products", "/cart", "/orders", "/task", "/account/sessions",
			"/account/activity", "/account/password", "/logout", "/api/v1/me", "/api/v1/sessions",
			"/api/v1/activity", "/api/v1/cart", "/no-such-page"} {
			see(c, c.get(path))
		}
		_, _, id := whoAmI(t, c)
		if tokens[id] || id == c.token() {
			t.Errorf("the public session id is the token")
		}
		if pageID := sessionIDOnPage(t, c); tokens[pageID] {
			t.Errorf("the sessions page shows a token as the session id")
		}
	}
	see(form, form.postForm("/account/password", url.Values{"current_password": {wrong}, "new_password": {newPassword}}))
	see(form, form.postForm("/account/password", url.Values{"current_password": {demoPassword}, "new_password": {newPassword}}))
	see(form, form.get("/account/sessions"))
	see(admin, admin.json("DELETE", "/api/v1/session", nil))
	see(form, form.postForm("/logout", nil))
	if len(tokens) < 4 {
		t.Fatalf("only %d tokens seen", len(tokens))
	}

	logs := a.logs.String()
	db, _ := strings.CutPrefix(a.srv.Config.DB, "sqlite:")
	var stored []byte
	for _, f := range []string{db, db + "-wal"} {
		b, _ := os.ReadFile(f)
		stored = append(stored, b...)
	}
	for tok := range tokens {
		for i, s := range answers {
			if strings.Contains(s, tok) {
				t.Errorf("a token is in answer %d: %.300s", i, s)
			}
		}
		if strings.Contains(logs, tok) {
			t.Errorf("a token is in the log")
		}
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		if strings.Contains(string(stored), tok) || strings.Contains(string(stored), string(raw)) {
			t.Errorf("the database holds a token rather than its hash")
		}
	}
	for _, pw := range []string{demoPassword, a.adminPassword, wrong, newPassword} {
		if strings.Contains(logs, pw) {
			t.Errorf("the log holds a password %q", pw)
		}
	}
}

// The token authenticates only as the cookie: not in the query string, a
// form field or an Authorization header, where it would leak into logs,
// histories and Referer headers.
func TestTokenOnlyFromCookie(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	token := a.authorized().token()
	v := a.visitor()
	for _, res := range []*http.Response{
		v.get("/cart?sesame_session=" + token),
		v.get("/cart?token=" + token),
		v.postForm("/cart/items", url.Values{"product_id": {"1"}, "sesame_session": {token}}),
		v.withHeaders("Authorization", "Bearer "+token).get("/cart"),
		v.withHeaders("X-Session-Token", token).get("/cart"),
	} {
		body(res)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
			t.Errorf("%d to %q, want 303 to the login page", res.StatusCode, res.Header.Get("Location"))
		}
	}
	for _, res := range []*http.Response{
		v.json("GET", "/api/v1/me?sesame_session="+token, nil),
		v.withHeaders("Authorization", "Bearer "+token).json("GET", "/api/v1/me", nil),
	} {
		expectErrorCode(t, res, http.StatusUnauthorized, "unauthenticated", "the token outside the cookie")
	}
}

// headerLines renders h as "Name: value" lines.
func headerLines(h http.Header) []string {
	var lines []string
	for k, vs := range h {
		for _, v := range vs {
			lines = append(lines, k+": "+v)
		}
	}
	return lines
}
