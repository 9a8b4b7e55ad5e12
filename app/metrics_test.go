package app

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// scrape returns the samples of /metrics on addr by series ("name" or
// `name{label="value",…}` as Prometheus writes it).
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

// TestMetrics: --metrics-addr serves the series of CONTRACT §7 on its own
// listener, never on the main one, and they move with the traffic.
func TestMetrics(t *testing.T) {
	cfg := testConfig(tempDB(t))
	cfg.MetricsAddr = "127.0.0.1:0"
	r := start(t, cfg)
	if r.MetricsAddr() == "" {
		t.Fatal("no metrics listener")
	}
	before := scrape(t, r.MetricsAddr())
	for _, name := range []string{
		`sesame_sessions_active`,
		`sesame_logins_total{outcome="success"}`,
		`sesame_logins_total{outcome="failure"}`,
		`sesame_authz_denied_total{permission="checkout"}`,
		`sesame_checkouts_total{outcome="success"}`,
	} {
		if _, ok := before[name]; !ok {
			t.Errorf("no series %s before any traffic", name)
		}
	}

	alice, bob := newBrowser(t), newBrowser(t)
	alice.login(r, "authorized_user", "password123")
	bob.login(r, "unauthorized_user", "password123")
	if status, _ := newBrowser(t).do("POST", r.url("/api/v1/session"), map[string]string{"username": "authorized_user", "password": "wrong password"}); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", status)
	}
	if status, body := alice.do("POST", r.url("/api/v1/cart/items"), map[string]int{"product_id": 1, "quantity": 1}); status != http.StatusOK {
		t.Fatalf("add to cart: %d %s", status, body)
	}
	if status, body := alice.do("POST", r.url("/api/v1/checkout"), nil); status != http.StatusCreated {
		t.Fatalf("checkout: %d %s", status, body)
	}
	if status, _ := bob.do("POST", r.url("/api/v1/checkout"), nil); status != http.StatusForbidden {
		t.Fatalf("checkout without the permission: %d", status)
	}
	if status, _ := alice.do("GET", r.url("/api/v1/products/1"), nil); status != http.StatusOK {
		t.Fatalf("product: %d", status)
	}
	if status, _ := newBrowser(t).do("GET", r.url("/metrics"), nil); status == http.StatusOK {
		t.Errorf("/metrics on the main listener answered 200")
	}

	after := scrape(t, r.MetricsAddr())
	for _, tc := range []struct {
		series string
		moved  float64
	}{
		{`sesame_sessions_active`, 2},
		{`sesame_logins_total{outcome="success"}`, 2},
		{`sesame_logins_total{outcome="failure"}`, 1},
		{`sesame_checkouts_total{outcome="success"}`, 1},
		{`sesame_authz_denied_total{permission="checkout"}`, 1},
		{`sesame_http_requests_total{code="201",route="POST /api/v1/session"}`, 2},
		{`sesame_http_requests_total{code="401",route="POST /api/v1/session"}`, 1},
		{`sesame_http_requests_total{code="200",route="GET /api/v1/products/{id}"}`, 1},
		{`sesame_http_requests_total{code="403",route="POST /api/v1/checkout"}`, 1},
		{`sesame_http_request_duration_seconds_count{route="POST /api/v1/checkout"}`, 2},
	} {
		if got := after[tc.series] - before[tc.series]; got != tc.moved {
			t.Errorf("%s moved by %v; want %v", tc.series, got, tc.moved)
		}
	}
	for series := range after {
		if strings.Contains(series, "/products/1") {
			t.Errorf("a raw path in a label: %s", series)
		}
	}
}

// TestJSONRequestLog: --log-format json writes one JSON object per line,
// and the request's line has the fields of CONTRACT §7, its request id the
// one the answer's X-Request-Id gave.
func TestJSONRequestLog(t *testing.T) {
	var logs syncBuffer
	r := start(t, testConfig(tempDB(t)), func(s *Server) { s.Logger = newLogger("json", &logs) })
	b := newBrowser(t)
	b.login(r, "authorized_user", "password123")
	req, _ := http.NewRequest("GET", r.url("/api/v1/orders/424242"), nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := res.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id")
	}
	r.stop(t)
	var line map[string]any
	for l := range strings.Lines(logs.String()) {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if v["request_id"] == id {
			line = v
		}
	}
	if line == nil {
		t.Fatalf("no line with request_id %s:\n%s", id, logs.String())
	}
	for k, want := range map[string]any{"msg": "request", "method": "GET", "route": "GET /api/v1/orders/{id}",
		"status": float64(404), "ip": "127.0.0.1"} {
		if line[k] != want {
			t.Errorf("%s = %v; want %v (%v)", k, line[k], want, line)
		}
	}
	for _, k := range []string{"duration", "session_id", "user_id"} {
		if _, ok := line[k]; !ok {
			t.Errorf("no %s in %v", k, line)
		}
	}
	if strings.Contains(logs.String(), "424242") {
		t.Errorf("the raw path is in the log")
	}
}
