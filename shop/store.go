package shop

import (
	"context"
	"time"

	"github.com/sesamehq/sesame"
)

// Store is what the shop needs from storage. Every method is one transaction,
// safe for concurrent use by several processes sharing one database.
//
// Its writes to stock must be safe against each other, on every instance:
// Checkout and Restock of the same products may run at once in several
// processes, and the store must give the same result as some order of them
// one after the other. Checkout in particular must never sell a unit twice
// nor leave stock below zero: its reads of the cart and the stock and its
// writes must not interleave with another Checkout's. Taking the stock with
// a guarded decrement (UPDATE … SET stock = stock - q WHERE id = ? AND
// stock >= q, one statement per line, inside the transaction) is enough on
// any database that runs single statements atomically; SQLite also holds
// its write lock from BEGIN IMMEDIATE, and PostgreSQL takes row locks.
type Store interface {
	// Products returns every product, by id.
	Products(ctx context.Context) ([]sesame.Product, error)
	// Product returns one product or an error matching sesame.ErrNotFound.
	Product(ctx context.Context, id int64) (*sesame.Product, error)

	// Cart returns the cart of userID, lines by product id.
	Cart(ctx context.Context, userID int64) (sesame.Cart, error)
	// AddToCart adds quantity of productID to the cart. It returns an error
	// matching sesame.ErrNotFound for an unknown product and one matching
	// sesame.ErrConflict, changing nothing, when the line would exceed
	// sesame.MaxLineQuantity.
	AddToCart(ctx context.Context, userID, productID int64, quantity int) error
	// SetCartQuantity sets the quantity of a line, adding it when missing;
	// 0 removes it. It reports whether the cart changed (false when the line
	// already had that quantity, or there was none to remove), so that only
	// changes are audited. An unknown product matches sesame.ErrNotFound.
	SetCartQuantity(ctx context.Context, userID, productID int64, quantity int) (changed bool, err error)

	// Checkout turns the cart of userID into an order, all or nothing: it
	// takes the stock of every line (never below zero), writes the order and
	// its lines at today's prices and empties the cart; placed is true. A
	// non-empty idempotencyKey that userID used before returns that earlier
	// order with placed false, and changes nothing. An empty cart is
	// sesame.ErrEmptyCart; short stock is a *sesame.StockError naming every
	// short line.
	Checkout(ctx context.Context, userID int64, idempotencyKey string, now time.Time) (order *sesame.Order, placed bool, err error)
	// Orders returns the orders of userID, newest first, at most p.Limit
	// after p.Cursor, and the cursor of what follows ("" at the end).
	Orders(ctx context.Context, userID int64, p sesame.Paging) ([]sesame.Order, string, error)
	// Order returns one order, whoever owns it, or sesame.ErrNotFound.
	Order(ctx context.Context, id int64) (*sesame.Order, error)

	// Restock adds quantity to the stock of productID and returns the
	// product. Stock beyond sesame.MaxStock matches sesame.ErrConflict and
	// changes nothing; an unknown product matches sesame.ErrNotFound.
	Restock(ctx context.Context, productID int64, quantity int) (*sesame.Product, error)
}
