package app

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// cli runs a sesame command as the program does (Main, with the
// environment empty) with stdin as its standard input, and returns its exit
// status and what it wrote.
func cli(t *testing.T, stdin string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	status = MainWithInput(context.Background(), args, strings.NewReader(stdin), &out, &errOut, func(string) string { return "" })
	return status, out.String(), errOut.String()
}

// mustCLI runs a command that must succeed and returns its stdout.
func mustCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	status, out, errOut := cli(t, stdin, args...)
	if status != 0 {
		t.Fatalf("sesame %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), status, out, errOut)
	}
	return out
}

func TestCLIMigrate(t *testing.T) {
	path := tempDB(t)
	out := mustCLI(t, "", "migrate", "--db", "sqlite:"+path)
	if !regexp.MustCompile(`^schema version \d+\n$`).MatchString(out) {
		t.Errorf("migrate printed %q", out)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("migrate made no database: %v", err)
	}
	if again := mustCLI(t, "", "migrate", "--db", "sqlite:"+path); again != out {
		t.Errorf("a second migrate printed %q, want %q", again, out)
	}
}

// TestCLIUsersAndSessions drives every user and sessions command against
// the database of a running server, and shows that the server sees each
// change at the next request.
func TestCLIUsersAndSessions(t *testing.T) {
	path := tempDB(t)
	r := start(t, testConfig(path))
	db := "sqlite:" + path

	out := mustCLI(t, "tulip garden ladder\n", "user", "add", "alice", "--role", "customer,privileged", "--password-stdin", "--db", db)
	if !strings.Contains(out, "created user alice") || !strings.Contains(out, "customer,privileged") {
		t.Errorf("user add printed %q", out)
	}
	alice := newBrowser(t)
	alice.login(r, "alice", "tulip garden ladder")
	if list := mustCLI(t, "", "user", "list", "--db", db); !regexp.MustCompile(`(?m)^alice\s+customer,privileged\s+false\s+\S+ \S+\s+\d{4}-`).MatchString(list) {
		t.Errorf("user list does not show alice with her roles and a sign-in:\n%s", list)
	}

	// The sessions commands see the server's sessions, and a revocation
	// ends one there at once.
	sessions := mustCLI(t, "", "sessions", "list", "--user", "alice", "--db", db)
	m := regexp.MustCompile(`(?m)^(\S+)\s+alice\s`).FindStringSubmatch(sessions)
	if m == nil {
		t.Fatalf("sessions list --user alice shows no session of hers:\n%s", sessions)
	}
	mustCLI(t, "", "sessions", "revoke", m[1], "--db", db)
	if status := alice.me(r); status != http.StatusUnauthorized {
		t.Errorf("after sessions revoke, alice's next request: %d, want 401", status)
	}
	alice.login(r, "alice", "tulip garden ladder")
	mustCLI(t, "", "sessions", "revoke", "--user", "alice", "--db", db)
	if status := alice.me(r); status != http.StatusUnauthorized {
		t.Errorf("after sessions revoke --user, alice's next request: %d, want 401", status)
	}
	alice.login(r, "alice", "tulip garden ladder")
	admin := newBrowser(t)
	admin.login(r, "admin", adminPassword(r.stdout))
	if out := mustCLI(t, "", "sessions", "revoke", "--all", "--db", db); !strings.Contains(out, "2 sessions ended") {
		t.Errorf("sessions revoke --all printed %q, want 2 sessions ended", out)
	}
	if alice.me(r) != http.StatusUnauthorized || admin.me(r) != http.StatusUnauthorized {
		t.Error("after sessions revoke --all, a session still works")
	}

	// Role change, password and disabling end every session of the user.
	for _, tc := range []struct {
		name     string
		password string // alice's before the command
		stdin    string
		args     []string
	}{
		{"user role", "tulip garden ladder", "", []string{"user", "role", "alice", "customer"}},
		{"user passwd", "tulip garden ladder", "river stone candle\n", []string{"user", "passwd", "alice", "--password-stdin"}},
		{"user disable", "river stone candle", "", []string{"user", "disable", "alice"}},
	} {
		alice.login(r, "alice", tc.password)
		mustCLI(t, tc.stdin, append(tc.args, "--db", db)...)
		if status := alice.me(r); status != http.StatusUnauthorized {
			t.Errorf("after %s, alice's next request: %d, want 401", tc.name, status)
		}
	}
	if got := handlerLogin(t, r.Server, "alice", "river stone candle"); got != http.StatusUnauthorized {
		t.Errorf("a disabled user's sign-in: %d, want 401", got)
	}
	mustCLI(t, "", "user", "enable", "alice", "--db", db)
	alice.login(r, "alice", "river stone candle")

	// Each change is in alice's own trail, with the command line as actor.
	status, body := alice.do(http.MethodGet, r.url("/api/v1/activity?limit=500"), nil)
	if status != http.StatusOK {
		t.Fatalf("activity: %d", status)
	}
	for _, action := range []string{"user.create", "user.roles", "user.password", "user.disable", "user.enable", "session.revoke"} {
		if !strings.Contains(string(body), `"action":"`+action+`"`) {
			t.Errorf("alice's trail has no %s event", action)
		}
	}
}

// TestCLIRefusals: each mistake gets its exit status (1 for a refusal, 2
// for a usage error) and one line that says why; nothing changes.
func TestCLIRefusals(t *testing.T) {
	path := tempDB(t)
	openServer(t, testConfig(path)) // demo data
	db := "sqlite:" + path
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		status int
		says   string
	}{
		{"taken username, in another case", "a fine long secret\n", []string{"user", "add", "Authorized_User", "--role", "customer", "--password-stdin"}, 1, "taken"},
		{"common password", "password\n", []string{"user", "add", "bob", "--role", "customer", "--password-stdin"}, 1, "too common"},
		{"unknown role", "a fine long secret\n", []string{"user", "add", "bob", "--role", "wizard", "--password-stdin"}, 1, `no role "wizard"`},
		{"bad username", "a fine long secret\n", []string{"user", "add", "b!", "--role", "customer", "--password-stdin"}, 1, "username"},
		{"no --role", "", []string{"user", "add", "bob", "--password-stdin"}, 2, "--role"},
		{"no username", "", []string{"user", "add", "--role", "customer"}, 2, "USERNAME"},
		{"no password on stdin", "", []string{"user", "add", "bob", "--role", "customer", "--password-stdin"}, 1, "no password"},
		{"not a terminal", "", []string{"user", "add", "bob", "--role", "customer"}, 1, "--password-stdin"},
		{"unknown user", "", []string{"user", "disable", "nobody"}, 1, `no user called "nobody"`},
		{"unknown session", "", []string{"sessions", "revoke", "no-such-id"}, 1, "no live session"},
		{"ids and --user", "", []string{"sessions", "revoke", "x", "--user", "admin"}, 2, "one of them"},
		{"--all and ids", "", []string{"sessions", "revoke", "x", "--all"}, 2, "one of them"},
		{"unknown user command", "", []string{"user", "rename"}, 2, "rename"},
		{"stray argument", "", []string{"user", "list", "extra"}, 2, `"extra"`},
		{"unknown flag", "", []string{"user", "list", "--verbose"}, 2, "-verbose"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out, errOut := cli(t, tc.stdin, append(tc.args, "--db", db)...)
			if status != tc.status || !strings.Contains(errOut, tc.says) {
				t.Errorf("exit %d, stderr %q; want %d saying %q (stdout %q)", status, errOut, tc.status, tc.says, out)
			}
		})
	}
	if list := mustCLI(t, "", "user", "list", "--db", db); strings.Contains(list, "bob") {
		t.Errorf("a refused command created a user:\n%s", list)
	}
	missing := "sqlite:" + tempDB(t)
	if status, _, errOut := cli(t, "", "user", "list", "--db", missing); status != 1 || !strings.Contains(errOut, "no database") {
		t.Errorf("user list on a missing file: %d %q, want 1 saying there is no database", status, errOut)
	}
	if _, err := os.Stat(strings.TrimPrefix(missing, "sqlite:")); !os.IsNotExist(err) {
		t.Errorf("user list created the missing file: %v", err)
	}
}

// TestCLIHelp: --help on every command says what it does, exit 0.
func TestCLIHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"version", "--help"},
		{"user", "--help"}, {"user", "add", "--help"}, {"user", "passwd", "--help"}, {"user", "role", "--help"},
		{"user", "disable", "--help"}, {"user", "enable", "--help"}, {"user", "list", "--help"},
		{"sessions", "--help"}, {"sessions", "list", "--help"}, {"sessions", "revoke", "--help"},
	} {
		status, out, errOut := cli(t, "", args...)
		if status != 0 || !strings.Contains(out+errOut, "Usage: sesame") {
			t.Errorf("sesame %s: exit %d, output %q", strings.Join(args, " "), status, out+errOut)
		}
	}
	_, out, _ := cli(t, "", "--help")
	for _, c := range []string{"serve", "migrate", "user", "sessions", "version", "--addr"} {
		if !strings.Contains(out, c) {
			t.Errorf("sesame --help does not mention %s:\n%s", c, out)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if out := mustCLI(t, "", args...); !strings.HasPrefix(out, "sesame ") || !strings.Contains(out, "go1.") {
			t.Errorf("sesame %s printed %q", args[0], out)
		}
	}
}
