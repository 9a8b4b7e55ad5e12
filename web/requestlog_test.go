package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestRequestLog: one line per request (CONTRACT §7), with the id the
// answer's X-Request-Id gives, the method, the route pattern and not the
// raw path, the status, and the public session id and user id of the
// session the request ran in: the new one of a sign-in, the ended one of a
// sign-out.
func TestRequestLog(t *testing.T) {
	a := newApp(t)
	c := a.visitor()
	lineOf := func(res *http.Response) string {
		t.Helper()
		id := res.Header.Get("X-Request-Id")
		if id == "" {
			t.Fatal("no X-Request-Id")
		}
		var found []string
		for l := range strings.Lines(a.logs.String()) {
			if strings.Contains(l, "msg=request ") && strings.Contains(l, "request_id="+id+" ") {
				found = append(found, l)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%d request lines with id %s:\n%s", len(found), id, a.logs.String())
		}
		return found[0]
	}
	expect := func(line string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(line, p) {
				t.Errorf("the line lacks %s:\n%s", p, line)
			}
		}
	}

	health := c.get("/healthz")
	expect(lineOf(health), `method=GET`, `route="GET /healthz"`, `status=200`, `duration=`, `ip=192.0.2.10`)
	if strings.Contains(lineOf(health), "session_id=") {
		t.Errorf("a line without a session has a session id")
	}

	login := formLogin(c, "authorized_user", demoPassword)
	ids := regexp.MustCompile(`session_id=(\S+) user_id=(\S+)`).FindStringSubmatch(lineOf(login))
	if ids == nil {
		t.Fatalf("the sign-in's line has no session:\n%s", lineOf(login))
	}
	expect(lineOf(login), `route="POST /login"`, `status=303`)
	order := c.get("/orders/987654")
	expect(lineOf(order), `route="GET /orders/{id}"`, `status=404`, "session_id="+ids[1], "user_id="+ids[2])
	if strings.Contains(a.logs.String(), "987654") {
		t.Errorf("the raw path is in the log")
	}
	expect(lineOf(c.get("/no/such/page")), `route=unmatched`, `status=404`)
	logout := c.postForm("/logout", nil)
	expect(lineOf(logout), `route="POST /logout"`, "session_id="+ids[1])
	if health.Header.Get("X-Request-Id") == login.Header.Get("X-Request-Id") {
		t.Errorf("two requests with one id")
	}
}
