package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/sqlite"
)

// newDB opens a fresh database file in a temporary directory and closes it
// when the test ends.
func newDB(t *testing.T) *sqlite.DB {
	t.Helper()
	return openDB(t, filepath.Join(t.TempDir(), "sesame.db"))
}

// openDB opens the database at path and closes it when the test ends.
func openDB(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

var seq atomic.Int64

// addUser creates a user with a unique name holding roles.
func addUser(t *testing.T, db *sqlite.DB, roles ...string) *sesame.User {
	t.Helper()
	name := fmt.Sprintf("user%d", seq.Add(1))
	u, err := db.CreateUser(context.Background(), name, "hash-of-"+name, roles)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

// addProduct creates a product with a unique SKU, the given price and stock.
func addProduct(t *testing.T, db *sqlite.DB, priceCents int64, stock int) *sesame.Product {
	t.Helper()
	n := seq.Add(1)
	p := &sesame.Product{
		SKU:         fmt.Sprintf("SKU-%d", n),
		Name:        fmt.Sprintf("Product %d", n),
		Description: "for tests",
		PriceCents:  priceCents,
		Stock:       stock,
	}
	if err := db.CreateProduct(context.Background(), p); err != nil {
		t.Fatalf("CreateProduct: %v", err)
	}
	return p
}

// stockOf returns the current stock of product id.
func stockOf(t *testing.T, db *sqlite.DB, id int64) int {
	t.Helper()
	p, err := db.Product(context.Background(), id)
	if err != nil {
		t.Fatalf("Product(%d): %v", id, err)
	}
	return p.Stock
}

// addToCart puts quantity of product in the cart of user, failing the test
// on an error.
func addToCart(t *testing.T, db *sqlite.DB, userID, productID int64, quantity int) {
	t.Helper()
	if err := db.AddToCart(context.Background(), userID, productID, quantity); err != nil {
		t.Fatalf("AddToCart(%d, %d, %d): %v", userID, productID, quantity, err)
	}
}

// countRows returns the number of rows of table that match where.
func countRows(t *testing.T, db *sqlite.DB, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM " + table + " WHERE " + where
	if err := db.SQL().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
