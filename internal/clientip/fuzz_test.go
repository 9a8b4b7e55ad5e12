package clientip

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// FuzzClientIP gives ClientIP and HTTPS any peer address and any
// X-Forwarded-For and X-Forwarded-Proto, from a trusted proxy or not. What
// must hold whatever they say:
//   - from a peer that is not a trusted proxy, the headers change nothing:
//     the client is the peer, and only TLS is HTTPS;
//   - from a trusted proxy, the client is a real address: the peer, or an
//     entry of the header, never garbage for the throttle and the trail;
//   - "https" is believed only when the proxy said it.
func FuzzClientIP(f *testing.F) {
	for _, seed := range []struct{ remote, xff, proto string }{
		{"10.0.0.2:4000", "198.51.100.7", "https"},
		{"10.0.0.2:4000", "203.0.113.1, 198.51.100.7, 10.0.0.9", "https, http"},
		{"192.0.2.1:4000", "127.0.0.1", "https"},
		{"[2001:db8::1]:443", "[2001:db8:1::5]:80, ::ffff:10.1.2.3", "HTTPS"},
		{"10.0.0.2:4000", "not an address, 198.51.100.7", ""},
		{"10.0.0.2:4000", "fe80::1%eth0", "https"},
		{"garbage", "198.51.100.7", "https"},
		{"10.0.0.2", ",,,", ","},
	} {
		f.Add(seed.remote, seed.xff, seed.proto)
	}
	proxies, err := ParseProxies("10.0.0.0/8, 2001:db8::/32")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote, xff, proto string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		if proto != "" {
			r.Header.Set("X-Forwarded-Proto", proto)
		}
		client, https := proxies.ClientIP(r), proxies.HTTPS(r)
		if !proxies.Trusted(r) {
			if client != Remote(r) || https {
				t.Fatalf("untrusted peer %q with X-Forwarded-For %q, -Proto %q: client %q, https %v; want the peer and false",
					remote, xff, proto, client, https)
			}
			return
		}
		got, err := netip.ParseAddr(client)
		if err != nil || got.Zone() != "" {
			t.Fatalf("trusted peer %q, X-Forwarded-For %q: client %q is not a plain address", remote, xff, client)
		}
		p, _ := peer(r)
		var believable []netip.Addr
		for _, e := range forwardedFor(r.Header) {
			if a, ok := parseEntry(e); ok {
				believable = append(believable, a)
			}
		}
		if got != p && !slices.Contains(believable, got) {
			t.Fatalf("trusted peer %q, X-Forwarded-For %q: client %s is neither the peer nor an entry", remote, xff, got)
		}
		if https && !strings.Contains(strings.ToLower(proto), "https") {
			t.Fatalf("X-Forwarded-Proto %q counted as HTTPS", proto)
		}
	})
}
