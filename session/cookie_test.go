package session

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequestCookie(t *testing.T) {
	for _, tc := range []struct {
		headers []string
		value   string
		n       int
	}{
		{nil, "", 0},
		{[]string{"sesame_session=abc"}, "abc", 1},
		{[]string{"a=1; sesame_session=abc; b=2"}, "abc", 1},
		{[]string{"a=1;sesame_session=abc"}, "abc", 1},
		{[]string{`sesame_session="abc"`}, "abc", 1},
		{[]string{"sesame_session=abc", "sesame_session=def"}, "def", 2},
		{[]string{"sesame_session=abc; sesame_session=def"}, "def", 2},
		{[]string{"xsesame_session=abc; sesame_sessionx=def"}, "", 0},
		{[]string{"sesame_session"}, "", 0},
		{[]string{"sesame_session="}, "", 1},
		{[]string{"  sesame_session = abc  "}, " abc", 1},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		for _, h := range tc.headers {
			r.Header.Add("Cookie", h)
		}
		v, n := requestCookie(r, "sesame_session")
		if v != tc.value || n != tc.n {
			t.Errorf("requestCookie(%q) = %q, %d; want %q, %d", tc.headers, v, n, tc.value, tc.n)
		}
	}
}

// BenchmarkCookie: finding the session cookie of a request with a few
// others allocates nothing.
func BenchmarkCookie(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "theme=dark; sesame_session=2hJ0C6nYyF9q7C8uV1wXz3aBcDeFgHiJkLmNoPqRsTu; lang=en")
	b.ReportAllocs()
	for b.Loop() {
		if _, n := requestCookie(r, "sesame_session"); n != 1 {
			b.Fatal(n)
		}
	}
}

// BenchmarkHashToken: turning the cookie's token into the hash a store is
// asked for allocates nothing either.
func BenchmarkHashToken(b *testing.B) {
	token, _ := newToken()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := hashToken(token); !ok {
			b.Fatal("not a token")
		}
	}
}

// BenchmarkNewToken: a fresh token and its hash, at every sign-in and
// renewal.
func BenchmarkNewToken(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		newToken()
	}
}

var _ = http.MethodGet
