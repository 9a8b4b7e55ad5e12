package web_test

import (
	"strings"
	"testing"
)

// Helpers for the audit trail (CONTRACT §6), read as its user reads it,
// through GET /api/v1/activity.

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
