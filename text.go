package sesame

import (
	"strings"
	"unicode/utf8"
)

// Clip shortens text that came from a client (a typed username, a
// User-Agent) to at most n bytes of valid UTF-8, cut between characters, so
// that no input can bloat a table or break a page.
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
