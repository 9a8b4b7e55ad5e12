package session

import (
	"net/http"
	"strings"
)

// requestCookie returns the value of the cookie called name that r carries,
// and how many cookies of that name it carries (a request may carry several:
// see Middleware). It reads the Cookie headers in place, allocating
// nothing, since it runs on every request; net/http's parser builds a
// Cookie for every cookie of the request to find one.
//
// It takes a value as net/http would: without surrounding double quotes.
// A value that is not a token the Manager issued fails hashToken later,
// whatever it holds.
func requestCookie(r *http.Request, name string) (value string, n int) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimLeft(part, " \t")
			k, v, ok := strings.Cut(part, "=")
			if !ok || strings.TrimRight(k, " \t") != name {
				continue
			}
			v = strings.TrimRight(v, " \t")
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			value, n = v, n+1
		}
	}
	return value, n
}
