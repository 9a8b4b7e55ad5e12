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
}

// Can reports whether u holds permission p. It is the one place that decides
// what a user may do; a nil user (a visitor who is not signed in) may do
// nothing.
func (u *User) Can(p Permission) bool {
	return u != nil && slices.Contains(u.Permissions, p)
}

// Actor is who is making a request: the signed-in user, if any, the public id
// of their session, and where the request came from. Services read it from the
// context to authorize and to audit.
type Actor struct {
	User      *User  // nil for a visitor who is not signed in
	SessionID string // public session id; "" without a session
	IP        string
	UserAgent string
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
