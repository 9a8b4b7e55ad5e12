package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sesamehq/sesame"
)

// Checkout turns the cart of userID into an order in one transaction: it
// takes the stock of every line (never below zero), writes the order and
// its lines at today's prices and empties the cart, or, on any error,
// changes nothing. A non-empty idempotencyKey that userID used before
// returns that earlier order unchanged, with placed false. An empty cart is
// sesame.ErrEmptyCart; short stock is a *sesame.StockError naming every
// short line.
//
// The transaction begins IMMEDIATE, holding the write lock from the first
// read: two checkouts, in this process or another, run one after the other,
// so the second sees the stock (and the idempotency key) the first left.
func (db *DB) Checkout(ctx context.Context, userID int64, idempotencyKey string, now time.Time) (order *sesame.Order, placed bool, err error) {
	err = db.transact(ctx, func(tx querier) error {
		if idempotencyKey != "" {
			o, err := oneOrder(ctx, tx, `o.user_id = ? AND o.idempotency_key = ?`, userID, idempotencyKey)
			if err == nil {
				order = o
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		o, err := placeOrder(ctx, tx, userID, idempotencyKey, now)
		order, placed = o, err == nil
		return err
	})
	if err != nil {
		return nil, false, db.wrap("checkout", err)
	}
	return order, placed, nil
}

// placeOrder does the work of Checkout once no earlier order answers.
func placeOrder(ctx context.Context, tx querier, userID int64, key string, now time.Time) (*sesame.Order, error) {
	items, stock, err := cartWithStock(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, sesame.ErrEmptyCart
	}
	// Every line is tried, so that the error names all the short ones; the
	// guard in the WHERE clause is what keeps stock from going below zero.
	var short []sesame.ShortLine
	for i, l := range items {
		res, err := tx.ExecContext(ctx,
			`UPDATE products SET stock = stock - ?1 WHERE id = ?2 AND stock >= ?1`, l.Quantity, l.ProductID)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			short = append(short, sesame.ShortLine{
				ProductID: l.ProductID, Name: l.Name, Wanted: l.Quantity, Available: stock[i],
			})
		}
	}
	if len(short) > 0 {
		return nil, &sesame.StockError{Lines: short}
	}

	o := &sesame.Order{
		UserID:     userID,
		TotalCents: sesame.Cart{Items: items}.TotalCents(),
		CreatedAt:  fromMillis(millis(now)), // as it will read back
		Items:      items,
	}
	var k sql.NullString // no key is NULL, which UNIQUE lets repeat
	if key != "" {
		k = sql.NullString{String: key, Valid: true}
	}
	err = tx.QueryRowContext(ctx, `
		INSERT INTO orders (user_id, total_cents, created_at, idempotency_key)
		VALUES (?, ?, ?, ?) RETURNING id`,
		userID, o.TotalCents, millis(now), k).Scan(&o.ID)
	if err != nil {
		return nil, err
	}
	for _, l := range items {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO order_items (order_id, product_id, name, unit_price_cents, quantity)
			VALUES (?, ?, ?, ?, ?)`,
			o.ID, l.ProductID, l.Name, l.UnitPriceCents, l.Quantity)
		if err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE user_id = ?`, userID); err != nil {
		return nil, err
	}
	return o, nil
}

// cartWithStock reads the cart of userID at today's names and prices, with
// the stock of each line's product.
func cartWithStock(ctx context.Context, tx querier, userID int64) ([]sesame.LineItem, []int, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT c.product_id, p.name, c.quantity, p.price_cents, p.stock
		FROM cart_items c JOIN products p ON p.id = c.product_id
		WHERE c.user_id = ?
		ORDER BY c.product_id`, userID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var (
		items []sesame.LineItem
		stock []int
	)
	for rows.Next() {
		var (
			l sesame.LineItem
			s int
		)
		if err := rows.Scan(&l.ProductID, &l.Name, &l.Quantity, &l.UnitPriceCents, &s); err != nil {
			return nil, nil, err
		}
		items = append(items, l)
		stock = append(stock, s)
	}
	return items, stock, rows.Err()
}

// selectOrders reads orders joined with their lines, one row per line, so
// that a page of orders costs one statement rather than one per order. The
// placeholder %s is the FROM source of the orders (a table or a subquery).
const selectOrders = `
SELECT o.id, o.user_id, o.total_cents, o.created_at,
	i.product_id, i.name, i.unit_price_cents, i.quantity
FROM %s o JOIN order_items i ON i.order_id = o.id`

// scanOrders groups the rows of selectOrders, which must come ordered by
// order, into orders.
func scanOrders(rows *sql.Rows) ([]sesame.Order, error) {
	defer rows.Close()
	orders := []sesame.Order{}
	for rows.Next() {
		var (
			o       sesame.Order
			created int64
			l       sesame.LineItem
		)
		err := rows.Scan(&o.ID, &o.UserID, &o.TotalCents, &created,
			&l.ProductID, &l.Name, &l.UnitPriceCents, &l.Quantity)
		if err != nil {
			return nil, err
		}
		if n := len(orders); n == 0 || orders[n-1].ID != o.ID {
			o.CreatedAt = fromMillis(created)
			orders = append(orders, o)
		}
		last := &orders[len(orders)-1]
		last.Items = append(last.Items, l)
	}
	return orders, rows.Err()
}

// oneOrder returns the one order that where selects, or sql.ErrNoRows.
func oneOrder(ctx context.Context, q querier, where string, args ...any) (*sesame.Order, error) {
	rows, err := q.QueryContext(ctx,
		fmt.Sprintf(selectOrders, "orders")+` WHERE `+where+` ORDER BY o.id, i.product_id`, args...)
	if err != nil {
		return nil, err
	}
	orders, err := scanOrders(rows)
	if err != nil {
		return nil, err
	}
	if len(orders) == 0 {
		return nil, sql.ErrNoRows
	}
	return &orders[0], nil
}

// Order returns order id with its lines, whoever owns it, or an error
// matching sesame.ErrNotFound.
func (db *DB) Order(ctx context.Context, id int64) (*sesame.Order, error) {
	o, err := oneOrder(ctx, db.q, `o.id = ?`, id)
	if err != nil {
		return nil, db.wrap("order", notFound(err, fmt.Sprintf("order %d", id)))
	}
	return o, nil
}

// Orders returns the orders of userID with their lines, newest first, at
// most p.Limit after p.Cursor, and the cursor of what follows.
func (db *DB) Orders(ctx context.Context, userID int64, p sesame.Paging) ([]sesame.Order, string, error) {
	p, before, err := pageBounds(p)
	if err != nil {
		return nil, "", db.wrap("orders", err)
	}
	// The orders are chosen in a subquery, so that LIMIT counts orders, not
	// lines, and one statement reads a consistent snapshot of both.
	rows, err := db.q.QueryContext(ctx, fmt.Sprintf(selectOrders, `(
			SELECT * FROM orders WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?
		)`)+` ORDER BY o.id DESC, i.product_id`,
		userID, before, p.Limit+1)
	if err != nil {
		return nil, "", db.wrap("orders", err)
	}
	orders, err := scanOrders(rows)
	if err != nil {
		return nil, "", db.wrap("orders", err)
	}
	orders, next := sesame.Cut(p, orders, func(o sesame.Order) int64 { return o.ID })
	return orders, next, nil
}

// pageBounds returns p Bounded and the id that the rows it asks for must
// lie below. A cursor that is not one this store gave out is a
// *sesame.InvalidError.
func pageBounds(p sesame.Paging) (sesame.Paging, int64, error) {
	p = p.Bounded()
	after, err := p.AfterID()
	if err != nil {
		return p, 0, err
	}
	if after == 0 {
		return p, math.MaxInt64, nil
	}
	return p, after, nil
}
