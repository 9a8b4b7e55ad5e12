package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/sesamehq/sesame"
)

const productColumns = `id, sku, name, description, price_cents, stock`

// scanProduct reads the productColumns of one row.
func scanProduct(row pgx.Row) (sesame.Product, error) {
	var p sesame.Product
	err := row.Scan(&p.ID, &p.SKU, &p.Name, &p.Description, &p.PriceCents, &p.Stock)
	return p, err
}

// Products returns every product, by id.
func (db *DB) Products(ctx context.Context) ([]sesame.Product, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, `SELECT `+productColumns+` FROM products ORDER BY id`)
	if err != nil {
		return nil, db.wrap("products", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sesame.Product, error) { return scanProduct(row) })
	if err != nil {
		return nil, db.wrap("products", err)
	}
	if ps == nil {
		ps = []sesame.Product{}
	}
	return ps, nil
}

// Product returns product id or an error matching sesame.ErrNotFound.
func (db *DB) Product(ctx context.Context, id int64) (*sesame.Product, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	p, err := scanProduct(db.pool.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
	if err != nil {
		return nil, db.wrap("product", notFound(err, productName(id)))
	}
	return &p, nil
}

func productName(id int64) string { return "product " + strconv.FormatInt(id, 10) }

// insertProduct inserts p through q and sets its ID.
func insertProduct(ctx context.Context, q querier, p *sesame.Product) error {
	err := q.QueryRow(ctx, `
		INSERT INTO products (sku, name, description, price_cents, stock)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		p.SKU, p.Name, p.Description, p.PriceCents, p.Stock).Scan(&p.ID)
	if violates(err, codeUniqueViolation, "") {
		return fmt.Errorf("sku %q is taken: %w", p.SKU, sesame.ErrConflict)
	}
	return err
}

// Cart returns the cart of userID, lines by product id, at today's prices.
func (db *DB) Cart(ctx context.Context, userID int64) (sesame.Cart, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, `
		SELECT c.product_id, p.name, c.quantity, p.price_cents
		FROM cart_items c JOIN products p ON p.id = c.product_id
		WHERE c.user_id = $1
		ORDER BY c.product_id`, userID)
	if err != nil {
		return sesame.Cart{}, db.wrap("cart", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sesame.LineItem, error) {
		var l sesame.LineItem
		err := row.Scan(&l.ProductID, &l.Name, &l.Quantity, &l.UnitPriceCents)
		return l, err
	})
	if err != nil {
		return sesame.Cart{}, db.wrap("cart", err)
	}
	if items == nil {
		items = []sesame.LineItem{}
	}
	return sesame.Cart{Items: items}, nil
}

// AddToCart adds quantity (1 to sesame.MaxLineQuantity, which the service
// checks) of productID to the cart of userID, in one statement. An unknown
// product (a foreign key violation) matches sesame.ErrNotFound. When the
// line would exceed sesame.MaxLineQuantity it returns an error matching
// sesame.ErrConflict and changes nothing: the guard sits in the upsert
// itself, which holds the line's row lock, so that concurrent adds, in any
// process, can never pass it together.
func (db *DB) AddToCart(ctx context.Context, userID, productID int64, quantity int) error {
	if quantity > sesame.MaxLineQuantity {
		return db.wrap("add to cart", lineTooLarge()) // the CHECK would refuse a new line less clearly
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity
		WHERE cart_items.quantity + excluded.quantity <= $4`,
		userID, productID, quantity, sesame.MaxLineQuantity)
	switch {
	case violates(err, codeForeignKeyViolation, ""):
		err = fmt.Errorf("%s or user %d: %w", productName(productID), userID, sesame.ErrNotFound)
	case err == nil && tag.RowsAffected() == 0:
		err = lineTooLarge()
	}
	if err != nil {
		return db.wrap("add to cart", err)
	}
	return nil
}

func lineTooLarge() error {
	return fmt.Errorf("a cart line holds at most %d: %w", sesame.MaxLineQuantity, sesame.ErrConflict)
}

// SetCartQuantity sets the quantity (0 to sesame.MaxLineQuantity, which
// the service checks) of a line of the cart of userID, adding it when
// missing; 0 removes it. It reports whether a row changed: setting the
// quantity a line already has, or removing a line that is not there,
// changes nothing. An unknown product matches sesame.ErrNotFound. Each case
// is one statement.
func (db *DB) SetCartQuantity(ctx context.Context, userID, productID int64, quantity int) (bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if quantity == 0 {
		var exists, changed bool
		err := db.pool.QueryRow(ctx, `
			WITH gone AS (DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2 RETURNING 1)
			SELECT EXISTS (SELECT FROM products WHERE id = $2), EXISTS (SELECT FROM gone)`,
			userID, productID).Scan(&exists, &changed)
		if err == nil && !exists {
			err = fmt.Errorf("%s: %w", productName(productID), sesame.ErrNotFound)
		}
		if err != nil {
			return false, db.wrap("set cart quantity", err)
		}
		return changed, nil
	}
	// The WHERE makes an update to the same quantity touch no row.
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = excluded.quantity
		WHERE cart_items.quantity <> excluded.quantity`,
		userID, productID, quantity)
	if violates(err, codeForeignKeyViolation, "") {
		err = fmt.Errorf("%s or user %d: %w", productName(productID), userID, sesame.ErrNotFound)
	}
	if err != nil {
		return false, db.wrap("set cart quantity", err)
	}
	return tag.RowsAffected() > 0, nil
}

// Restock adds quantity (at least 1, which the service checks) to the stock
// of productID and returns the product. Stock beyond sesame.MaxStock
// matches sesame.ErrConflict and changes nothing; an unknown product
// matches sesame.ErrNotFound.
//
// It is one guarded UPDATE: PostgreSQL locks the row and, when another
// transaction changed it meanwhile, checks the guard again on the row as
// that one left it, so restocks and checkouts of the product in any
// process apply one after the other.
func (db *DB) Restock(ctx context.Context, productID int64, quantity int) (*sesame.Product, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	// Written as quantity <= max - stock, in bigint, so that no quantity
	// can overflow the sum or the parameter's type.
	p, err := scanProduct(db.pool.QueryRow(ctx, `
		UPDATE products SET stock = stock + $1::bigint
		WHERE id = $2 AND $1::bigint <= $3 - stock
		RETURNING `+productColumns,
		quantity, productID, sesame.MaxStock))
	if errors.Is(err, pgx.ErrNoRows) {
		// The rare path: tell a missing product from a full one. Products
		// are never deleted, so the answer cannot change in between.
		var exists bool
		if err = db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM products WHERE id = $1)`, productID).Scan(&exists); err == nil {
			err = fmt.Errorf("stock is at most %d: %w", sesame.MaxStock, sesame.ErrConflict)
			if !exists {
				err = fmt.Errorf("%s: %w", productName(productID), sesame.ErrNotFound)
			}
		}
	}
	if err != nil {
		return nil, db.wrap("restock", err)
	}
	return &p, nil
}
