package clientip_test

import (
	"crypto/tls"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sesamehq/sesame/internal/clientip"
)

func TestRemote(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"192.0.2.1", "192.0.2.1"}, // no port: as it is
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if got := clientip.Remote(r); got != tc.want {
			t.Errorf("Remote(%q) = %q; want %q", tc.remote, got, tc.want)
		}
	}
}

func TestParseProxies(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", "", ""},
		{"127.0.0.1/32", "127.0.0.1/32", ""},
		{" 10.0.0.0/8 , 2001:db8::/32 ", "10.0.0.0/8,2001:db8::/32", ""},
		{"192.0.2.7", "192.0.2.7/32", ""},
		{"10.1.2.3/8", "10.0.0.0/8", ""}, // masked, as the operator meant
		{"::ffff:10.0.0.0/104", "10.0.0.0/8", ""},
		{"nginx", "", `"nginx" is not a CIDR`},
		{"10.0.0.0/33", "", "is not a CIDR"},
		{"fe80::1%eth0", "", "zone"},
	} {
		p, err := clientip.ParseProxies(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseProxies(%q) = %v, %v; want an error with %q", tc.in, p, err, tc.err)
			}
		case err != nil:
			t.Errorf("ParseProxies(%q): %v", tc.in, err)
		case p.String() != tc.want:
			t.Errorf("ParseProxies(%q) = %q; want %q", tc.in, p.String(), tc.want)
		}
	}
}

// TestProxies holds the client address and the scheme to CONTRACT §7: the
// forwarding headers count only from a trusted peer, and then the client
// is the rightmost entry that is not a trusted proxy.
func TestProxies(t *testing.T) {
	trusted, err := clientip.ParseProxies("10.0.0.0/8,2001:db8:1::/48")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		proxies   clientip.Proxies
		remote    string
		xff       []string
		proto     []string
		tls       bool
		wantIP    string
		wantHTTPS bool
	}{
		{name: "no proxy trusted: headers ignored", remote: "10.0.0.1:5000", xff: []string{"192.0.2.9"}, proto: []string{"https"},
			wantIP: "10.0.0.1"},
		{name: "untrusted peer forges both", proxies: trusted, remote: "198.51.100.4:5000", xff: []string{"192.0.2.9"}, proto: []string{"https"},
			wantIP: "198.51.100.4"},
		{name: "trusted peer, one entry", proxies: trusted, remote: "10.0.0.1:5000", xff: []string{"192.0.2.9"}, proto: []string{"https"},
			wantIP: "192.0.2.9", wantHTTPS: true},
		{name: "client's forged entry left of the real one", proxies: trusted, remote: "10.0.0.1:5000", xff: []string{"1.2.3.4, 192.0.2.9"},
			wantIP: "192.0.2.9"},
		{name: "chain of trusted proxies skipped", proxies: trusted, remote: "10.0.0.1:5000", xff: []string{"1.2.3.4, 192.0.2.9, 10.9.9.9", "10.0.0.2"},
			wantIP: "192.0.2.9"},
		{name: "every entry trusted: the leftmost", proxies: trusted, remote: "10.0.0.1:5000", xff: []string{"10.3.3.3, 10.2.2.2"},
			wantIP: "10.3.3.3"},
		{name: "no header from a trusted peer: the peer", proxies: trusted, remote: "10.0.0.1:5000",
			wantIP: "10.0.0.1"},
		{name: "garbage stops the walk at the last trusted hop", proxies: trusted, remote: "10.0.0.1:5000", xff: []string{"192.0.2.9, <script>, 10.2.2.2"},
			wantIP: "10.2.2.2"},
		{name: "garbage right away: the peer", proxies: trusted, remote: "10.0.0.1:5000", xff: []string{"unknown"},
			wantIP: "10.0.0.1"},
		{name: "entry with a port", proxies: trusted, remote: "10.0.0.1:5000", xff: []string{"192.0.2.9:31337"},
			wantIP: "192.0.2.9"},
		{name: "IPv6 peer and entry", proxies: trusted, remote: "[2001:db8:1::5]:443", xff: []string{"[2001:db8:9::1]:1234"}, proto: []string{"https"},
			wantIP: "2001:db8:9::1", wantHTTPS: true},
		{name: "IPv4-mapped peer", proxies: trusted, remote: "[::ffff:10.0.0.1]:5000", xff: []string{"::ffff:192.0.2.9"},
			wantIP: "192.0.2.9"},
		{name: "proto http", proxies: trusted, remote: "10.0.0.1:5000", proto: []string{"http"}, wantIP: "10.0.0.1"},
		{name: "client's https ahead of the proxy's http", proxies: trusted, remote: "10.0.0.1:5000", proto: []string{"https, http"},
			wantIP: "10.0.0.1"},
		{name: "proto in capitals", proxies: trusted, remote: "10.0.0.1:5000", proto: []string{"HTTPS"}, wantIP: "10.0.0.1", wantHTTPS: true},
		{name: "TLS is HTTPS whoever the peer", remote: "198.51.100.4:5000", tls: true, wantIP: "198.51.100.4", wantHTTPS: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if !tc.tls {
				r.TLS = nil
			} else {
				r.TLS = &tls.ConnectionState{}
			}
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tc.proto {
				r.Header.Add("X-Forwarded-Proto", v)
			}
			if got := tc.proxies.ClientIP(r); got != tc.wantIP {
				t.Errorf("ClientIP = %q; want %q", got, tc.wantIP)
			}
			if got := tc.proxies.HTTPS(r); got != tc.wantHTTPS {
				t.Errorf("HTTPS = %v; want %v", got, tc.wantHTTPS)
			}
		})
	}
}
