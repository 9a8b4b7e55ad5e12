package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sesamehq/sesame"
)

// Checkout turns the cart of userID into an order in one transaction: it
// takes the stock of every line (never below zero), writes the order and
// its lines at today's prices and empties those lines from the cart, or, on
// any error, changes nothing. A non-empty idempotencyKey that userID used
// before returns that earlier order unchanged, with placed false. An empty
// cart is sesame.ErrEmptyCart; short stock is a *sesame.StockError naming
// every short line.
//
// # Row locks, not guarded updates
//
// The transaction locks what it decides on before it reads it, in one
// batch of statements (one round trip):
//
//  1. the user's row (FOR NO KEY UPDATE): checkouts of one user run one
//     after the other in every process, so that the second of two with one
//     idempotency key finds the first's order, committed, instead of
//     racing it to the unique constraint;
//  2. the order the key names, if any, read after that lock;
//  3. the cart's lines (FOR UPDATE) and their products (FOR NO KEY UPDATE),
//     in product id order: a concurrent AddToCart of a line waits rather
//     than change a line being sold, and every checkout takes product
//     locks in the same order, so two can never each wait for the other.
//
// Under READ COMMITTED a locking read returns each row as the last
// transaction that held its lock committed it, so the stock read is exact
// until commit: short lines are known before anything is written, each
// with the stock that was really there, and the decrement cannot fail. A
// guarded decrement alone (stock = stock - q WHERE stock >= q) would keep
// stock from going below zero too, but would leave the cart and the key
// unguarded and report the stock of an older snapshot.
//
// NO KEY UPDATE, not UPDATE, on products and users: it still conflicts with
// every other writer of those rows, but not with the KEY SHARE locks that
// foreign keys take, so other users' carts and orders can refer to the
// products meanwhile.
func (db *DB) Checkout(ctx context.Context, userID int64, idempotencyKey string, now time.Time) (order *sesame.Order, placed bool, err error) {
	err = db.transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var (
			earlier *int64
			lines   []lineWithStock
		)
		b := &pgx.Batch{}
		b.Queue(`SELECT FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID)
		if idempotencyKey != "" {
			b.Queue(`SELECT id FROM orders WHERE user_id = $1 AND idempotency_key = $2`, userID, idempotencyKey).
				QueryRow(func(row pgx.Row) error {
					err := row.Scan(&earlier)
					if errors.Is(err, pgx.ErrNoRows) {
						return nil
					}
					return err
				})
		}
		b.Queue(`
			SELECT c.product_id, p.name, c.quantity, p.price_cents, p.stock
			FROM cart_items c JOIN products p ON p.id = c.product_id
			WHERE c.user_id = $1
			ORDER BY c.product_id
			FOR UPDATE OF c FOR NO KEY UPDATE OF p`, userID).Query(func(rows pgx.Rows) error {
			var err error
			lines, err = pgx.CollectRows(rows, scanLineWithStock)
			return err
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		if earlier != nil {
			o, err := oneOrder(ctx, tx, `o.id = $1`, *earlier)
			order = o
			return err
		}
		o, err := placeOrder(ctx, tx, userID, idempotencyKey, now, lines)
		order, placed = o, err == nil
		return err
	})
	if err != nil {
		return nil, false, db.wrap("checkout", err)
	}
	return order, placed, nil
}

// lineWithStock is a cart line with the stock of its product.
type lineWithStock struct {
	sesame.LineItem
	stock int
}

func scanLineWithStock(row pgx.CollectableRow) (lineWithStock, error) {
	var l lineWithStock
	err := row.Scan(&l.ProductID, &l.Name, &l.Quantity, &l.UnitPriceCents, &l.stock)
	return l, err
}

// placeOrder does the work of Checkout once no earlier order answers, on
// lines read under their locks: the stock, the order with its lines, and
// the cart, in one more batch.
func placeOrder(ctx context.Context, tx pgx.Tx, userID int64, key string, now time.Time, lines []lineWithStock) (*sesame.Order, error) {
	if len(lines) == 0 {
		return nil, sesame.ErrEmptyCart
	}
	var short []sesame.ShortLine
	o := &sesame.Order{UserID: userID, CreatedAt: ms(now), Items: make([]sesame.LineItem, len(lines))}
	var (
		ids, prices []int64
		names       []string
		quantities  []int
	)
	for i, l := range lines {
		if l.Quantity > l.stock {
			short = append(short, sesame.ShortLine{ProductID: l.ProductID, Name: l.Name, Wanted: l.Quantity, Available: l.stock})
		}
		o.Items[i] = l.LineItem
		ids, names = append(ids, l.ProductID), append(names, l.Name)
		prices, quantities = append(prices, l.UnitPriceCents), append(quantities, l.Quantity)
	}
	if len(short) > 0 {
		return nil, &sesame.StockError{Lines: short}
	}
	o.TotalCents = sesame.Cart{Items: o.Items}.TotalCents()
	var keyArg *string // no key is NULL, which the unique constraint lets repeat
	if key != "" {
		keyArg = &key
	}

	b := &pgx.Batch{}
	// The guard cannot fail under the locks; it stays as the last line
	// against a bug, and the count of rows it changed is checked.
	b.Queue(`
		UPDATE products p SET stock = p.stock - l.quantity
		FROM unnest($1::bigint[], $2::integer[]) AS l (id, quantity)
		WHERE p.id = l.id AND p.stock >= l.quantity`, ids, quantities).Exec(func(tag pgconn.CommandTag) error {
		if n := tag.RowsAffected(); n != int64(len(ids)) {
			return fmt.Errorf("checkout: took the stock of %d products of %d, under their locks", n, len(ids))
		}
		return nil
	})
	b.Queue(`
		WITH o AS (
			INSERT INTO orders (user_id, total_cents, created_at, idempotency_key)
			VALUES ($1, $2, $3, $4) RETURNING id
		), lines AS (
			INSERT INTO order_items (order_id, product_id, name, unit_price_cents, quantity)
			SELECT o.id, l.product_id, l.name, l.price, l.quantity
			FROM o, unnest($5::bigint[], $6::text[], $7::bigint[], $8::integer[]) AS l (product_id, name, price, quantity)
		)
		SELECT id FROM o`,
		userID, o.TotalCents, o.CreatedAt, keyArg, ids, names, prices, quantities).QueryRow(func(row pgx.Row) error {
		return row.Scan(&o.ID)
	})
	// Only the lines sold: one added meanwhile (not locked, so not read)
	// stays in the cart.
	b.Queue(`DELETE FROM cart_items WHERE user_id = $1 AND product_id = ANY($2)`, userID, ids)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return o, nil
}

// selectOrders reads orders joined with their lines, one row per line, so
// that a stretch of orders costs one statement rather than one per order.
// The placeholder %s is the FROM source of the orders (a table or a
// subquery).
const selectOrders = `
SELECT o.id, o.user_id, o.total_cents, o.created_at,
	i.product_id, i.name, i.unit_price_cents, i.quantity
FROM %s o JOIN order_items i ON i.order_id = o.id`

// collectOrders groups the rows of selectOrders, which must come ordered
// by order, into orders.
func collectOrders(rows pgx.Rows) ([]sesame.Order, error) {
	defer rows.Close()
	orders := []sesame.Order{}
	for rows.Next() {
		var (
			o sesame.Order
			l sesame.LineItem
		)
		err := rows.Scan(&o.ID, &o.UserID, &o.TotalCents, &o.CreatedAt,
			&l.ProductID, &l.Name, &l.UnitPriceCents, &l.Quantity)
		if err != nil {
			return nil, err
		}
		if n := len(orders); n == 0 || orders[n-1].ID != o.ID {
			o.CreatedAt = fromDB(o.CreatedAt)
			orders = append(orders, o)
		}
		last := &orders[len(orders)-1]
		last.Items = append(last.Items, l)
	}
	return orders, rows.Err()
}

// oneOrder returns the one order that where selects, or pgx.ErrNoRows.
func oneOrder(ctx context.Context, q querier, where string, args ...any) (*sesame.Order, error) {
	rows, err := q.Query(ctx, fmt.Sprintf(selectOrders, "orders")+` WHERE `+where+` ORDER BY o.id, i.product_id`, args...)
	if err != nil {
		return nil, err
	}
	orders, err := collectOrders(rows)
	if err != nil {
		return nil, err
	}
	if len(orders) == 0 {
		return nil, pgx.ErrNoRows
	}
	return &orders[0], nil
}

// Order returns order id with its lines, whoever owns it, or an error
// matching sesame.ErrNotFound.
func (db *DB) Order(ctx context.Context, id int64) (*sesame.Order, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	o, err := oneOrder(ctx, db.pool, `o.id = $1`, id)
	if err != nil {
		return nil, db.wrap("order", notFound(err, fmt.Sprintf("order %d", id)))
	}
	return o, nil
}

// Orders returns the orders of userID with their lines, newest first, at
// most p.Limit after p.Cursor, and the cursor of what follows. The orders
// are chosen in a subquery, so that LIMIT counts orders, not lines, and one
// statement reads a consistent snapshot of both.
func (db *DB) Orders(ctx context.Context, userID int64, p sesame.Paging) ([]sesame.Order, string, error) {
	p, before, err := pageBounds(p)
	if err != nil {
		return nil, "", db.wrap("orders", err)
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, fmt.Sprintf(selectOrders, `(
			SELECT * FROM orders WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3
		)`)+` ORDER BY o.id DESC, i.product_id`,
		userID, before, p.Limit+1)
	if err != nil {
		return nil, "", db.wrap("orders", err)
	}
	orders, err := collectOrders(rows)
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
