package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/sesamehq/sesame"
)

func TestCheckNewPassword(t *testing.T) {
	tests := []struct {
		name, password string
		why            string // "" = accepted
	}{
		{"empty", "", "must be at least 8 characters"},
		{"7 characters", "abcdefg", "must be at least 8 characters"},
		{"8 characters", "tkq8vzpw", ""},
		{"256 characters", strings.Repeat("x", 255) + "y", ""},
		{"257 characters", strings.Repeat("x", 256) + "y", "must be at most 256 characters"},
		// 7 runes but 14 bytes: counted as the user sees it.
		{"7 runes in 14 bytes", "ßßßßßßß", "must be at least 8 characters"},
		{"8 runes", "ßßßßßßßß", ""},
		// 256 runes but 768 bytes: still allowed.
		{"256 runes in 768 bytes", strings.Repeat("日", 256), ""},
		{"257 runes", strings.Repeat("日", 257), "must be at most 256 characters"},
		{"common", "password123", "is too common: choose another"},
		{"common in other case", "PassWord123", "is too common: choose another"},
		{"common digits", "12345678", "is too common: choose another"},
		{"common with spaces around is not the common one", " password123 ", ""},
		{"no composition rules", "correct horse battery staple", ""},
		{"invalid UTF-8", "abcdefgh\xff", "must be valid text (UTF-8)"},
		{"NUL bytes", strings.Repeat("\x00", 8), "must not contain control characters (such as tabs or line breaks)"},
		{"an escape inside", "abcd\x1befgh", "must not contain control characters (such as tabs or line breaks)"},
		{"a tab", "correct\thorse", "must not contain control characters (such as tabs or line breaks)"},
		{"spaces alone", strings.Repeat(" ", 8), "must not be spaces alone"},
		{"other whitespace alone", strings.Repeat("\u3000", 8), "must not be spaces alone"},
		{"spaces inside are fine", "a b c d e f", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckNewPassword("new_password", tt.password)
			if tt.why == "" {
				if err != nil {
					t.Fatalf("CheckNewPassword(%q) = %v; want nil", tt.password, err)
				}
				return
			}
			var inv *sesame.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("CheckNewPassword(%q) = %v; want an *InvalidError", tt.password, err)
			}
			if got := inv.Fields["new_password"]; got != tt.why || len(inv.Fields) != 1 {
				t.Errorf("CheckNewPassword(%q) fields = %v; want new_password: %q", tt.password, inv.Fields, tt.why)
			}
		})
	}
}

// TestCommonPasswordList checks the shipped file: big enough to matter, and
// in the form the lookup assumes (lowercase, trimmed, long enough to pass
// the length rule, which would otherwise refuse them anyway).
func TestCommonPasswordList(t *testing.T) {
	if n := len(commonPasswords); n < 300 {
		t.Errorf("common password list has %d entries; want a few hundred", n)
	}
	for line := range strings.Lines(commonPasswordsText) {
		w := strings.TrimSuffix(line, "\n")
		if w != strings.ToLower(strings.TrimSpace(w)) || len([]rune(w)) < MinPasswordLen {
			t.Errorf("list entry %q: want lowercase, trimmed, at least %d characters", w, MinPasswordLen)
		}
	}
	for _, w := range []string{"password", "iloveyou", "qwertyuiop", "1q2w3e4r", "sunshine"} {
		if _, ok := commonPasswords[w]; !ok {
			t.Errorf("%q missing from the common password list", w)
		}
	}
}

func TestPasswordRefusal(t *testing.T) {
	for _, tt := range []struct{ next, current, want string }{
		{"a brand new passphrase", "correct horse battery", ""},
		{"a brand new passphrase", "", ""},
		{"correct horse battery", "correct horse battery", "must differ from the current one"},
		{"short", "short", "must be at least 8 characters"},    // the policy first
		{"Correct horse battery", "correct horse battery", ""}, // differs in case: differs
	} {
		if got := PasswordRefusal(tt.next, tt.current); got != tt.want {
			t.Errorf("PasswordRefusal(%q, %q) = %q; want %q", tt.next, tt.current, got, tt.want)
		}
	}
}
