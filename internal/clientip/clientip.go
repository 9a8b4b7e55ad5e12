// Package clientip tells the address of the client of a request.
package clientip

import (
	"net"
	"net/http"
)

// Remote returns the host part of r.RemoteAddr: the address of the peer
// that sent the request, which is the client unless a proxy stands between.
func Remote(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
