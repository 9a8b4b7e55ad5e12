package app

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestDemoData: a plain first start on a new SQLite file seeds the demo data
// of CONTRACT §2 and prints the admin password, which works.
func TestDemoData(t *testing.T) {
	r := start(t, testConfig(tempDB(t)))
	if n := strings.Count(r.stdout, "admin password is"); n != 1 {
		t.Fatalf("the admin password was printed %d times, want once:\n%s", n, r.stdout)
	}
	adminPW := adminPassword(r.stdout)
	if len(adminPW) < 16 || adminPW == demoPassword {
		t.Errorf("admin password %q: want a long random one", adminPW)
	}

	tests := []struct {
		username, password string
		want, wantNot      []string // permissions
	}{
		{"authorized_user", "password123", []string{"products.view", "cart.edit", "checkout", "task.perform"}, []string{"admin"}},
		{"unauthorized_user", "password123", []string{"products.view", "cart.edit"}, []string{"checkout", "task.perform", "admin"}},
		{"admin", adminPW, []string{"admin"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			b := newBrowser(t)
			b.login(r, tt.username, tt.password)
			status, body := b.do(http.MethodGet, r.url("/api/v1/me"), nil)
			if status != http.StatusOK {
				t.Fatalf("me: status %d: %s", status, body)
			}
			var me struct {
				User struct{ Permissions []string }
			}
			if err := json.Unmarshal(body, &me); err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.want {
				if !slices.Contains(me.User.Permissions, p) {
					t.Errorf("%s lacks %s: %v", tt.username, p, me.User.Permissions)
				}
			}
			for _, p := range tt.wantNot {
				if slices.Contains(me.User.Permissions, p) {
					t.Errorf("%s has %s: %v", tt.username, p, me.User.Permissions)
				}
			}
		})
	}
	if got := handlerLogin(t, r.Server, "admin", "password123"); got != http.StatusUnauthorized {
		t.Errorf("admin with the demo password: status %d, want 401", got)
	}

	b := newBrowser(t)
	b.login(r, "unauthorized_user", "password123")
	status, body := b.do(http.MethodGet, r.url("/api/v1/products"), nil)
	if status != http.StatusOK {
		t.Fatalf("products: status %d: %s", status, body)
	}
	type product struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Stock int    `json:"stock"`
	}
	var list struct{ Products []product }
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Products) < 6 {
		t.Errorf("%d products, want at least 6", len(list.Products))
	}
	if !slices.ContainsFunc(list.Products, func(p product) bool { return p.Stock <= 3 }) {
		t.Errorf("no product with stock of 3 or less: %+v", list.Products)
	}
}

// TestDemoSeeding follows one SQLite file through several starts, each with
// its --demo, and checks whether each start seeded (and printed the admin
// password) and whether the demo users exist afterwards.
func TestDemoSeeding(t *testing.T) {
	type start struct {
		demo        *bool
		wantPrinted bool // the admin password is printed: this start seeded
		wantDemo    bool // the demo users sign in afterwards
	}
	tests := []struct {
		name      string
		emptyFile bool // the file exists, empty, before the first start
		starts    []start
	}{
		{"new file, --demo unset", false, []start{
			{nil, true, true},
			{nil, false, true}, // the file exists now: never again
			{ptr(true), false, true},
		}},
		{"new file, --demo=false", false, []start{
			{ptr(false), false, false},
			{nil, false, false}, // the file is no longer new
			{ptr(true), true, true},
		}},
		{"existing empty file, --demo unset", true, []start{
			{nil, false, false},
			{ptr(true), true, true},
		}},
		{"new file, --demo", false, []start{
			{ptr(true), true, true},
			{ptr(true), false, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempDB(t)
			if tt.emptyFile {
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			adminPW := ""
			for i, st := range tt.starts {
				cfg := testConfig(path)
				cfg.Demo = st.demo
				s, stdout := newServer(cfg)
				if err := s.Open(context.Background()); err != nil {
					t.Fatalf("start %d: open: %v", i, err)
				}
				printed := adminPassword(stdout.String())
				if got := printed != ""; got != st.wantPrinted {
					t.Errorf("start %d: printed the admin password: %v, want %v (%q)", i, got, st.wantPrinted, stdout.String())
				}
				if printed != "" {
					adminPW = printed
				}
				wantStatus := http.StatusUnauthorized
				if st.wantDemo {
					wantStatus = http.StatusCreated
				}
				for _, u := range []string{"authorized_user", "unauthorized_user"} {
					if got := handlerLogin(t, s, u, demoPassword); got != wantStatus {
						t.Errorf("start %d: login %s: status %d, want %d", i, u, got, wantStatus)
					}
				}
				if adminPW != "" {
					if got := handlerLogin(t, s, "admin", adminPW); got != http.StatusCreated {
						t.Errorf("start %d: the admin password printed earlier: status %d, want 201", i, got)
					}
				}
				n, err := s.stores.Data.CountUsers(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{false: 0, true: 3}[st.wantDemo]; n != want {
					t.Errorf("start %d: %d users, want %d (seeded twice?)", i, n, want)
				}
				if err := s.Close(); err != nil {
					t.Fatalf("start %d: close: %v", i, err)
				}
			}
		})
	}
}

// TestRefuseDemoOnNetwork: CONTRACT §1, the server will not listen beyond
// loopback while a demo account has its public password, unless told to.
func TestRefuseDemoOnNetwork(t *testing.T) {
	ipv6 := true
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		ipv6 = false
	} else {
		l.Close()
	}
	// changePassword gives a demo account another password.
	changePassword := func(username string) func(*testing.T, *Server) {
		return func(t *testing.T, s *Server) {
			t.Helper()
			u, err := s.stores.Data.UserByUsername(context.Background(), username)
			if err != nil {
				t.Fatal(err)
			}
			hash, err := testParams.Hash("a much better secret")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.stores.Data.SetPassword(context.Background(), u.ID, hash); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name     string
		addr     string
		allow    bool
		demo     *bool                       // on the first, seeding start
		before   []func(*testing.T, *Server) // on the database after seeding
		wantErr  []string
		needIPv6 bool
	}{
		{"all interfaces", "0.0.0.0:0", false, nil, nil, []string{"refusing", "0.0.0.0:0", "demo password", "--allow-demo-on-network"}, false},
		{"no host", ":0", false, nil, nil, []string{"refusing", "demo password", "--allow-demo-on-network"}, false},
		{"all interfaces, allowed", "0.0.0.0:0", true, nil, nil, nil, false},
		{"all interfaces, no demo", "0.0.0.0:0", false, ptr(false), nil, nil, false},
		{"one demo password changed", "0.0.0.0:0", false, nil, []func(*testing.T, *Server){changePassword("authorized_user")},
			[]string{`"unauthorized_user"`, "--allow-demo-on-network"}, false},
		{"both demo passwords changed", "0.0.0.0:0", false, nil,
			[]func(*testing.T, *Server){changePassword("authorized_user"), changePassword("unauthorized_user")}, nil, false},
		{"127.0.0.1", "127.0.0.1:0", false, nil, nil, nil, false},
		{"localhost", "localhost:0", false, nil, nil, nil, false},
		{"[::1]", "[::1]:0", false, nil, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needIPv6 && !ipv6 {
				t.Skip("no IPv6 loopback here")
			}
			path := tempDB(t)
			seed := testConfig(path)
			seed.Demo = tt.demo
			s, _ := openServer(t, seed)
			for _, fn := range tt.before {
				fn(t, s)
			}
			s.Close()

			cfg := testConfig(path)
			cfg.Addr, cfg.AllowDemoOnNetwork = tt.addr, tt.allow
			s, _ = newServer(cfg)
			err := s.Open(context.Background())
			if err == nil {
				s.Close()
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("open on %s: %v", tt.addr, err)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("open on %s succeeded, want a refusal", tt.addr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestConcurrentFirstStarts: two instances started at once on a new file
// seed it once between them, and only one prints an admin password.
func TestConcurrentFirstStarts(t *testing.T) {
	cfg := testConfig(tempDB(t))
	servers := make([]*Server, 4)
	outputs := make([]string, len(servers)) // what each printed
	errs := make(chan error, len(servers))
	for i := range servers {
		s, stdout := newServer(cfg)
		servers[i] = s
		go func() {
			err := s.Open(context.Background())
			outputs[i] = stdout.String()
			errs <- err
		}()
	}
	for range servers {
		if err := <-errs; err != nil {
			t.Errorf("open: %v", err)
		}
	}
	for _, s := range servers {
		t.Cleanup(func() { s.Close() })
	}
	if t.Failed() {
		return
	}
	printed := 0
	for _, out := range outputs {
		if adminPassword(out) != "" {
			printed++
		}
	}
	if printed != 1 {
		t.Errorf("%d instances printed an admin password, want 1", printed)
	}
	if n, err := servers[0].stores.Data.CountUsers(context.Background()); err != nil || n != 3 {
		t.Errorf("%d users (%v), want 3", n, err)
	}
}
