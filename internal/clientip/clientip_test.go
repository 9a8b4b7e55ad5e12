package clientip_test

import (
	"net/http/httptest"
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
