package web_test

import (
	"net/http"
	"testing"
)

// Cookie tossing: another service on the host (another port, a sibling
// domain) plants the attacker's own session cookie on a narrower path, so
// that the browser sends it first and the victim acts in the attacker's
// account. A request with two session cookies is answered as signed out,
// whichever comes first; the victim's session itself is not ended.
func TestCookieTossingRefused(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	victim := a.authorized()
	attacker := a.unauthorized()
	for _, first := range []string{"attacker", "victim"} {
		c := a.visitor()
		if first == "attacker" {
			c.Header.Set("Cookie", "sesame_session="+attacker.token())
			c.setToken(victim.token())
		} else {
			c.Header.Set("Cookie", "sesame_session="+victim.token())
			c.setToken(attacker.token())
		}
		res := c.json("GET", "/api/v1/me", nil)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s's cookie first: /api/v1/me answered %d, want 401 (%s)", first, res.StatusCode, body(res))
		}
		// A page acts for nobody either: adding to a cart is refused.
		res = c.postForm("/cart/items", nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fcart%2Fitems" {
			t.Errorf("%s's cookie first: POST /cart/items answered %d to %q, want 303 to the login page",
				first, res.StatusCode, res.Header.Get("Location"))
		}
	}
	expectSignedInAs(t, victim, "authorized_user", "the victim's own cookie, alone")
}
