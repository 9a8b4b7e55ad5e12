// Package sesame holds the domain of the sesame shop: users and their
// permissions, products, carts, orders and the audit trail, together with the
// errors that services return. It imports nothing of the project; storage, the
// HTTP front end and the command all depend on it, never the other way round.
package sesame

import (
	"context"
	"slices"
	"time"
)

// Permission names one thing a user may do. A user's permissions are the
// union of the permissions of their roles.
type Permission string

// The permissions sesame knows. Roles and their permissions live in the
// database; these constants are what the code asks about.
const (
	PermProductsView Permission = "products.view"
	PermCartEdit     Permission = "cart.edit"
	PermCheckout     Permission = "checkout"
	PermTaskPerform  Permission = "task.perform"
	PermAdmin        Permission = "admin"
)

// Role is a named set of permissions that users hold.
type Role struct {
	Name        string
	Permissions []Permission
}

// User is a person who can sign in.
type User struct {
	ID       int64
	Username string
	// PasswordHash is the encoded argon2id hash; it never leaves the server.
	PasswordHash string
	Roles        []string
	// Permissions is the sorted union of the permissions of Roles.
	Permissions []Permission
	CreatedAt   time.Time
	// Disabled users cannot sign in, and have no sessions.
	Disabled bool
	// LastLoginAt is the time of the latest sign-in; zero when never.
	LastLoginAt time.Time
	// Generation counts the changes that end every session of the user:
	// of roles, of the password, of Disabled. A session records what it
	// knows of its user at sign-in, and so stands for the generation it
	// began in; one begun before the latest change is stale, however it
	// slipped past the revocation (a sign-in that checked the password just
	// before a change and stored its session just after).
	Generation int64
}

// Can reports whether u holds permission p. It is the one place that decides
// what a user may do; a nil user (a visitor who is not signed in) may do
// nothing.
func (u *User) Can(p Permission) bool {
	return u != nil && slices.Contains(u.Permissions, p)
}

// NewUser is a user to create when a store is seeded with its first data.
type NewUser struct {
	Username     string
	PasswordHash string
	Roles        []string
}

// Actor is who is making a request: the signed-in user, if any, the public id
// of their session, and where the request came from. Services read it from the
// context to authorize and to audit. It is built once per request and not
// changed: code that acts for someone else (a sign-in, once it succeeds)
// derives a new context with NewContext.
type Actor struct {
	User      *User  // nil for a visitor who is not signed in
	SessionID string // public session id; "" without a session
	IP        string
	UserAgent string
	// Operator names a trusted tool acting outside any session, such as
	// "cli" for the command line run by whoever may read the database
	// anyway: it holds every permission, needs no re-authentication, and is
	// what the audit trail names as the actor. "" for requests.
	Operator string
}

// OperatorCLI is the Operator of the command line.
const OperatorCLI = "cli"

// Can reports whether a holds permission p: an operator holds them all, a
// user their roles' (see User.Can).
func (a *Actor) Can(p Permission) bool {
	return a.Operator != "" || a.User.Can(p)
}

type actorKey struct{}

// NewContext returns a copy of ctx that carries a.
func NewContext(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx. It never returns nil: without
// one it returns an anonymous actor with no address.
func ActorFrom(ctx context.Context) *Actor {
	if a, ok := ctx.Value(actorKey{}).(*Actor); ok && a != nil {
		return a
	}
	return &Actor{}
}
