// Package clip bounds the text that clients supply (a typed username, a
// User-Agent, an address a proxy reported) before it is stored or shown, and
// holds the one set of bounds that the session manager, the audit trail and
// the login throttle share.
package clip

import (
	"strings"
	"unicode/utf8"
)

// The longest text kept of each kind of client-supplied value, in bytes.
const (
	// IP holds any IP address in text (IPv6 takes at most 45 bytes) with
	// room for a zone.
	IP = 64
	// UserAgent keeps enough of a browser's User-Agent (real ones rarely
	// pass 300 bytes) to recognize it in a list of sessions.
	UserAgent = 512
	// Username is the longest username that can exist; longer names typed
	// at login are answered like unknown ones.
	Username = 64
)

// String shortens s to at most n bytes of valid UTF-8, cut between
// characters, so that no input can bloat a table or break a page.
func String(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
