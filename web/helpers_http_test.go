package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Helpers for what an HTTP answer must be: its status, its kind (an HTML
// page, a JSON object, the JSON error of CONTRACT §5, a redirect) and the
// shape of its JSON. Every test of the package uses them, so that a failure
// reads the same wherever it happens. The helpers for accounts, the audit
// trail and the shop are in helpers_accounts_test.go, helpers_audit_test.go
// and helpers_shop_test.go.

// expectStatus reads res and fails unless it answered want; it returns the
// body, for assertions on what the answer says. what, if given, names the
// request in the failure, for a call in a loop, where the line number alone
// does not tell which request failed.
func expectStatus(t *testing.T, res *http.Response, want int, what ...string) string {
	t.Helper()
	b := body(res)
	if res.StatusCode != want {
		t.Fatalf("%sstatus %d, want %d; body: %.400s",
			whatPrefix(what), res.StatusCode, want, b)
	}
	return b
}

// whatPrefix begins a failure message with what names the request, if
// anything does.
func whatPrefix(what []string) string {
	if len(what) == 0 {
		return ""
	}
	return strings.Join(what, " ") + ": "
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
			t.Fatalf("page lacks %q:\n%s", s, pageExcerpt(page))
		}
	}
	return page
}

// pageExcerpt is what a failure shows of page: from its <main> on, where
// the content starts, and no more than a screenful. Unlike mainPart it cuts
// for reading, not for a check.
func pageExcerpt(page string) string {
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

// expectErrorCode fails unless res answered status with a JSON error whose
// code is code; it returns the "error" object. Unlike expectAPIError it
// checks nothing else (not the Content-Type, the message or other keys):
// the security tests ask which refusal came, and leave the shape of
// CONTRACT §5 to the API tests. what is as for expectStatus.
func expectErrorCode(t *testing.T, res *http.Response, status int, code string, what ...string) map[string]any {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("%sstatus %d, want %d; body: %.400s", whatPrefix(what), res.StatusCode, status, body(res))
	}
	v := decode(t, res)
	e, _ := v["error"].(map[string]any)
	if e == nil || e["code"] != code {
		t.Fatalf("%sbody %v, want error code %q", whatPrefix(what), v, code)
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
// "cursor" (null or a string), or "any" (any value, null too: a test that
// cares says more).
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

// jsonKind reports whether v, as encoding/json decodes into any, is of
// kind, one of shape's kinds.
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
	case "any":
		return true
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
