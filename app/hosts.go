package app

import (
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/sesamehq/sesame/internal/clientip"
	"github.com/sesamehq/sesame/internal/clip"
)

// misdirected is what a refused request for another host is told: as the
// JSON error of CONTRACT §5 under /api/, as text elsewhere.
const (
	misdirectedText = "sesame answers only for localhost on this address"
	misdirectedJSON = `{"error":{"code":"misdirected","message":"sesame answers only for localhost on this address."}}` + "\n"
)

// loopbackNamesOnly refuses, with 421 Misdirected Request, a request whose
// Host is not a loopback name, for a server that listens on loopback only.
// A page on another site can point its own name at 127.0.0.1 (DNS
// rebinding) and then send requests that its browser counts as
// same-origin: Origin and Host both carry the attacker's name, so the
// cross-origin check passes. Only a request for a loopback name can come
// from a page of this server.
//
// A request from a trusted proxy (--trust-proxy) passes whatever its Host:
// the proxy forwards the public name its clients asked for, which the
// cross-origin check needs to see, and which names it serves is its
// configuration's business.
//
// Each refusal is logged, with the client's address as every line has it,
// so that rebinding attempts can be seen.
func loopbackNamesOnly(next http.Handler, proxies clientip.Proxies, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !loopbackHost(strings.Trim(host, "[]")) && !proxies.Trusted(r) {
			log.WarnContext(r.Context(), "request for another host refused",
				"host", clip.String(r.Host, 256), "method", r.Method, "ip", proxies.ClientIP(r))
			if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusMisdirectedRequest)
				_, _ = w.Write([]byte(misdirectedJSON)) // the client is gone if this fails
				return
			}
			http.Error(w, misdirectedText, http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
