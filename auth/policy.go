package auth

import (
	_ "embed"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sesamehq/sesame"
)

// Length bounds of a new password, in characters (runes), per CONTRACT §6
// and NIST SP 800-63B: long enough to resist guessing, long enough for a
// passphrase, short enough that no one sends a megabyte to hash.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)

// commonPasswordsText is the shipped list of passwords that attackers try
// first: lowercase, one per line, only those of MinPasswordLen or more
// characters (shorter ones are refused by length already).
//
//go:embed common-passwords.txt
var commonPasswordsText string

// commonPasswords is commonPasswordsText as a set, built once at start.
var commonPasswords = func() map[string]struct{} {
	set := make(map[string]struct{})
	for line := range strings.Lines(commonPasswordsText) {
		if w := strings.TrimSpace(line); w != "" {
			set[strings.ToLower(w)] = struct{}{}
		}
	}
	return set
}()

// CheckNewPassword applies the password policy of CONTRACT §6 to a password
// someone is about to set (change, admin, command line): 8 to 256
// characters, counted as runes so that a passphrase in any script is
// measured as its owner sees it; not on the list of common passwords,
// whatever its case; and valid UTF-8 without control characters, and not
// spaces alone, so that it can be typed again in a login form (a NUL or an
// escape cannot be, and whitespace alone is no secret).
// Composition rules ("a digit and a symbol") are deliberately absent: they
// push people to predictable patterns like "Password1!" and add no strength.
//
// The refusal is a *sesame.InvalidError for field whose message says why.
// Existing passwords (and the demo accounts' seeded ones) are never checked
// against it: it judges only what is being set now.
func CheckNewPassword(field, password string) error {
	if why := passwordRefusal(password); why != "" {
		return sesame.Invalid(field, why)
	}
	return nil
}

// passwordRefusal returns why the policy refuses password, or "".
func passwordRefusal(password string) string {
	if !utf8.ValidString(password) {
		return "must be valid text (UTF-8)"
	}
	if strings.ContainsFunc(password, unicode.IsControl) {
		return "must not contain control characters (such as tabs or line breaks)"
	}
	if strings.TrimSpace(password) == "" && password != "" {
		return "must not be spaces alone"
	}
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLen:
		return "must be at least " + strconv.Itoa(MinPasswordLen) + " characters"
	case n > MaxPasswordLen:
		return "must be at most " + strconv.Itoa(MaxPasswordLen) + " characters"
	}
	if _, ok := commonPasswords[strings.ToLower(password)]; ok {
		return "is too common: choose another"
	}
	return ""
}

// PasswordRefusal returns why the policy refuses next as a new password
// (see CheckNewPassword), or "". When current is not "", next must also
// differ from it.
func PasswordRefusal(next, current string) string {
	if why := passwordRefusal(next); why != "" {
		return why
	}
	if current != "" && next == current {
		return "must differ from the current one"
	}
	return ""
}
