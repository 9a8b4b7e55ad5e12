package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

// TestTrustProxy holds --trust-proxy to CONTRACT §7 over real HTTP from
// 127.0.0.1: only when that peer is trusted do its X-Forwarded-For and
// X-Forwarded-Proto count, for the address sessions, the audit trail and
// the throttle see, and for the cookie and HSTS.
func TestTrustProxy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		trust     string
		wantIP    string
		wantHTTPS bool
	}{
		{"untrusted peer: forged headers ignored", "", "127.0.0.1", false},
		{"peer outside the trusted networks", "10.0.0.0/8", "127.0.0.1", false},
		{"trusted proxy", "127.0.0.1/32", "198.51.100.7", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tempDB(t))
			cfg.TrustProxy = tc.trust
			r := start(t, cfg)
			client := &http.Client{Transport: &http.Transport{}}
			fwd := []string{"X-Forwarded-For", "203.0.113.1, 198.51.100.7", "X-Forwarded-Proto", "https"}

			res := raw(t, client, "POST", r.url("/api/v1/session"), demoLogin, fwd...)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("login: %d", res.StatusCode)
			}
			c := res.Cookies()
			wantName := map[bool]string{true: "__Host-sesame_session", false: "sesame_session"}[tc.wantHTTPS]
			if len(c) != 1 || c[0].Name != wantName || c[0].Secure != tc.wantHTTPS {
				t.Fatalf("cookies %v; want one %s, Secure %v", c, wantName, tc.wantHTTPS)
			}
			if hsts := res.Header.Get("Strict-Transport-Security") != ""; hsts != tc.wantHTTPS {
				t.Errorf("Strict-Transport-Security sent: %v; want %v", hsts, tc.wantHTTPS)
			}
			res = raw(t, client, "GET", r.url("/api/v1/sessions"), nil, append(fwd, "Cookie", c[0].Name+"="+c[0].Value)...)
			var list struct{ Sessions []struct{ IP string } }
			if err := json.NewDecoder(res.Body).Decode(&list); err != nil || len(list.Sessions) != 1 {
				t.Fatalf("sessions: %d, %v, %+v", res.StatusCode, err, list)
			}
			if got := list.Sessions[0].IP; got != tc.wantIP {
				t.Errorf("the session's IP is %q; want %q", got, tc.wantIP)
			}
			events, _, err := r.Services().Audit.Search(t.Context(), audit.Query{Action: sesame.ActionLogin}, sesame.Paging{})
			if err != nil || len(events) == 0 {
				t.Fatalf("audit: %v, %v", events, err)
			}
			if got := events[0].IP; got != tc.wantIP {
				t.Errorf("the audit trail has IP %q; want %q", got, tc.wantIP)
			}
		})
	}
}

// TestTrustProxyThrottle: one address may fail 20 sign-ins a minute
// (CONTRACT §6). From an untrusted peer, a new forged X-Forwarded-For per
// attempt does not make it a new address; through a trusted proxy, two
// clients are told apart, so one client's failures do not lock the other
// out.
func TestTrustProxyThrottle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trust string
		want  int // the other client's right password, after 20 failures of the first
	}{
		{"untrusted peer", "", http.StatusTooManyRequests},
		{"trusted proxy", "127.0.0.1/32", http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tempDB(t))
			cfg.TrustProxy = tc.trust
			r := start(t, cfg)
			client := &http.Client{Transport: &http.Transport{}}
			for i := range 20 {
				body := map[string]string{"username": fmt.Sprintf("nobody%d", i), "password": "wrong password"}
				res := raw(t, client, "POST", r.url("/api/v1/session"), body, "X-Forwarded-For", "198.51.100.1")
				io.Copy(io.Discard, res.Body)
				if res.StatusCode != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d, want 401", i+1, res.StatusCode)
				}
			}
			res := raw(t, client, "POST", r.url("/api/v1/session"), demoLogin, "X-Forwarded-For", "198.51.100.2")
			if res.StatusCode != tc.want {
				t.Errorf("the other client's sign-in: %d; want %d", res.StatusCode, tc.want)
			}
		})
	}
}

// TestLoopbackNamesTrustProxy: on loopback behind a trusted proxy, the
// public name the proxy forwards is served; the same name straight from an
// untrusted peer is refused with 421, as the JSON error under /api/, and
// logged with the address without its port.
func TestLoopbackNamesTrustProxy(t *testing.T) {
	var logs syncBuffer
	cfg := testConfig(tempDB(t))
	cfg.TrustProxy = "10.0.0.0/8"
	r := start(t, cfg, func(s *Server) { s.Logger = newLogger("text", &logs) })
	client := &http.Client{Transport: &http.Transport{}}
	req, _ := http.NewRequest("GET", r.url("/api/v1/me"), nil)
	req.Host = "shop.example"
	res, err := client.Transport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusMisdirectedRequest ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || body.Error.Code != "misdirected" || body.Error.Message == "" {
		t.Errorf("421 under /api/: %d %q %+v %v; want the JSON error", res.StatusCode, res.Header.Get("Content-Type"), body, err)
	}
	if !strings.Contains(logs.String(), "ip=127.0.0.1 ") && !strings.HasSuffix(strings.TrimSpace(logs.String()), "ip=127.0.0.1") {
		t.Errorf("the refusal's log line lacks ip=127.0.0.1 (without a port):\n%s", logs.String())
	}

	cfg = testConfig(tempDB(t))
	cfg.TrustProxy = "127.0.0.1/32"
	r = start(t, cfg)
	req, _ = http.NewRequest("GET", r.url("/healthz"), nil)
	req.Host = "shop.example"
	if res, err := client.Transport.RoundTrip(req); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("a public name from the trusted proxy: %v, %v; want 200", res, err)
	} else {
		res.Body.Close()
	}
}
