// Package clientip tells the address of the client of a request, and
// whether it reached the server over HTTPS, believing the forwarding
// headers of reverse proxies only when they come from a proxy the operator
// trusts (CONTRACT §7, --trust-proxy).
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
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

// Proxies are the networks of the reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto are believed. The zero value trusts nobody: every
// request's client is its peer, and only a TLS connection is HTTPS.
type Proxies struct {
	nets []netip.Prefix
}

// ParseProxies reads a comma-separated list of CIDRs ("10.0.0.0/8,
// 2001:db8::/32"); a bare address stands for itself alone. An empty list
// trusts nobody.
func ParseProxies(list string) (Proxies, error) {
	var p Proxies
	for f := range strings.SplitSeq(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return Proxies{}, fmt.Errorf("%q is not a CIDR (like 10.0.0.0/8) or an address", f)
			}
			if a.Zone() != "" {
				return Proxies{}, fmt.Errorf("%q: an address with a zone cannot be trusted", f)
			}
			pfx = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		p.nets = append(p.nets, netip.PrefixFrom(pfx.Addr().Unmap(), unmappedBits(pfx)).Masked())
	}
	return p, nil
}

// unmappedBits is the prefix length of pfx once its address is unmapped:
// ::ffff:10.0.0.0/104 is 10.0.0.0/8.
func unmappedBits(pfx netip.Prefix) int {
	if pfx.Addr().Is4In6() {
		return max(0, pfx.Bits()-96)
	}
	return pfx.Bits()
}

// Empty reports whether p trusts nobody.
func (p Proxies) Empty() bool { return len(p.nets) == 0 }

// String lists the trusted networks as ParseProxies reads them.
func (p Proxies) String() string {
	s := make([]string, len(p.nets))
	for i, n := range p.nets {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

func (p Proxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// peer returns the address of r's peer, if it is one.
func peer(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, err := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap(), err == nil
	}
	return ap.Addr().Unmap(), true
}

// Trusted reports whether r's peer is one of the trusted proxies.
func (p Proxies) Trusted(r *http.Request) bool {
	if p.Empty() {
		return false
	}
	a, ok := peer(r)
	return ok && p.contains(a)
}

// ClientIP returns the address of r's client. From a trusted proxy it is
// the rightmost X-Forwarded-For entry that is not itself a trusted proxy:
// each proxy appends the address it was reached from, so entries left of
// the first untrusted one were written by the client and prove nothing.
// From any other peer the headers are ignored and the client is the peer.
//
// An entry that is not an address ends the walk where it stands, at the
// last trusted hop: whatever lies beyond it cannot be believed, and the
// throttle and the audit trail must never be given garbage for an address.
func (p Proxies) ClientIP(r *http.Request) string {
	if !p.Trusted(r) {
		return Remote(r)
	}
	client, _ := peer(r)
	entries := forwardedFor(r.Header)
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parseEntry(entries[i])
		if !ok {
			break
		}
		client = a
		if !p.contains(a) {
			break
		}
	}
	return client.String()
}

// HTTPS reports whether r's client reached this server over HTTPS: r came
// over TLS, or from a trusted proxy whose X-Forwarded-Proto says https.
// Several values (proxies that append) must all say https, so that a
// client's own "https" ahead of a proxy's "http" counts for nothing.
func (p Proxies) HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !p.Trusted(r) {
		return false
	}
	values := r.Header.Values("X-Forwarded-Proto")
	if len(values) == 0 {
		return false
	}
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			if !strings.EqualFold(strings.TrimSpace(f), "https") {
				return false
			}
		}
	}
	return true
}

// forwardedFor returns the entries of every X-Forwarded-For header of h, in
// order: several headers count as one list joined by commas (RFC 9110 §5.3).
func forwardedFor(h http.Header) []string {
	var entries []string
	for _, v := range h.Values("X-Forwarded-For") {
		for f := range strings.SplitSeq(v, ",") {
			entries = append(entries, strings.TrimSpace(f))
		}
	}
	return entries
}

// parseEntry reads one X-Forwarded-For entry: an address, or an address and
// port as some proxies write it ("192.0.2.1:1234", "[2001:db8::1]:443").
func parseEntry(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
