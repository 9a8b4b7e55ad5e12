package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sesamehq/sesame/internal/clientip"
)

// Config is what a Manager is built from. Store is required; the zero value
// of every other field means its default.
type Config struct {
	// Store keeps the sessions. Required.
	Store Store

	// CookieName names the session cookie; default "sesame_session". A
	// name with the "__Host-" or "__Secure-" prefix needs Secure.
	CookieName string
	// Secure marks the cookie Secure, so browsers send it over HTTPS only.
	Secure bool
	// HTTPS, when set, tells for each request whether its client reached
	// the server over HTTPS (directly, or through a proxy the program
	// trusts). For those requests the cookie is Secure and, unless
	// CookieName has a prefix already, named "__Host-" + CookieName, which
	// a browser accepts only over HTTPS, from this host, for Path=/; for the
	// others it is as CookieName and Secure say. A program served both ways
	// at once (HTTPS through a proxy, plain HTTP to a probe) thus keeps the
	// two apart.
	HTTPS func(r *http.Request) bool

	// IdleTimeout ends a session unused this long; default 30 minutes.
	IdleTimeout time.Duration
	// Lifetime ends a session this long after sign-in, however active;
	// default 12 hours. It may not be shorter than IdleTimeout.
	Lifetime time.Duration
	// RememberIdleTimeout and RememberLifetime are the same for a session
	// started with LoginOptions.Remember; default 7 and 30 days.
	RememberIdleTimeout time.Duration
	RememberLifetime    time.Duration
	// TouchInterval is how stale the stored last-seen time may become
	// before a request writes it, so a session may idle out up to this much
	// early, never late. Default a twentieth of the session's idle timeout,
	// at most 1 minute; a value set here is cut to half the idle timeout.
	TouchInterval time.Duration

	// RenewInterval turns on periodic renewal: a request whose token is
	// this old gets a new token in its answer. Zero (the default) renews
	// only at Login, Renew and Reauthenticated.
	RenewInterval time.Duration
	// RenewGrace is how long the replaced token still works after a
	// periodic renewal, for the requests a client sent before it saw the
	// new one; default 1 minute, and shorter than RenewInterval. Presented
	// later, the replaced token is taken as stolen: the whole session ends
	// (EndTokenReuse), the new token with it.
	RenewGrace time.Duration

	// MaxSessions limits the live sessions of one user: a Login past it
	// ends the user's least recently used ones (EndEvicted). Zero (the
	// default) sets no limit.
	MaxSessions int

	// ClientIP returns the address recorded for a new session, of which 64
	// bytes are kept; default the host of r.RemoteAddr. Programs behind a
	// proxy they trust replace it.
	ClientIP func(r *http.Request) string
	// OnEnd is told of every session the Manager ends by itself, as
	// opposed to those a program ends by Logout or a revocation (whose
	// calls return them): timed out (found by a request, or removed by
	// DeleteExpired), ended for the reuse of a replaced token, or evicted by
	// a Login past MaxSessions. r is the request that caused it, nil when
	// DeleteExpired did; ctx is the request's or DeleteExpired's. For an
	// audit trail, say. Optional.
	OnEnd func(ctx context.Context, s Session, why EndReason, r *http.Request)
	// ErrorHandler answers a request whose session could not be loaded
	// because the store failed; default a bare 503. The request is not
	// passed on: treating it as signed out would hide the outage.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Logger receives failures that stop nothing (a last-seen time not
	// written, a failed Cleanup) and what Cleanup removed; default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
}

// EndReason says why the Manager ended a session by itself (Config.OnEnd).
type EndReason int

// The reasons for Config.OnEnd.
const (
	// EndIdle: the session was unused for its idle timeout.
	EndIdle EndReason = iota + 1
	// EndLifetime: the session reached its absolute lifetime.
	EndLifetime
	// EndTokenReuse: a token replaced by a periodic renewal was presented
	// after its grace, so one of its holders is not the user.
	EndTokenReuse
	// EndEvicted: a Login past Config.MaxSessions ended this, the user's
	// least recently used session.
	EndEvicted
)

// String names r as an audit trail might: "idle timeout", "lifetime",
// "token reuse" or "evicted".
func (r EndReason) String() string {
	switch r {
	case EndIdle:
		return "idle timeout"
	case EndLifetime:
		return "lifetime"
	case EndTokenReuse:
		return "token reuse"
	case EndEvicted:
		return "evicted"
	}
	return fmt.Sprintf("EndReason(%d)", int(r))
}

// MaxDataLen bounds LoginOptions.Data, which every request reads.
const MaxDataLen = 4096

// withDefaults returns c with its defaults filled in, or an error naming
// the first field that no Manager can work with.
func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, errors.New("session: Config.Store is required")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"IdleTimeout", c.IdleTimeout}, {"Lifetime", c.Lifetime},
		{"RememberIdleTimeout", c.RememberIdleTimeout}, {"RememberLifetime", c.RememberLifetime},
		{"TouchInterval", c.TouchInterval}, {"RenewInterval", c.RenewInterval}, {"RenewGrace", c.RenewGrace},
	} {
		if d.v < 0 {
			return c, fmt.Errorf("session: Config.%s is negative (%v)", d.name, d.v)
		}
	}
	if c.MaxSessions < 0 {
		return c, fmt.Errorf("session: Config.MaxSessions is negative (%d)", c.MaxSessions)
	}
	c.CookieName = cmp.Or(c.CookieName, "sesame_session")
	if !validCookieName(c.CookieName) {
		return c, fmt.Errorf("session: Config.CookieName %q is not a cookie name", c.CookieName)
	}
	if (strings.HasPrefix(c.CookieName, "__Host-") || strings.HasPrefix(c.CookieName, "__Secure-")) && !c.Secure {
		// Browsers drop such a cookie unless it is Secure: every sign-in
		// would silently fail.
		return c, fmt.Errorf("session: Config.CookieName %q needs Secure", c.CookieName)
	}
	c.IdleTimeout = cmp.Or(c.IdleTimeout, 30*time.Minute)
	c.Lifetime = cmp.Or(c.Lifetime, 12*time.Hour)
	c.RememberIdleTimeout = cmp.Or(c.RememberIdleTimeout, 7*24*time.Hour)
	c.RememberLifetime = cmp.Or(c.RememberLifetime, 30*24*time.Hour)
	if c.IdleTimeout > c.Lifetime {
		return c, fmt.Errorf("session: Config.IdleTimeout %v is longer than Lifetime %v", c.IdleTimeout, c.Lifetime)
	}
	if c.RememberIdleTimeout > c.RememberLifetime {
		return c, fmt.Errorf("session: Config.RememberIdleTimeout %v is longer than RememberLifetime %v",
			c.RememberIdleTimeout, c.RememberLifetime)
	}
	if c.RenewInterval > 0 {
		c.RenewGrace = cmp.Or(c.RenewGrace, time.Minute)
		if c.RenewGrace >= c.RenewInterval {
			// A grace as long as the interval would keep two tokens alive
			// at every moment, and renew before the last one was retired.
			return c, fmt.Errorf("session: Config.RenewGrace %v must be shorter than RenewInterval %v",
				c.RenewGrace, c.RenewInterval)
		}
	}
	if c.ClientIP == nil {
		c.ClientIP = clientip.Remote
	}
	if c.ErrorHandler == nil {
		c.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
			http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// policy is the part of the configuration that depends on the kind of
// session: a remembered one or not.
type policy struct {
	idle, lifetime, touch time.Duration
}

func (c *Config) policy(remember bool) policy {
	p := policy{idle: c.IdleTimeout, lifetime: c.Lifetime}
	if remember {
		p.idle, p.lifetime = c.RememberIdleTimeout, c.RememberLifetime
	}
	// A fixed minute would turn a short idle timeout into a fixed lifetime:
	// uses within it would never be written down.
	p.touch = min(cmp.Or(c.TouchInterval, min(time.Minute, p.idle/20)), p.idle/2)
	return p
}

// validCookieName reports whether name is a token in the sense of RFC 6265,
// which is what a cookie name must be.
func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
