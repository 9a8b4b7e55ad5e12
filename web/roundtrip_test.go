package web_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame/app"
	"github.com/sesamehq/sesame/internal/testenv"
)

// TestOneSessionRoundTripPerRequest watches (MONITOR) the commands that
// sesame sends to a Redis server of the test's own for signed-in requests:
// the session, its user and the user's permissions come back in one round
// trip, and the session is written at most once a minute of activity (a
// touch, or a renewal in its place), however many requests that minute
// holds. The user is never read from the app database on the way: what a
// session knows of its user cannot change while it lives, since a role
// change, a password reset and disabling the user all end their sessions.
func TestOneSessionRoundTripPerRequest(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t, testenv.RedisOptions{})
	a := newApp(t, func(c *app.Config) { c.Sessions = srv.URL() })
	a.clock.Set(time.Now()) // Redis expires the session's keys by its own clock
	user := a.authorized()
	// The first call of each script loads it (a NOSCRIPT answer, then
	// EVAL); from then on every call is one EVALSHA. Warm up the reads, a
	// renewal and a touch, so that only steady requests are counted.
	expectStatus(t, user.get("/account/sessions"), http.StatusOK)
	a.clock.Advance(16 * time.Minute)
	expectStatus(t, user.get("/api/v1/me"), http.StatusOK)
	a.clock.Advance(2 * time.Minute)
	expectStatus(t, user.get("/api/v1/me"), http.StatusOK)

	mon := startMonitor(t, srv.Port())
	for _, tc := range []struct {
		path string
		want int // round trips per request
	}{
		{"/api/v1/me", 1},
		{"/products", 1},
		{"/api/v1/cart", 1},
		{"/account/sessions", 2}, // the session, then the page's list of sessions
	} {
		const n = 20
		for range n {
			expectStatus(t, user.get(tc.path), http.StatusOK, tc.path)
		}
		if got := mon.count(); len(got) != n*tc.want {
			t.Errorf("%d requests to %s sent %d commands to the session store, want %d:\n%s", n, tc.path, len(got), n*tc.want, strings.Join(got, "\n"))
		}
	}

	// An hour of a request every ten seconds: one read each, and one write
	// a minute at most, renewals included.
	const minutes, perMinute = 60, 6
	for range minutes * perMinute {
		a.clock.Advance(10 * time.Second)
		expectStatus(t, user.get("/api/v1/me"), http.StatusOK)
	}
	reads := minutes * perMinute
	if got := len(mon.count()); got < reads || got > reads+minutes {
		t.Errorf("an hour of requests every 10 s sent %d commands, want %d reads and at most %d writes", got, reads, minutes)
	}
}

// monitor sees every command a Redis server runs (MONITOR, read off its
// own connection: each command is a line of plain text).
type monitor struct {
	t      *testing.T
	lines  chan string
	marker *redis.Client
	marks  int
}

func startMonitor(t *testing.T, port int) *monitor {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	m := &monitor{t: t, lines: make(chan string, 100000), marker: redis.NewClient(&redis.Options{Addr: addr})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rd := bufio.NewReader(conn)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return // closed at the end of the test
			}
			m.lines <- line
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-done
		_ = m.marker.Close()
	})
	m.count() // from here on
	return m
}

// count returns the commands that clients sent since the last count: a
// line per round trip, leaving out those that scripts ran (they are part
// of their EVALSHA's round trip). It knows it has seen them all when the
// marker it sends comes back.
func (m *monitor) count() []string {
	m.t.Helper()
	m.marks++
	mark := "sesame-test-mark-" + strconv.Itoa(m.marks)
	send := func() {
		if err := m.marker.Echo(context.Background(), mark).Err(); err != nil {
			m.t.Fatal(err)
		}
	}
	send()
	var sent []string
	timeout := time.After(10 * time.Second)
	// MONITOR starts showing commands some time after it is sent: until
	// then, send the mark again.
	again := time.NewTicker(200 * time.Millisecond)
	defer again.Stop()
	for {
		select {
		case <-again.C:
			send()
		case line := <-m.lines:
			switch {
			case strings.Contains(line, mark):
				return sent
			case strings.Contains(line, "sesame-test-mark-"), strings.Contains(line, " lua]"), !strings.Contains(line, "["):
				// an earlier mark, a command inside a script, MONITOR's own +OK
			default:
				sent = append(sent, line)
			}
		case <-timeout:
			m.t.Fatalf("MONITOR never showed the mark %s", mark)
		}
	}
}
