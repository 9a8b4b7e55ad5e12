package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// A flash is the one-time message a page shows after the action that led
// to it ("Added 2 × Sesame mug to your cart."). It rides across the 303
// that follows every form in a short-lived cookie, so that it needs no
// JavaScript, never appears in a URL (where it would be logged, bookmarked
// and shared), and is shown once: the page that shows it clears it.
//
// The cookie holds a code and its arguments, never the text: the text comes
// from flashMessages, so a planted cookie can at worst pick one of the
// shop's own messages, with arguments that are length-bounded and escaped
// like everything else a template writes. Under TLS the cookie has the
// __Host- prefix, which no sibling domain can set.

// flashCookie is the name of the flash cookie over plain HTTP.
const flashCookie = "sesame_flash"

// flashTTL bounds how long an unshown flash waits: it belongs to the very
// next page.
const flashTTL = 60

// maxFlashArg bounds each argument, so the cookie stays small whatever a
// product or username is called.
const maxFlashArg = 120

// flashKind is how a message looks: good news, or a notice that something
// ended.
type flashKind string

const (
	flashDone   flashKind = "done"
	flashNotice flashKind = "notice"
)

// flashMessages are every message a flash may carry, by code: the format
// and the number of its %s arguments.
var flashMessages = map[string]struct {
	kind   flashKind
	format string
	args   int
}{
	"cart-added":      {flashDone, "Added %s × %s to your cart.", 2},
	"cart-updated":    {flashDone, "Your cart now holds %s × %s.", 2},
	"cart-removed":    {flashDone, "Removed %s from your cart.", 1},
	"order-placed":    {flashDone, "Thank you: order #%s is placed.", 1},
	"restocked":       {flashDone, "Restocked %s: %s now in stock.", 2},
	"password":        {flashDone, "Password changed; your other sessions were signed out.", 0},
	"revoked":         {flashDone, "That session was signed out.", 0},
	"revoked-others":  {flashDone, "Signed out everywhere else: %s.", 1},
	"reauthenticated": {flashDone, "Password confirmed: you may make changes for the next 10 minutes.", 0},
	"admin-saved":     {flashDone, "Done: the change is saved.", 0},
	"signed-out":      {flashNotice, "You have signed out.", 0},
	"session-ended":   {flashNotice, "Your session ended (it timed out or was signed out elsewhere). Sign in again to go on.", 0},
}

// flashView is a flash as the layout shows it.
type flashView struct {
	Kind flashKind
	Text string
}

// flashName is the flash cookie's name: with the __Host- prefix exactly
// when the session cookie has it (under TLS).
func (h *Handler) flashName(r *http.Request) string {
	if h.secureCookies(r) {
		return "__Host-" + flashCookie
	}
	return flashCookie
}

// secureCookies reports whether r's cookies are sent over TLS only, as
// the prefix of its session cookie says (under TLS, or from a trusted
// proxy that says https).
func (h *Handler) secureCookies(r *http.Request) bool {
	return strings.HasPrefix(h.sessions.CookieNameFor(r), "__Host-")
}

// flash sets the message of code, with its arguments, for the next page.
// An unknown code or a wrong number of arguments is a programming error
// that a test catches: it panics (and recoverPanics answers 500).
func (h *Handler) flash(w http.ResponseWriter, r *http.Request, code string, args ...string) {
	m, ok := flashMessages[code]
	if !ok || len(args) != m.args {
		panic(fmt.Sprintf("web: flash %q with %d arguments", code, len(args)))
	}
	var b strings.Builder
	b.WriteString(code)
	for _, a := range args {
		b.WriteByte('.')
		b.WriteString(base64.RawURLEncoding.EncodeToString([]byte(clipArg(a))))
	}
	http.SetCookie(w, h.flashCookie(r, b.String(), flashTTL))
}

// flashCookie is the flash cookie with value, for maxAge seconds (-1
// clears it).
func (h *Handler) flashCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{ // #nosec G124 -- HttpOnly and SameSite=Lax always; Secure exactly when the session cookie is
		Name: h.flashName(r), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secureCookies(r), SameSite: http.SameSiteLaxMode,
	}
}

// takeFlash returns the message the request's flash cookie carries, or
// nil, and clears the cookie with the answer: the message is shown once.
// A cookie that does not decode to a known message is cleared and ignored.
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) *flashView {
	c, err := r.Cookie(h.flashName(r))
	if err != nil {
		return nil
	}
	http.SetCookie(w, h.flashCookie(r, "", -1))
	return decodeFlash(c.Value)
}

// decodeFlash returns the message of a flash cookie's value, or nil.
func decodeFlash(value string) *flashView {
	if len(value) > 1024 {
		return nil
	}
	code, rest, _ := strings.Cut(value, ".")
	m, ok := flashMessages[code]
	if !ok {
		return nil
	}
	var args []any
	if rest != "" {
		for _, enc := range strings.Split(rest, ".") {
			a, err := base64.RawURLEncoding.DecodeString(enc)
			if err != nil || len(a) > maxFlashArg || !utf8.Valid(a) {
				return nil
			}
			args = append(args, string(a))
		}
	}
	if len(args) != m.args {
		return nil
	}
	return &flashView{Kind: m.kind, Text: fmt.Sprintf(m.format, args...)}
}

// clipArg cuts a to at most maxFlashArg bytes, on a rune boundary.
func clipArg(a string) string {
	if len(a) <= maxFlashArg {
		return a
	}
	a = a[:maxFlashArg]
	for !utf8.ValidString(a) {
		a = a[:len(a)-1]
	}
	return a
}
