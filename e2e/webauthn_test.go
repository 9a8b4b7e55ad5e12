package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// This file gives a browser what passkeys need: a virtual authenticator of
// the DevTools protocol (WebAuthn domain) in its tab, which makes and signs
// with real keys as a phone or laptop would, the user verified and present
// without a prompt; and the site at the name passkeys are made for. The
// server's relying party, serving on loopback, is localhost (app/passkeys.go),
// and a browser refuses passkeys to a page at 127.0.0.1, an address.

// startPasskeySite starts sesame as startSite does, the browser to open it
// at http://localhost:PORT, its relying party's origin.
func startPasskeySite(t *testing.T) *site {
	t.Helper()
	s := startSite(t)
	s.base = "http://localhost:" + s.port
	return s
}

// addAuthenticator gives the browser's tab a virtual platform authenticator
// (CTAP2, internal, resident keys, user verification that succeeds, presence
// without a touch) and returns its id. It holds its keys for as long as the
// tab lives, whichever page the tab shows.
func (b *browser) addAuthenticator() webauthn.AuthenticatorID {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.t.Fatalf("%s: enabling WebAuthn in DevTools: %v", b.name, err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		b.t.Fatalf("%s: adding a virtual authenticator: %v", b.name, err)
	}
	return res.AuthenticatorID
}

// heldCredentials are the credentials the virtual authenticator id holds.
func (b *browser) heldCredentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		b.t.Fatalf("%s: reading the authenticator's credentials: %v", b.name, err)
	}
	return res.Credentials
}

// ceremony clicks the button f finds, of a form that /static/passkey.js
// runs (options from the API, the browser's navigator.credentials, the
// form sent with the answer), and wants the page the form leads to to
// answer status. When no page comes, the test fails with what the form's
// alert says.
func (b *browser) ceremony(f find, status int64) {
	b.t.Helper()
	b.must(f)
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.JSPath(f.js)))
	if err != nil || res == nil {
		b.t.Fatalf("%s: clicking %s led to no page (%v); the form's alert says %q; the page says:\n%s",
			b.name, f.what, err, b.passkeyAlert(), b.text())
	}
	b.arrived("click "+f.what, res.Status, status)
}

// passkeyAlert is what the passkey forms of the page say in their alerts.
func (b *browser) passkeyAlert() string {
	b.t.Helper()
	return eval[string](b, `[...document.querySelectorAll('[data-passkey-error]')].map(e => e.textContent.trim()).filter(t => t).join(' | ')`)
}

// addPasskey adds a passkey named name from the security page, which the
// browser shows, and wants the page to list it.
func (b *browser) addPasskey(name string) {
	b.t.Helper()
	b.fill(field("Name of the new passkey"), name)
	b.ceremony(button("Add a passkey"), 200)
	if h := b.heading(); h != "Security" {
		b.t.Fatalf("%s: adding a passkey led to %s (%q), want the security page", b.name, b.path(), h)
	}
	b.must(button("Delete “" + name + "”"))
}

// signWith has the page the browser shows ask its authenticator for an
// assertion (navigator.credentials.get) with the request options
// publicKey, as PublicKeyCredentialRequestOptionsJSON, and returns the
// credential as the page's script would send it: JSON.stringify of the
// PublicKeyCredential (its toJSON).
func (b *browser) signWith(publicKey json.RawMessage) json.RawMessage {
	b.t.Helper()
	got := eval[string](b, `(async () => {
		const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(`+string(publicKey)+`);
		return JSON.stringify(await navigator.credentials.get({publicKey}));
	})()`)
	return json.RawMessage(got)
}

// meAnswer is what /api/v1/me says of the session.
type meAnswer struct {
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	AAL     string   `json:"aal"`
	Factors []string `json:"factors"`
}

// me asks the API, from the page shown (with the browser's cookie), who is
// signed in and how.
func (b *browser) me() meAnswer {
	b.t.Helper()
	return eval[meAnswer](b, `fetch('/api/v1/me').then(r => r.ok ? r.json() : Promise.reject(new Error('/api/v1/me answered ' + r.status)))`)
}

// clientData is what a browser puts, and the authenticator signs, in
// clientDataJSON: the ceremony, its challenge and the origin of the page
// that asked.
type clientData struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	Origin    string `json:"origin"`
}

// clientDataOf reads the clientDataJSON of a credential's JSON.
func clientDataOf(t *testing.T, credential json.RawMessage) clientData {
	t.Helper()
	var c struct {
		Response struct {
			ClientDataJSON string `json:"clientDataJSON"`
		} `json:"response"`
	}
	if err := json.Unmarshal(credential, &c); err != nil {
		t.Fatalf("the credential is not JSON: %v: %s", err, credential)
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Response.ClientDataJSON)
	if err != nil {
		t.Fatalf("clientDataJSON %q is not base64url: %v", c.Response.ClientDataJSON, err)
	}
	var d clientData
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("clientDataJSON is not JSON: %v: %s", err, raw)
	}
	return d
}

// apiClient calls the site's JSON API from Go, as a program does: with a
// cookie jar of its own, and without the Origin or Sec-Fetch-Site a
// browser would add.
type apiClient struct {
	t    *testing.T
	site *site
	http *http.Client
}

func newAPIClient(t *testing.T, s *site) *apiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, site: s, http: &http.Client{Jar: jar, Timeout: actionTimeout}}
}

// call sends method path with body as JSON (none when nil) and returns
// the status and the body of the answer.
func (c *apiClient) call(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.site.url(path), in)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return res.StatusCode, out
}

// signInOptions begins a sign-in with a passkey alone and returns the
// options the browser is to be given (the answer's publicKey).
func (c *apiClient) signInOptions() json.RawMessage {
	c.t.Helper()
	status, body := c.call(http.MethodPost, "/api/v1/session/passkey/options", struct{}{})
	if status != http.StatusOK {
		c.t.Fatalf("POST /api/v1/session/passkey/options answered %d, want 200: %s", status, body)
	}
	var opts struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &opts); err != nil || len(opts.PublicKey) == 0 {
		c.t.Fatalf("POST /api/v1/session/passkey/options: no publicKey in %s (%v)", body, err)
	}
	return opts.PublicKey
}

// apiError is the body of an API error answer.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
