package app

import (
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/sesamehq/sesame/internal/clip"
)

// loopbackNamesOnly refuses, with 421 Misdirected Request, a request whose
// Host is not a loopback name, for a server that listens on loopback only.
// A page on another site can point its own name at 127.0.0.1 (DNS
// rebinding) and then send requests that its browser counts as
// same-origin: Origin and Host both carry the attacker's name, so the
// cross-origin check passes. Only a request for a loopback name can come
// from a page of this server.
// Each refusal is logged, so that rebinding attempts can be seen.
func loopbackNamesOnly(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !loopbackHost(strings.Trim(host, "[]")) {
			log.WarnContext(r.Context(), "request for another host refused",
				"host", clip.String(r.Host, 256), "method", r.Method, "path", r.URL.Path, "ip", r.RemoteAddr)
			http.Error(w, "sesame answers only for localhost on this address", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
