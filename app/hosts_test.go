package app

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestLoopbackNamesOnly: a server on loopback answers only requests for a
// loopback name. A DNS-rebinding page (evil.example resolved to 127.0.0.1)
// is refused with 421 before anything runs, even a login whose Origin
// matches its Host and so passes the cross-origin check.
func TestLoopbackNamesOnly(t *testing.T) {
	var logs syncBuffer
	r := start(t, testConfig(tempDB(t)), func(s *Server) { s.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	_, port, _ := strings.Cut(r.Addr(), ":")
	for _, tt := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:" + port, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LOCALHOST:" + port, http.StatusOK},
		{"localhost", http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"evil.example:" + port, http.StatusMisdirectedRequest},
		{"evil.example", http.StatusMisdirectedRequest},
		{"127.0.0.1.evil.example:" + port, http.StatusMisdirectedRequest},
		{"localhost.evil.example", http.StatusMisdirectedRequest},
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req, err := http.NewRequest(method, r.url("/login"), strings.NewReader("username=authorized_user&password=password123"))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			req.Header.Set("Origin", "http://"+tt.host)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			want := tt.want
			if want == http.StatusOK && method == http.MethodPost {
				want = http.StatusSeeOther // signed in
			}
			if res.StatusCode != want {
				t.Errorf("%s /login with Host %q: %d, want %d", method, tt.host, res.StatusCode, want)
			}
			if res.StatusCode == http.StatusMisdirectedRequest && res.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("the 421 lacks the security headers")
			}
		}
	}
	if !strings.Contains(logs.String(), "host=evil.example") {
		t.Errorf("the refusals are not in the log:\n%s", logs.String())
	}
}
