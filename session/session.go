// Package session manages server-side login sessions for net/http programs.
//
// A session is identified by a 256-bit random token that travels only in a
// cookie. Stores never see the token: they key sessions by its SHA-256 Hash,
// so a leaked database cannot be replayed as cookies. Every session also has a
// public ID, a separate random value that may be shown in lists, logs and
// URLs because it cannot be used to authenticate.
//
// The Manager enforces an idle timeout and an absolute lifetime on the server
// whatever the cookie says, issues a new token on every Login and Renew (so a
// token planted before sign-in, or seen before a privilege change, is dead),
// and revokes sessions one by one or per user. Beyond that it offers three
// policies, each off unless configured:
//
//   - periodic renewal (Config.RenewInterval): the token changes during a
//     session, not only at sign-in, so a token copied once stops working
//     soon; the token it replaced still works for a grace period, and after
//     that its use ends the whole session as stolen;
//   - a limit on the sessions of one user (Config.MaxSessions): a sign-in
//     past it ends the user's least recently used session;
//   - remembered sessions (LoginOptions.Remember): their own lifetime and
//     idle timeout, and a cookie that outlives the browser.
//
// It keeps no cache: every request reads the store, so a session revoked by
// another process is dead on the next request everywhere. To keep that read
// cheap, the last-seen time is written at most once per touch interval.
//
// The package knows nothing of users beyond an opaque user id string, and
// nothing of any application. A program may attach a few bytes of its own
// to a session at sign-in (LoginOptions.Data), fixed for the session's life:
// what it needs to know of its user on every request, say, so that one store
// read serves it. Stores live in sub-packages (memstore, sqlitestore, …) so
// that their drivers stay out of programs that do not use them, and every
// store passes the same conformance suite in storetest.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"
)

// ErrNotFound says that no such session exists. Stores return it, and so
// does the Manager: Revoke for an id that names none of the user's
// sessions, Renew for a request without a session or whose session ended
// meanwhile. The Manager wraps it; test for it with errors.Is.
var ErrNotFound = errors.New("session: not found")

// ErrConflict says that a store refused a change because the session was
// changed by someone else first: Rotate found that the token it was to
// replace had been replaced already (two requests renewing one session at
// once; only one may win).
var ErrConflict = errors.New("session: changed concurrently")

// Session is what may be known about a session without holding it: nothing
// here authenticates.
type Session struct {
	ID            string    // public id, safe to show; not a credential
	UserID        string    // whose session it is
	CreatedAt     time.Time // sign-in time
	LastSeenAt    time.Time // last recorded use, at most a touch interval stale
	IdleExpiresAt time.Time // dead from this time on unless used before
	ExpiresAt     time.Time // dead from this time on, however active
	IP            string    // client address at sign-in
	UserAgent     string    // client's User-Agent at sign-in
	// LastIP is the client address at the latest renewal of the token (the
	// sign-in address until the first), so that a token presented after
	// its grace can be reported beside the address that renewed it.
	LastIP string
	// Remember marks a session started with LoginOptions.Remember: it has
	// the remembered lifetime and idle timeout, and a persistent cookie.
	Remember bool
	// AuthenticatedAt is when the user last proved who they are in this
	// session: at sign-in, or later through Manager.Reauthenticated.
	// Programs ask for a recent one before sensitive changes ("sudo mode").
	AuthenticatedAt time.Time
	// TokenIssuedAt is when the current token was issued: at sign-in, or at
	// the latest renewal. Periodic renewal counts from it.
	TokenIssuedAt time.Time
	// Data is what the program attached at sign-in (LoginOptions.Data),
	// unchanged; nil when nothing was.
	Data []byte
}

// Expired reports whether s is dead at time now, by either deadline.
func (s Session) Expired(now time.Time) bool {
	return !now.Before(s.ExpiresAt) || !now.Before(s.IdleExpiresAt)
}

// Hash is the SHA-256 of a session token: the only form of it a store keeps.
type Hash [sha256.Size]byte

// String returns h in hex, for stores that key by strings.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero Hash, which stands for "no token"
// (a Record without a previous one). No token hashes to it.
func (h Hash) IsZero() bool { return h == Hash{} }

// Record is a session as a store keeps it: the session, the hash of its
// current token and, after a periodic renewal, the hash of the token it
// replaced.
type Record struct {
	Hash Hash
	// PrevHash is the hash of the token that the latest periodic renewal
	// replaced, or zero. Get finds the record by it too: until
	// PrevValidUntil the previous token still works (requests sent before
	// the client saw the new one), and after that its use is taken as theft.
	PrevHash       Hash
	PrevValidUntil time.Time
	Session
}

// Renewal is what Store.Rotate writes: a new token and the use that
// renewed it.
type Renewal struct {
	Hash Hash // of the new token
	// PrevHash is kept as the record's PrevHash (zero keeps none: the
	// token being replaced is then unknown from now on), valid until
	// PrevValidUntil.
	PrevHash       Hash
	PrevValidUntil time.Time
	IssuedAt       time.Time // becomes TokenIssuedAt
	LastSeenAt     time.Time // a renewal is a use, so it also touches
	IdleExpiresAt  time.Time
	LastIP         string
	// AuthenticatedAt, when not zero, replaces the record's: the user has
	// just proved who they are again.
	AuthenticatedAt time.Time
}

// Query selects sessions for Store.List: those alive at Now, of UserID
// ("" for every user), ordered by CreatedAt and then ID, both descending
// (newest first), strictly after After when it is not zero, at most Limit.
type Query struct {
	UserID string
	Now    time.Time
	After  Key
	Limit  int
}

// Key is the place of a session in the order of Store.List.
type Key struct {
	CreatedAt time.Time
	ID        string
}

// IsZero reports whether k is the zero Key, the start of a list.
func (k Key) IsZero() bool { return k.CreatedAt.IsZero() && k.ID == "" }

// Before reports whether a session with key k comes before (is listed
// earlier than) one with key o: a later CreatedAt, or the same one and a
// greater ID.
func (k Key) Before(o Key) bool {
	if c := k.CreatedAt.Compare(o.CreatedAt); c != 0 {
		return c > 0
	}
	return k.ID > o.ID
}

// KeyOf returns the key of s in the order of Store.List.
func KeyOf(s Session) Key { return Key{CreatedAt: s.CreatedAt, ID: s.ID} }

// Store keeps sessions. Implementations must be safe for concurrent use and,
// when shared by several processes, make every write visible to all of them
// at once: the Manager caches nothing.
//
// Times must come back as they were stored to at least the millisecond, so
// that deadlines stay where the Manager put them; finer precision may be
// dropped. Package storetest checks them to the millisecond.
//
// Stores need not check expiry except where a method says so; the Manager
// does. The Manager never sets IdleExpiresAt after ExpiresAt, so a store
// may find dead sessions by IdleExpiresAt alone. A store may drop dead
// records by itself (a Redis TTL, say), but cannot report those, so
// Config.OnEnd never sees them; the rest it must remove in DeleteExpired.
//
// A store that can tell whether it is reachable also implements Pinger.
// Package storetest checks a store against this whole contract.
type Store interface {
	// Create stores a new record. A Hash that is the current or previous
	// hash of any session, or an ID that exists, is an error. When limit is above zero, the user's sessions that are alive
	// at r.CreatedAt, r among them, must not number more than limit: Create
	// first removes as many of the others as it takes, least recently used
	// (by LastSeenAt) first, and returns them. Removing them and storing r
	// are one atomic step, so that concurrent Creates for one user cannot
	// together leave more than limit alive.
	Create(ctx context.Context, r Record, limit int) (evicted []Session, err error)
	// Get returns the record whose Hash or PrevHash is h, or ErrNotFound.
	Get(ctx context.Context, h Hash) (Record, error)
	// Touch records use of session id at lastSeen, moving its idle deadline
	// to idleExpiresAt; ErrNotFound when it no longer exists.
	Touch(ctx context.Context, id string, lastSeen, idleExpiresAt time.Time) error
	// Rotate gives session id the new token of rn, atomically and only if
	// its current Hash is still cur: no moment exists in which a reader
	// finds the old state half changed. ErrNotFound when id does not exist;
	// ErrConflict, changing nothing, when its Hash is no longer cur (or,
	// racing a Delete, when it is gone: either answer is right then); an
	// error, changing nothing, when rn.Hash is the current or previous hash
	// of any session.
	Rotate(ctx context.Context, id string, cur Hash, rn Renewal) error
	// Delete removes session id and returns it. When userID is not "", the
	// session must also belong to userID: another user's session is
	// ErrNotFound, exactly like a missing one, and stays.
	Delete(ctx context.Context, id, userID string) (Session, error)
	// DeleteByUser removes every session of userID except the one with
	// public id exceptID ("" spares none) and returns those it removed.
	DeleteByUser(ctx context.Context, userID, exceptID string) ([]Session, error)
	// List returns the sessions that q selects, in its order.
	List(ctx context.Context, q Query) ([]Session, error)
	// Count returns how many sessions are alive at now.
	Count(ctx context.Context, now time.Time) (int, error)
	// DeleteExpired removes every session dead at now and returns those it
	// removed, each once, so that their end can be recorded. On an error it
	// still returns those it had removed before it.
	DeleteExpired(ctx context.Context, now time.Time) ([]Session, error)
}

// Pinger is the optional method of a Store that can tell whether it is
// reachable, such as one over a database connection. Manager.Ping calls it,
// so that a readiness check covers the session store.
type Pinger interface {
	// Ping returns an error when the store cannot be reached.
	Ping(ctx context.Context) error
}

// tokenBytes is the entropy of a session token: 256 bits, twice what OWASP
// asks, so that guessing is hopeless even across many sessions.
const tokenBytes = 32

// encoding of tokens and public ids: URL- and cookie-safe, no padding.
var encoding = base64.RawURLEncoding.Strict()

// tokenLen is the length of an encoded token, the only length a cookie
// value may have.
var tokenLen = encoding.EncodedLen(tokenBytes)

// newToken returns a fresh token for the cookie and the hash a store keeps.
func newToken() (string, Hash) {
	var b [tokenBytes]byte
	rand.Read(b[:]) // never fails; crashes the program rather than return weak bytes
	return encoding.EncodeToString(b[:]), sha256.Sum256(b[:])
}

// hashToken returns the hash of a token read from a cookie, or false when the
// value cannot be a token we issued. It allocates nothing: it runs on every
// request.
func hashToken(token string) (Hash, bool) {
	if len(token) != tokenLen {
		return Hash{}, false
	}
	var b [tokenBytes]byte
	if n, err := encoding.Decode(b[:], []byte(token)); err != nil || n != tokenBytes {
		return Hash{}, false
	}
	return sha256.Sum256(b[:]), true
}

// newID returns a public session id: 128 random bits, unrelated to the token.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return encoding.EncodeToString(b[:])
}
