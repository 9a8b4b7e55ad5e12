package session_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

// renewing is the configuration of the renewal tests: a new token every 15
// minutes, the old one good for a minute more.
var renewing = session.Config{RenewInterval: 15 * time.Minute, RenewGrace: time.Minute}

// TestRenewalAtInterval: before the interval the token stays; at it the
// answer carries a new one, and the session keeps its id and deadlines.
func TestRenewalAtInterval(t *testing.T) {
	hs := newHarness(t, renewing)
	token := hs.login()
	before := hs.current()

	hs.clock.Advance(15*time.Minute - time.Second)
	if c := sessionCookie(t, hs.do("GET", "/", token)); c != nil {
		t.Fatalf("renewed before the interval: %+v", c)
	}
	hs.clock.Advance(time.Second)
	c := sessionCookie(t, hs.do("GET", "/", token))
	if c == nil || c.Value == token || c.Value == "" {
		t.Fatalf("no new token at the interval: %+v", c)
	}
	after := hs.current()
	if after.ID != before.ID || !after.CreatedAt.Equal(before.CreatedAt) || !after.ExpiresAt.Equal(before.ExpiresAt) ||
		!after.AuthenticatedAt.Equal(before.AuthenticatedAt) {
		t.Errorf("renewal changed the session:\nbefore %+v\n after %+v", before, after)
	}
	if !after.TokenIssuedAt.Equal(hs.clock.Now()) || !after.LastSeenAt.Equal(hs.clock.Now()) {
		t.Errorf("after renewal: token issued %v, last seen %v; want both %v", after.TokenIssuedAt, after.LastSeenAt, hs.clock.Now())
	}
	if got := hs.who(c.Value); got != "alice" {
		t.Errorf("the new token: %q", got)
	}
}

// TestRenewalGrace: the replaced token works during the grace, renews
// nothing, and then ends the whole session, the new token with it; the end
// is reported with both addresses.
func TestRenewalGrace(t *testing.T) {
	hs := newHarness(t, renewing)
	old := hs.login()
	hs.clock.Advance(16 * time.Minute)
	renewed := sessionCookie(t, hs.doFrom("192.0.2.50:1", "GET", "/", old)).Value

	hs.clock.Advance(59 * time.Second)
	res := hs.do("GET", "/", old)
	if c := sessionCookie(t, res); c != nil {
		t.Errorf("the old token within the grace set a cookie: %+v", c)
	}
	if got := hs.who(old); got != "alice" {
		t.Fatalf("the old token within the grace: %q, want alice", got)
	}
	if got := hs.who(renewed); got != "alice" {
		t.Fatalf("the new token: %q", got)
	}
	if len(hs.endings()) != 0 {
		t.Fatalf("OnEnd during the grace: %+v", hs.endings())
	}

	hs.clock.Advance(time.Second) // the grace is over
	res = hs.doFrom("203.0.113.66:2", "GET", "/", old)
	if c := sessionCookie(t, res); c == nil || c.MaxAge >= 0 {
		t.Errorf("the reused token's cookie was not cleared: %+v", c)
	}
	if got := hs.who(renewed); got != "anonymous" {
		t.Errorf("after the old token's reuse, the new token still works: %q", got)
	}
	if got := hs.who(old); got != "anonymous" {
		t.Errorf("the old token after reuse: %q", got)
	}
	e := hs.endings()
	if len(e) != 1 || e[0].why != session.EndTokenReuse || e[0].ip != "203.0.113.66:2" || e[0].s.LastIP != "192.0.2.50" {
		t.Errorf("OnEnd = %+v; want one token reuse, from 203.0.113.66, of a session renewed from 192.0.2.50", e)
	}
}

// TestRenewalRace: of the requests that carry a due token at once (tabs of
// one browser), exactly one renews it; all are served.
func TestRenewalRace(t *testing.T) {
	hs := newHarness(t, renewing)
	token := hs.login()
	hs.clock.Advance(20 * time.Minute)
	var (
		wg      sync.WaitGroup
		renewed atomic.Int32
	)
	for range 20 {
		wg.Go(func() {
			res := hs.do("GET", "/", token)
			if c := sessionCookie(t, res); c != nil {
				renewed.Add(1)
			}
			if b := body(t, res); b != "alice" {
				t.Errorf("a racing request was served as %q", b)
			}
		})
	}
	wg.Wait()
	if n := renewed.Load(); n != 1 {
		t.Errorf("%d of 20 racing requests renewed the token, want 1", n)
	}
}

// countingStore counts the writes of a request path: Touch and Rotate.
type countingStore struct {
	session.Store
	touches, rotations atomic.Int32
}

func (s *countingStore) Touch(ctx context.Context, id string, seen, idle time.Time) error {
	s.touches.Add(1)
	return s.Store.Touch(ctx, id, seen, idle)
}

func (s *countingStore) Rotate(ctx context.Context, id string, cur session.Hash, rn session.Renewal) error {
	s.rotations.Add(1)
	return s.Store.Rotate(ctx, id, cur, rn)
}

// TestRenewalWrites: a session used every ten seconds for an hour costs
// one write per touch interval (a minute), renewals included: a renewal is
// the touch of its minute, not a write on top.
func TestRenewalWrites(t *testing.T) {
	store := &countingStore{Store: memstore.New()}
	cfg := renewing
	cfg.Store = store
	hs := newHarness(t, cfg)
	token := hs.login()
	for range 360 {
		hs.clock.Advance(10 * time.Second)
		if c := sessionCookie(t, hs.do("GET", "/", token)); c != nil {
			token = c.Value
		}
	}
	touches, rotations := store.touches.Load(), store.rotations.Load()
	if rotations != 4 {
		t.Errorf("%d renewals in an hour at a 15-minute interval, want 4", rotations)
	}
	if writes := touches + rotations; writes > 60 {
		t.Errorf("%d touches + %d renewals = %d writes in 60 minutes, want at most one a minute", touches, rotations, writes)
	}
	if got := hs.who(token); got != "alice" {
		t.Errorf("after an hour of use: %q", got)
	}
}

// TestRenewOffByDefault: without RenewInterval a token lives as long as its
// session.
func TestRenewOffByDefault(t *testing.T) {
	hs := newHarness(t, session.Config{IdleTimeout: time.Hour, Lifetime: 12 * time.Hour})
	token := hs.login()
	for range 20 {
		hs.clock.Advance(30 * time.Minute)
		if c := sessionCookie(t, hs.do("GET", "/", token)); c != nil {
			t.Fatalf("a token renewed without RenewInterval: %+v", c)
		}
	}
}

// TestMaxSessions: a sign-in past the limit ends the least recently used
// session, reported as evicted; the others stay.
func TestMaxSessions(t *testing.T) {
	hs := newHarness(t, session.Config{MaxSessions: 2})
	a := hs.login()
	hs.clock.Advance(time.Minute)
	b := hs.login()
	hs.clock.Advance(time.Minute)
	hs.who(a) // a is now used more recently than b
	hs.clock.Advance(time.Minute)
	c := hs.login()
	if hs.who(a) != "alice" || hs.who(b) != "anonymous" || hs.who(c) != "alice" {
		t.Errorf("after a third sign-in with limit 2: a %q, b %q, c %q; want b evicted", hs.who(a), hs.who(b), hs.who(c))
	}
	if e := hs.endings(); len(e) != 1 || e[0].why != session.EndEvicted {
		t.Errorf("OnEnd = %+v, want one eviction", e)
	}
	// Other users are not counted.
	if res := hs.do("POST", "/login?as=bob", ""); sessionCookie(t, res) == nil {
		t.Fatal("bob could not sign in")
	}
	if hs.who(a) != "alice" || hs.who(c) != "alice" {
		t.Error("another user's sign-in evicted one of alice's sessions")
	}
}

// TestMaxSessionsConcurrent: sign-ins racing past the limit leave exactly
// the limit alive.
func TestMaxSessionsConcurrent(t *testing.T) {
	hs := newHarness(t, session.Config{MaxSessions: 3})
	var wg sync.WaitGroup
	for range 15 {
		wg.Go(func() { hs.do("POST", "/login", "") })
	}
	wg.Wait()
	list, _, err := hs.m.List(context.Background(), session.ListOptions{UserID: "alice"})
	if err != nil || len(list) != 3 {
		t.Errorf("15 concurrent sign-ins with limit 3 left %d sessions (%v), want 3", len(list), err)
	}
	if n := len(hs.endings()); n != 12 {
		t.Errorf("%d evictions reported, want 12", n)
	}
}

// TestRemember: a remembered session gets the remembered deadlines and a
// cookie with Max-Age that still has it after a renewal; an ordinary one
// has neither Max-Age nor Expires.
func TestRemember(t *testing.T) {
	cfg := renewing
	cfg.RememberLifetime, cfg.RememberIdleTimeout = 30*24*time.Hour, 7*24*time.Hour
	hs := newHarness(t, cfg)

	plain := sessionCookie(t, hs.do("POST", "/login", ""))
	if plain.MaxAge != 0 || !plain.Expires.IsZero() || plain.RawExpires != "" {
		t.Errorf("an ordinary session cookie persists: %+v", plain)
	}
	res := hs.do("POST", "/login?remember=1", plain.Value)
	c := sessionCookie(t, res)
	if c.MaxAge != int((30 * 24 * time.Hour).Seconds()) {
		t.Errorf("remembered cookie Max-Age = %d, want 30 days", c.MaxAge)
	}
	s := hs.current()
	if !s.Remember || !s.ExpiresAt.Equal(s.CreatedAt.Add(30*24*time.Hour)) || !s.IdleExpiresAt.Equal(s.CreatedAt.Add(7*24*time.Hour)) {
		t.Errorf("remembered session = %+v; want 30 days' lifetime, 7 days idle", s)
	}

	hs.clock.Advance(6 * 24 * time.Hour) // idle for less than 7 days
	renewed := sessionCookie(t, hs.do("GET", "/", c.Value))
	if renewed == nil || renewed.MaxAge != int((24*24*time.Hour).Seconds()) {
		t.Errorf("renewed remembered cookie = %+v, want Max-Age of the 24 days left", renewed)
	}
	hs.clock.Advance(7 * 24 * time.Hour)
	if got := hs.who(renewed.Value); got != "anonymous" {
		t.Errorf("a remembered session idle for 7 days: %q", got)
	}
}

// TestReauthenticated: a fresh proof moves AuthenticatedAt and, as a change
// of privilege, renews the token at once.
func TestReauthenticated(t *testing.T) {
	hs := newHarness(t, session.Config{})
	token := hs.login()
	signedIn := hs.current().AuthenticatedAt
	hs.clock.Advance(20 * time.Minute)
	c := sessionCookie(t, hs.do("POST", "/reauth", token))
	if c == nil || c.Value == token {
		t.Fatalf("reauthentication sent no new token: %+v", c)
	}
	if got := hs.current().AuthenticatedAt; !got.Equal(signedIn.Add(20 * time.Minute)) {
		t.Errorf("AuthenticatedAt = %v, want %v", got, signedIn.Add(20*time.Minute))
	}
	if hs.who(token) != "anonymous" || hs.who(c.Value) != "alice" {
		t.Error("the token from before reauthentication still works, or the new one does not")
	}
}

// TestLoginKeepsData: what the program attaches at sign-in comes back with
// every request.
func TestLoginKeepsData(t *testing.T) {
	hs := newHarness(t, session.Config{})
	hs.do("POST", "/login?as=bob", "")
	list, _, _ := hs.m.List(context.Background(), session.ListOptions{UserID: "bob"})
	if len(list) != 1 || string(list[0].Data) != "data of bob" {
		t.Fatalf("bob's session = %+v", list)
	}
}

// TestWithoutMiddleware: Login and friends on a context that did not come
// through Middleware are errors, not a silent skip of the fixation defence.
func TestWithoutMiddleware(t *testing.T) {
	m, err := session.New(session.Config{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.Login(ctx, "alice", session.LoginOptions{}); err != session.ErrNoMiddleware {
		t.Errorf("Login: %v, want ErrNoMiddleware", err)
	}
	if err := m.Logout(ctx); err != session.ErrNoMiddleware {
		t.Errorf("Logout: %v, want ErrNoMiddleware", err)
	}
	if _, err := m.Renew(ctx); err != session.ErrNoMiddleware {
		t.Errorf("Renew: %v, want ErrNoMiddleware", err)
	}
	// Another Manager's Middleware does not count either.
	other, _ := session.New(session.Config{Store: memstore.New()})
	var got error
	other.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, got = m.Login(r.Context(), "alice", session.LoginOptions{})
	})).ServeHTTP(discard{}, newRequest())
	if got != session.ErrNoMiddleware {
		t.Errorf("Login under another Manager's Middleware: %v, want ErrNoMiddleware", got)
	}
}

// TestTwoManagers: two Managers on one request (two kinds of session) keep
// their sessions apart.
func TestTwoManagers(t *testing.T) {
	newManager := func(name string) *session.Manager {
		m, err := session.New(session.Config{Store: memstore.New(), CookieName: name})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := newManager("a"), newManager("b")
	var inner, outer bool
	h := a.Middleware(b.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.Login(r.Context(), "alice", session.LoginOptions{}); err != nil {
			t.Fatal(err)
		}
		_, outer = a.FromContext(r.Context())
		_, inner = b.FromContext(r.Context())
	})))
	h.ServeHTTP(discard{}, newRequest())
	if !outer || inner {
		t.Errorf("after a.Login: a has a session %v, b has one %v; want only a", outer, inner)
	}
}

// TestLoginAfterHeader: a Login after the answer's header was written
// cannot send its cookie, and says so rather than sign in a session nobody
// holds.
func TestLoginAfterHeader(t *testing.T) {
	m, _ := session.New(session.Config{Store: memstore.New()})
	var err error
	m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		_, err = m.Login(r.Context(), "alice", session.LoginOptions{})
	})).ServeHTTP(discard{}, newRequest())
	if err == nil {
		t.Error("Login after the header succeeded")
	}
}

// TestCookieWithoutBody: a handler that writes nothing still sends the
// cookie its Login set.
func TestCookieWithoutBody(t *testing.T) {
	m, _ := session.New(session.Config{Store: memstore.New()})
	w := newRecorder()
	m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Login(r.Context(), "alice", session.LoginOptions{})
	})).ServeHTTP(w, newRequest())
	if c := sessionCookie(t, w.Result()); c == nil {
		t.Errorf("no cookie: headers %v", w.Header())
	}
}

// TestLoginDataTooLarge: Data past MaxDataLen is refused.
func TestLoginDataTooLarge(t *testing.T) {
	m, _ := session.New(session.Config{Store: memstore.New()})
	var err error
	m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err = m.Login(r.Context(), "alice", session.LoginOptions{Data: make([]byte, session.MaxDataLen+1)})
	})).ServeHTTP(discard{}, newRequest())
	if err == nil {
		t.Errorf("Login with %d bytes of data succeeded", session.MaxDataLen+1)
	}
}
