package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// Helpers for the audit trail (CONTRACT §6), read as its user reads it,
// through GET /api/v1/activity.

// trailOf returns the events of c's own audit trail, newest first, for a
// test that looks at more than whether one is there.
func trailOf(t *testing.T, c *client) []map[string]any {
	t.Helper()
	res := c.json(http.MethodGet, "/api/v1/activity?limit=500", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/activity: %d %s", res.StatusCode, body(res))
	}
	var out []map[string]any
	for _, e := range decode(t, res)["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// hasEvent reports whether c's own audit trail holds an event with action,
// outcome and a detail containing detail: the detail is prose, so a test
// looks for the part it cares about.
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

// hasEventWhere reports whether c's trail holds an event with action and
// outcome whose field key is exactly value ("" for any such event). Unlike
// hasEvent it pins a field whole, such as the session or the address an
// event names.
func hasEventWhere(t *testing.T, c *client, action, outcome, key, value string) bool {
	t.Helper()
	for _, e := range trailOf(t, c) {
		if e["action"] == action && e["outcome"] == outcome && (key == "" || e[key] == value) {
			return true
		}
	}
	return false
}
