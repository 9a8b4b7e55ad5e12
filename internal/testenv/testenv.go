// Package testenv finds the servers that tests talk to over a real
// connection, and gives each test a place of its own on them that is wiped
// when the test ends.
//
// A test finds a server through an environment variable: PostgresVar
// (SESAME_TEST_POSTGRES, a URL such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and RedisVar
// (SESAME_TEST_REDIS, such as redis://127.0.0.1:6379/0). When the variable
// is unset the test is skipped, saying which variable would run it, so that
// `go test ./...` passes on a machine without the servers. Under CI
// (CI=true) a missing variable fails the test instead: a suite that
// silently skips its database tests proves nothing. A variable that is set
// is a promise, so a server it names that cannot be reached fails the test
// everywhere.
//
// Each call makes a fresh place for the calling test: Postgres a schema,
// Redis a key prefix. Tests running in parallel, in one package or in
// several, share the servers without seeing one another's data, and the
// place is dropped with t.Cleanup.
//
// Tests of what happens when a server goes away use servers of their own:
// StartRedis runs a redis-server that the test stops, restarts and
// freezes, and StartProxy (PostgresProxy for a PostgreSQL URL) puts a TCP
// proxy between a client and a server that the test cuts, freezes and
// restores. The package is internal and imported by
// _test.go files only, so none of it reaches a program.
package testenv

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// The variables that name the test servers.
const (
	PostgresVar = "SESAME_TEST_POSTGRES"
	RedisVar    = "SESAME_TEST_REDIS"
)

// CI reports whether the tests run under CI, which sets CI=true: there a
// missing server or program is a failure, not a reason to skip.
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable stops t because something it needs is missing: it skips t
// with the reason, or under CI fails it.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true: a missing test dependency is a failure)", reason)
	}
	t.Skip(reason)
}

// Lookup returns the value of the environment variable name, or stops t
// through Unavailable when it is unset or empty.
func Lookup(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Unavailable(t, "%s is not set: set it to a test server's URL to run this test", name)
	}
	return v
}

// Command returns the path of the program name found on PATH, or stops t
// through Unavailable when there is none.
func Command(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "%s is not on PATH: install it to run this test", name)
	}
	return path
}

// randomName returns prefix followed by 16 random hex digits: unique
// among the tests of every package that run at once.
func randomName(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s%x", prefix, b)
}
