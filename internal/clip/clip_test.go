package clip_test

import (
	"testing"
	"unicode/utf8"

	"github.com/sesamehq/sesame/internal/clip"
)

func TestString(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 3, "hel"},
		{"héllo", 2, "h"}, // é is two bytes: never cut in half
		{"héllo", 3, "hé"},
		{"🍪🍪", 5, "🍪"},
		{"a\xffb", 10, "a\uFFFDb"}, // invalid bytes become U+FFFD
		{"", 3, ""},
		{"abc", 0, ""},
	} {
		got := clip.String(tt.in, tt.n)
		if got != tt.want || len(got) > max(tt.n, len(tt.want)) || !utf8.ValidString(got) {
			t.Errorf("String(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
