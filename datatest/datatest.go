// Package datatest is the conformance suite of the app data stores: every
// implementation of the store interfaces that the services declare
// (auth.Store, account.Store, shop.Store, audit.Store) runs it, as session
// stores run session/storetest, so that the services behave the same over
// SQLite and PostgreSQL.
//
// A store's own test calls Run from a func TestConformance(t *testing.T)
// with a function that returns a fresh, empty store. The suite never looks
// inside a store, only at what the interfaces promise.
package datatest

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/shop"
)

// Store is everything an app data store implements: the interfaces of the
// services, and seeding.
type Store interface {
	auth.Store
	account.Store
	shop.Store
	audit.Store
	// Seed fills an empty store (one without users) with users and
	// products, created at now, all or nothing, and reports whether it did;
	// a store that has a user is left alone.
	Seed(ctx context.Context, users []sesame.NewUser, products []sesame.Product, now time.Time) (bool, error)
	// CountUsers returns the number of users.
	CountUsers(ctx context.Context) (int, error)
}

// Timeout bounds each case of the suite. A store that deadlocks, or waits
// for a lock that is never released, fails the suite with a message naming
// the case instead of hanging until go test's own timeout kills it without
// saying where.
var Timeout = 2 * time.Minute

// Run runs the suite as subtests of t, which run in parallel with one
// another.
//
// # Isolation
//
// newStore is called once per subtest, with the subtest's t, and must
// return a new, empty store that this subtest uses alone while the others
// use theirs: a database file of its own, say, or a PostgreSQL database or
// schema of its own. Empty means no users, products, carts, orders, audit
// events or throttle state; it does hold the roles that sesame ships (its
// reference data, which the services rely on): "customer" with
// products.view and cart.edit, "privileged" with checkout and task.perform,
// and "admin" with all five. newStore releases what the store holds (a
// connection, a file) with t.Cleanup. The suite makes products with Seed,
// the only way the interfaces have, so each case that needs them seeds its
// fresh store before it adds a user.
//
// # What a store must provide
//
// Everything the comments of the interfaces promise, and in particular:
//
//   - Times come back as they were stored to at least the millisecond, in
//     UTC. The suite stores whole milliseconds, except to check that what
//     Checkout returns is what Order reads back whatever precision the
//     store keeps.
//   - Lists are never nil: an empty list is an empty slice, so that it
//     encodes as [] and not null. That holds for Products, Cart.Items,
//     Users, Orders, Events, Passkeys and the roles and permissions of a
//     user.
//   - A user's Roles and Permissions are sorted and hold each name once;
//     Roles returns the roles by name, each with its permissions sorted.
//   - Usernames compare without regard to case, of ASCII letters at least
//     (the account service allows no others in a new name). The throttle's
//     usernames and addresses arrive normalized by the auth service
//     (lowercased and cut, an IPv6 /64 as one string), so the suite gives
//     it only such keys.
//   - Every method is safe for concurrent use, by several goroutines here
//     (and, in production, by several processes on one database), and
//     atomic where the interfaces say so: BeginAttempt is one step against
//     every other attempt, so that 30 attempts at once whose allow refuses
//     at 20 failures count exactly 20; the AddToCart and Restock guards
//     hold under concurrent calls; 8 additions of passkeys at once with a
//     limit of 3 keep 3, and one take of many at once gets a ceremony;
//     and, as shop.Store says, Checkout and
//     Restock of the same products give the result of some order of them
//     one after the other: Checkout never sells a unit twice, never leaves
//     stock below zero, takes every line or none, and one idempotency key
//     used by several checkouts at once places one order, which each of
//     them returns.
//   - Paging is by key, not by offset: a cursor names the last item given
//     out, so that items added at the head of a list (newer orders and
//     events) while it is read make the next stretch neither repeat nor
//     skip an item. A zero Paging asks for the first stretch of
//     sesame.DefaultLimit (stores apply sesame.Paging.Bounded).
//
// The suite also holds stores to a few answers that the comments of the
// interfaces leave open and that the services or front ends rely on:
// writes to a user id that names no user (SetRoles, SetPassword,
// SetDisabled, RehashPassword, SetLastLogin) match sesame.ErrNotFound and
// create nothing, and so does CreateCeremony with a nonzero UserID that
// names no user; CreateCeremony of a hash stored already matches
// sesame.ErrConflict; an unknown role given to CreateUser or SetRoles matches
// sesame.ErrNotFound and changes nothing; a cursor the store did not give
// out is a *sesame.InvalidError for "cursor"; the audit trail keeps user
// ids without checking them against the users, so that events outlive
// their users. Whether enabling a user (SetDisabled false) starts a new
// Generation is left to the store: it ends no session.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s Store)
	}{
		// users.go
		{"CreateUser", testCreateUser},
		{"UsernameIgnoresCase", testUsernameIgnoresCase},
		{"UsernameTaken", testUsernameTaken},
		{"UnknownRole", testUnknownRole},
		{"UnknownUser", testUnknownUser},
		{"Roles", testRoles},
		{"UsersPaging", testUsersPaging},
		{"SetRoles", testSetRoles},
		{"SetDisabled", testSetDisabled},
		{"PasswordAndLastLogin", testPasswordAndLastLogin},
		{"Generation", testGeneration},
		{"CountUsers", testCountUsers},
		// seed.go
		{"Seed", testSeed},
		{"SeedAllOrNothing", testSeedAllOrNothing},
		{"SeedNotIntoUsers", testSeedNotIntoUsers},
		// throttle.go
		{"ThrottleCounters", testThrottleCounters},
		{"BeginAttemptAllow", testBeginAttemptAllow},
		{"BeginAttemptConcurrent", testBeginAttemptConcurrent},
		{"SucceedAttempt", testSucceedAttempt},
		{"ForgetLoginFailures", testForgetLoginFailures},
		// shop.go
		{"Products", testProducts},
		{"Cart", testCart},
		{"CartErrors", testCartErrors},
		{"AddToCartConcurrent", testAddToCartConcurrent},
		{"Restock", testRestock},
		{"RestockConcurrent", testRestockConcurrent},
		// checkout.go
		{"Checkout", testCheckout},
		{"CheckoutEmptyCart", testCheckoutEmptyCart},
		{"CheckoutShortStock", testCheckoutShortStock},
		{"CheckoutIdempotencyKey", testCheckoutIdempotencyKey},
		{"CheckoutConcurrentOneKey", testCheckoutConcurrentOneKey},
		{"CheckoutConcurrentNeverOversell", testCheckoutConcurrentNeverOversell},
		{"CheckoutConcurrentAllOrNothing", testCheckoutConcurrentAllOrNothing},
		{"CheckoutRacesRestock", testCheckoutRacesRestock},
		// orders.go
		{"OrdersPaging", testOrdersPaging},
		{"OrdersOfOthers", testOrdersOfOthers},
		// audit.go
		{"AppendEvent", testAppendEvent},
		{"EventsOwnTrail", testEventsOwnTrail},
		{"EventsFilters", testEventsFilters},
		{"EventsPaging", testEventsPaging},
		{"EventsOutliveUsers", testEventsOutliveUsers},
		{"DeleteEventsBefore", testDeleteEventsBefore},
		// paging.go
		{"InvalidCursor", testInvalidCursor},
		// factors.go
		{"TOTPLifecycle", testTOTPLifecycle},
		{"TOTPStepOnce", testTOTPStepOnce},
		{"RecoveryCodeOnce", testRecoveryCodeOnce},
		{"PendingSignIn", testPendingSignIn},
		// passkeys.go
		{"PasskeyLifecycle", testPasskeyLifecycle},
		{"PasskeyCredentialIDUnique", testPasskeyCredentialIDUnique},
		{"PasskeyLimit", testPasskeyLimit},
		{"PasskeyLimitConcurrent", testPasskeyLimitConcurrent},
		{"Ceremony", testCeremony},
		{"CeremonyTakeOnce", testCeremonyTakeOnce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			// A panic is the only way to stop a test that is stuck in
			// another goroutine's call; it names the case that hung.
			watchdog := time.AfterFunc(Timeout, func() {
				panic(fmt.Sprintf("datatest: %s did not finish within %v: the store hangs", t.Name(), Timeout))
			})
			defer watchdog.Stop()
			tt.test(t, s)
		})
	}
}

// at is the suite's time base: a whole millisecond (see Run).
var at = time.Date(2030, 5, 6, 7, 8, 9, 123_000_000, time.UTC)

// seq makes names unique within a store.
var seq atomic.Int64

// addUser creates a user with a unique name holding roles, created at at.
func addUser(t *testing.T, s Store, roles ...string) *sesame.User {
	t.Helper()
	name := fmt.Sprintf("user%d", seq.Add(1))
	u, err := s.CreateUser(t.Context(), name, "hash-of-"+name, roles, at)
	if err != nil {
		t.Fatalf("CreateUser(%q, %v): %v", name, roles, err)
	}
	return u
}

// mustUser returns user id as the store has it now.
func mustUser(t *testing.T, s Store, id int64) *sesame.User {
	t.Helper()
	u, err := s.UserByID(t.Context(), id)
	if err != nil {
		t.Fatalf("UserByID(%d): %v", id, err)
	}
	return u
}

// product returns a product to seed with a unique SKU and name.
func product(priceCents int64, stock int) sesame.Product {
	n := seq.Add(1)
	return sesame.Product{
		SKU:         fmt.Sprintf("SKU-%d", n),
		Name:        fmt.Sprintf("Product %d", n),
		Description: "for the conformance suite",
		PriceCents:  priceCents,
		Stock:       stock,
	}
}

// seedProducts seeds the store, which must have no user yet, with ps and
// returns them as stored, in the order given, with their ids: found by SKU,
// since Seed is not asked to set them.
func seedProducts(t *testing.T, s Store, ps ...sesame.Product) []sesame.Product {
	t.Helper()
	ok, err := s.Seed(t.Context(), nil, slices.Clone(ps), at)
	if err != nil || !ok {
		t.Fatalf("Seed(%d products) = %v, %v; want true (seed products before adding users)", len(ps), ok, err)
	}
	stored, err := s.Products(t.Context())
	if err != nil {
		t.Fatalf("Products: %v", err)
	}
	out := make([]sesame.Product, len(ps))
	for i, p := range ps {
		j := slices.IndexFunc(stored, func(q sesame.Product) bool { return q.SKU == p.SKU })
		if j < 0 {
			t.Fatalf("seeded product %s is not listed", p.SKU)
		}
		out[i] = stored[j]
	}
	return out
}

// stockOf returns the current stock of product id.
func stockOf(t *testing.T, s Store, id int64) int {
	t.Helper()
	p, err := s.Product(t.Context(), id)
	if err != nil {
		t.Fatalf("Product(%d): %v", id, err)
	}
	return p.Stock
}

// addToCart puts quantity of product in the cart of user.
func addToCart(t *testing.T, s Store, userID, productID int64, quantity int) {
	t.Helper()
	if err := s.AddToCart(t.Context(), userID, productID, quantity); err != nil {
		t.Fatalf("AddToCart(%d, %d, %d): %v", userID, productID, quantity, err)
	}
}

// cartOf returns the cart of user.
func cartOf(t *testing.T, s Store, userID int64) sesame.Cart {
	t.Helper()
	c, err := s.Cart(t.Context(), userID)
	if err != nil {
		t.Fatalf("Cart(%d): %v", userID, err)
	}
	if c.Items == nil {
		t.Fatalf("Cart(%d).Items is nil; want an empty list", userID)
	}
	return c
}

// utc fails unless tm is in UTC.
func utc(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.Location() != time.UTC {
		t.Errorf("%s: time %v is in %v; want UTC", what, tm, tm.Location())
	}
}

// errOf drops the first result of a call, for tables of errors.
func errOf[T any](_ T, err error) error { return err }

// errOf3 drops the first two results of a call.
func errOf3[A, B any](_ A, _ B, err error) error { return err }
