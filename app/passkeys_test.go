package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sesamehq/sesame/internal/passkeytest"
)

// TestPasskeyFlags: the relying party comes from the flags, the one filled
// in from the other, or on loopback from the listener; what no browser
// would accept is refused before the server starts.
func TestPasskeyFlags(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name        string
		addr        string
		args        []string
		scheme      string
		wantID      string   // "" with wantOrigins nil: passkeys off
		wantOrigins []string // nil with wantErr: refused
		wantErr     string
	}{
		{"loopback default", "127.0.0.1:5000", nil, "http", "localhost", []string{"http://localhost:5000"}, ""},
		{"loopback default under TLS on 443", "127.0.0.1:443", nil, "https", "localhost", []string{"https://localhost"}, ""},
		{"off beyond loopback", "0.0.0.0:5000", nil, "http", "", nil, ""},
		{"the RP id alone", "0.0.0.0:5000", []string{"--passkey-rp-id", "shop.example"}, "http", "shop.example",
			[]string{"https://shop.example"}, ""},
		{"the origins alone", "0.0.0.0:5000", []string{"--passkey-origin", "https://shop.example:8443,https://www.shop.example"}, "http",
			"shop.example", []string{"https://shop.example:8443", "https://www.shop.example"}, ""},
		{"an origin under the RP id", "0.0.0.0:5000", []string{"--passkey-rp-id", "shop.example", "--passkey-origin", "https://www.shop.example"},
			"http", "shop.example", []string{"https://www.shop.example"}, ""},
		{"a single-label RP id", "0.0.0.0:5000", []string{"--passkey-rp-id", "example", "--passkey-origin", "https://shop.example"},
			"http", "", nil, "not a valid domain"},
		{"plain http beyond localhost", "0.0.0.0:5000", []string{"--passkey-origin", "http://shop.example"}, "http", "", nil,
			"passkeys need https"},
		{"an address as RP id", "0.0.0.0:5000", []string{"--passkey-rp-id", "192.0.2.1"}, "http", "", nil, "not an address"},
		{"an origin of another site", "0.0.0.0:5000", []string{"--passkey-rp-id", "shop.example", "--passkey-origin", "https://evil.example"},
			"http", "", nil, "is not shop.example nor a name under it"},
		{"an origin with a path", "0.0.0.0:5000", []string{"--passkey-origin", "https://shop.example/login"}, "http", "", nil,
			"scheme://host[:port]"},
		{"an origin in capitals", "0.0.0.0:5000", []string{"--passkey-origin", "https://Shop.example"}, "http", "", nil, "lower case"},
		{"a suffix that is not a label", "0.0.0.0:5000", []string{"--passkey-rp-id", "example", "--passkey-origin", "https://badexample"},
			"http", "", nil, "nor a name under it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseServeFlags(append([]string{"--addr", tt.addr, "--allow-demo-on-network"}, tt.args...), env(nil), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseServeFlags: %v; want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseServeFlags: %v", err)
			}
			_, port, _ := strings.Cut(tt.addr, ":")
			wa, err := passkeyParty(cfg, tt.scheme, port, quiet)
			if err != nil {
				t.Fatalf("passkeyParty: %v", err)
			}
			if tt.wantOrigins == nil {
				if wa != nil {
					t.Fatalf("passkeys on (%s, %v); want them off", wa.Config.RPID, wa.Config.RPOrigins)
				}
				return
			}
			if wa == nil || wa.Config.RPID != tt.wantID || !slices.Equal(wa.Config.RPOrigins, tt.wantOrigins) {
				t.Fatalf("relying party %+v; want %s at %v", wa, tt.wantID, tt.wantOrigins)
			}
		})
	}
}

// TestPasskeyAcrossInstances: two instances behind one name (one origin
// for both, as behind a load balancer) share the ceremonies: a
// registration begun on one finishes on the other, a sign-in begun on one
// is answered on the other, and that answer, replayed to the first, is
// refused.
func TestPasskeyAcrossInstances(t *testing.T) {
	cfg := testConfig(tempDB(t))
	cfg.PasskeyRPID, cfg.PasskeyOrigins = "localhost", []string{"http://localhost:5000"}
	a, b := start(t, cfg), start(t, cfg)
	dev := passkeytest.New()
	owner := newBrowser(t)
	owner.login(a, "authorized_user", "password123")
	status, opts := owner.do(http.MethodPost, a.url("/api/v1/account/passkeys/options"), nil)
	if status != http.StatusOK {
		t.Fatalf("registration options on A: %d %s", status, opts)
	}
	cred, err := dev.Create(opts, "http://localhost:5000")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := owner.do(http.MethodPost, b.url("/api/v1/account/passkeys"),
		map[string]any{"name": "laptop", "credential": json.RawMessage(cred)}); status != http.StatusCreated {
		t.Fatalf("registration finished on B: %d %s", status, body)
	}

	c := newBrowser(t)
	status, opts = c.do(http.MethodPost, b.url("/api/v1/session/passkey/options"), nil)
	if status != http.StatusOK {
		t.Fatalf("sign-in options on B: %d %s", status, opts)
	}
	answer, err := dev.Get(opts, "http://localhost:5000")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := c.do(http.MethodPost, a.url("/api/v1/session/passkey"), map[string]any{"credential": json.RawMessage(answer)}); status != http.StatusCreated {
		t.Fatalf("answered on A: %d %s", status, body)
	}
	if status := c.me(b); status != http.StatusOK {
		t.Errorf("the session, on B: %d", status)
	}
	if status, body := newBrowser(t).do(http.MethodPost, b.url("/api/v1/session/passkey"),
		map[string]any{"credential": json.RawMessage(answer)}); status != http.StatusUnauthorized {
		t.Errorf("the same answer again, on B: %d %s; want 401", status, body)
	}
}
