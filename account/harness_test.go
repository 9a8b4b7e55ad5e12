package account_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/clientip"
	"github.com/sesamehq/sesame/internal/secretbox"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
	"github.com/sesamehq/sesame/sqlite"
)

// The account service works on requests that came through the session
// Manager's Middleware, so the tests drive it as the front ends do: a
// browser sends a request through the Middleware, a handler builds the
// request's actor from the session (the user it recorded at sign-in) and
// calls the service. Everything is real: a SQLite file, the auth service,
// the audit log, a Manager over the memory store, all on one clock.

// cheap keeps argon2 fast in tests.
var cheap = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}

// password is every test user's password.
const password = "correct horse battery"

// clock is a settable time source shared by every service of an env; it
// starts on a whole second, as stores keep milliseconds.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// sessionStore is the memory store with hooks, to make a store fail or to
// run something at a chosen moment of a request.
type sessionStore struct {
	*memstore.Store
	mu           sync.Mutex
	beforeCreate func()
	revokeErr    error
}

// BeforeNextCreate runs f once, just before the next session is stored.
func (s *sessionStore) BeforeNextCreate(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeCreate = f
}

func (s *sessionStore) Create(ctx context.Context, r session.Record, limit int) ([]session.Session, error) {
	s.mu.Lock()
	f := s.beforeCreate
	s.beforeCreate = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.Store.Create(ctx, r, limit)
}

// FailRevocations makes DeleteByUser fail with err (nil: work again).
func (s *sessionStore) FailRevocations(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeErr = err
}

func (s *sessionStore) DeleteByUser(ctx context.Context, userID, exceptID string) ([]session.Session, error) {
	s.mu.Lock()
	err := s.revokeErr
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.Store.DeleteByUser(ctx, userID, exceptID)
}

// userStore is the user data with hooks on SetPassword and Passkeys.
type userStore struct {
	*sqlite.DB
	mu          sync.Mutex
	beforeSet   func()
	setPassword error
	passkeys    error
}

// FailPasskeys makes Passkeys fail with err (nil: work again).
func (s *userStore) FailPasskeys(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.passkeys = err
}

func (s *userStore) Passkeys(ctx context.Context, userID int64) ([]account.Passkey, error) {
	s.mu.Lock()
	err := s.passkeys
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.DB.Passkeys(ctx, userID)
}

// BeforeNextSetPassword runs f once, just before the next password is
// stored.
func (s *userStore) BeforeNextSetPassword(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeSet = f
}

// FailSetPassword makes SetPassword fail with err (nil: work again).
func (s *userStore) FailSetPassword(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPassword = err
}

func (s *userStore) SetPassword(ctx context.Context, id int64, hash string) error {
	s.mu.Lock()
	f, err := s.beforeSet, s.setPassword
	s.beforeSet = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	if err != nil {
		return err
	}
	return s.DB.SetPassword(ctx, id, hash)
}

type env struct {
	t        *testing.T
	db       *sqlite.DB
	users    *userStore
	store    *sessionStore
	clock    *clock
	log      *audit.Log
	auth     *auth.Service
	sessions *session.Manager
	acct     *account.Service
	h        http.Handler
}

// newEnv builds the services; cfg may set the Manager's policies.
func newEnv(t *testing.T, cfg session.Config) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db, users: &userStore{DB: db}, store: &sessionStore{Store: memstore.New()},
		clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	if e.log, err = audit.New(audit.Config{Store: db, Now: e.clock.Now}); err != nil {
		t.Fatal(err)
	}
	if e.auth, err = auth.New(auth.Config{Store: db, Audit: e.log, Params: cheap, Now: e.clock.Now}); err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Now = e.store, e.clock.Now
	cfg.OnEnd = account.RecordSessionEnd(e.log, clientip.Remote)
	if e.sessions, err = session.New(cfg); err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	e.acct, err = account.New(account.Config{Sessions: e.sessions, Auth: e.auth, Audit: e.log, Users: e.users, Now: e.clock.Now,
		Secrets: box, WebAuthn: relyingParty(t)})
	if err != nil {
		t.Fatal(err)
	}
	e.h = e.sessions.Middleware(http.HandlerFunc(e.serve))
	return e
}

// origin is where the tests' passkeys are used: the relying party's one
// origin.
const origin = "http://localhost:5000"

// relyingParty is the relying party of the tests' passkeys.
func relyingParty(t *testing.T) *webauthn.WebAuthn {
	t.Helper()
	wa, err := webauthn.New(&webauthn.Config{RPID: "localhost", RPDisplayName: "sesame", RPOrigins: []string{origin}})
	if err != nil {
		t.Fatal(err)
	}
	return wa
}

type handlerKey struct{}

// serve is the handler below the Middleware: it puts the request's actor
// in its context, as the front ends do, and runs the test's function.
func (e *env) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := &sesame.Actor{IP: clientip.Remote(r), UserAgent: r.UserAgent()}
	if s, ok := e.sessions.FromContext(ctx); ok {
		u, err := account.UserOf(s)
		if errors.Is(err, account.ErrNoSnapshot) {
			id, _ := strconv.ParseInt(s.UserID, 10, 64)
			u, err = e.auth.User(ctx, id)
		}
		if err != nil {
			e.t.Errorf("the user of session %s: %v", s.ID, err)
		}
		a.User, a.SessionID = u, s.ID
	}
	ctx.Value(handlerKey{}).(func(context.Context))(sesame.NewContext(ctx, a))
	w.WriteHeader(http.StatusNoContent)
}

// user creates a user with the test password and roles.
func (e *env) user(name string, roles ...string) *sesame.User {
	e.t.Helper()
	h, err := cheap.Hash(password)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.db.CreateUser(context.Background(), name, h, roles, e.clock.Now())
	if err != nil {
		e.t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// stored returns user id as stored now.
func (e *env) stored(id int64) *sesame.User {
	e.t.Helper()
	u, err := e.db.UserByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// operator is the context of the command line.
func operator() context.Context {
	return sesame.NewContext(context.Background(), &sesame.Actor{Operator: sesame.OperatorCLI})
}

// trail returns the events of user id (done by them and to them), newest
// first.
func (e *env) trail(id int64) []sesame.Event {
	e.t.Helper()
	evs, _, err := e.log.Search(context.Background(), audit.Query{UserID: id}, sesame.Paging{Limit: sesame.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// actions returns the events of user id whose action is one of as, newest
// first.
func (e *env) actions(id int64, as ...sesame.Action) []sesame.Event {
	e.t.Helper()
	var out []sesame.Event
	for _, ev := range e.trail(id) {
		if slices.Contains(as, ev.Action) {
			out = append(out, ev)
		}
	}
	return out
}

// live returns the ids of the live sessions of user id, sorted.
func (e *env) live(id int64) []string {
	e.t.Helper()
	list, _, err := e.sessions.List(context.Background(), session.ListOptions{UserID: strconv.FormatInt(id, 10), Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

// browser holds a session cookie between requests, as a browser would.
type browser struct {
	e      *env
	ip     string
	ua     string
	cookie *http.Cookie
	// set is the session cookie the latest answer set, if any.
	set *http.Cookie
}

// browser returns a new browser at ip.
func (e *env) browser(ip string) *browser {
	return &browser{e: e, ip: ip, ua: "test browser at " + ip}
}

// do sends one request, and runs fn as its handler, with the request's
// context and actor.
func (b *browser) do(fn func(ctx context.Context)) {
	b.e.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r = r.WithContext(context.WithValue(r.Context(), handlerKey{}, fn))
	r.RemoteAddr = net.JoinHostPort(b.ip, "1234")
	r.Header.Set("User-Agent", b.ua)
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	w := httptest.NewRecorder()
	b.e.h.ServeHTTP(w, r)
	b.set = nil
	for _, c := range w.Result().Cookies() {
		if c.Name != b.e.sessions.CookieName() {
			continue
		}
		b.set = c
		if c.MaxAge < 0 {
			b.cookie = nil
		} else {
			b.cookie = c
		}
	}
}

// call runs fn in a request and returns its error.
func (b *browser) call(fn func(ctx context.Context) error) error {
	b.e.t.Helper()
	var err error
	b.do(func(ctx context.Context) { err = fn(ctx) })
	return err
}

// signIn signs username in with pw.
func (b *browser) signIn(username, pw string, remember bool) (*sesame.User, session.Session, error) {
	b.e.t.Helper()
	var (
		u   *sesame.User
		s   session.Session
		err error
	)
	b.do(func(ctx context.Context) { u, s, err = b.e.acct.SignIn(ctx, username, pw, remember) })
	return u, s, err
}

// mustSignIn signs username in with the test password and returns the
// session.
func (b *browser) mustSignIn(username string) session.Session {
	b.e.t.Helper()
	_, s, err := b.signIn(username, password, false)
	if err != nil {
		b.e.t.Fatalf("SignIn(%s): %v", username, err)
	}
	return s
}

// whoami returns the actor of a request from b: its user and session, nil
// and "" when it is signed out.
func (b *browser) whoami() (*sesame.User, string) {
	b.e.t.Helper()
	var a *sesame.Actor
	b.do(func(ctx context.Context) { a = sesame.ActorFrom(ctx) })
	return a.User, a.SessionID
}

// signedIn fails unless b is signed in as u (nil: signed out).
func (b *browser) signedIn(what string, u *sesame.User) {
	b.e.t.Helper()
	got, _ := b.whoami()
	switch {
	case u == nil && got != nil:
		b.e.t.Errorf("%s: the browser at %s is still signed in as %s; want it signed out", what, b.ip, got.Username)
	case u != nil && got == nil:
		b.e.t.Errorf("%s: the browser at %s is signed out; want it signed in as %s", what, b.ip, u.Username)
	case u != nil && got.ID != u.ID:
		b.e.t.Errorf("%s: the browser at %s is signed in as %s; want %s", what, b.ip, got.Username, u.Username)
	}
}

// wantInvalid fails unless err is an *InvalidError with exactly fields.
func wantInvalid(t *testing.T, err error, fields map[string]string) {
	t.Helper()
	var inv *sesame.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v; want *InvalidError %v", err, fields)
	}
	if len(inv.Fields) != len(fields) {
		t.Fatalf("fields = %v; want %v", inv.Fields, fields)
	}
	for f, why := range fields {
		if inv.Fields[f] != why {
			t.Fatalf("fields = %v; want %v", inv.Fields, fields)
		}
	}
}

// wantRateLimited fails unless err is a *RateLimitError with RetryAfter want.
func wantRateLimited(t *testing.T, err error, want time.Duration) {
	t.Helper()
	var rl *sesame.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != want {
		t.Fatalf("err = %v; want a *RateLimitError, retry after %v", err, want)
	}
}
