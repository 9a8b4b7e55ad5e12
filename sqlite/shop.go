package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/sesamehq/sesame"
)

const productColumns = `id, sku, name, description, price_cents, stock`

// scanProduct reads the productColumns of one row.
func scanProduct(row interface{ Scan(...any) error }) (sesame.Product, error) {
	var p sesame.Product
	err := row.Scan(&p.ID, &p.SKU, &p.Name, &p.Description, &p.PriceCents, &p.Stock)
	return p, err
}

// Products returns every product, by id.
func (db *DB) Products(ctx context.Context) ([]sesame.Product, error) {
	rows, err := db.q.QueryContext(ctx, `SELECT `+productColumns+` FROM products ORDER BY id`)
	if err != nil {
		return nil, db.wrap("products", err)
	}
	defer rows.Close()
	ps := []sesame.Product{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, db.wrap("products", err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("products", err)
	}
	return ps, nil
}

// Product returns product id or an error matching sesame.ErrNotFound.
func (db *DB) Product(ctx context.Context, id int64) (*sesame.Product, error) {
	p, err := scanProduct(db.q.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE id = ?`, id))
	if err != nil {
		return nil, db.wrap("product", notFound(err, productName(id)))
	}
	return &p, nil
}

func productName(id int64) string { return "product " + strconv.FormatInt(id, 10) }

// insertProduct inserts p through q and sets its ID.
func insertProduct(ctx context.Context, q querier, p *sesame.Product) error {
	err := q.QueryRowContext(ctx, `
		INSERT INTO products (sku, name, description, price_cents, stock)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		p.SKU, p.Name, p.Description, p.PriceCents, p.Stock).Scan(&p.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("sku %q is taken: %w", p.SKU, sesame.ErrConflict)
	}
	return err
}

// Cart returns the cart of userID, lines by product id, at today's prices.
func (db *DB) Cart(ctx context.Context, userID int64) (sesame.Cart, error) {
	rows, err := db.q.QueryContext(ctx, `
		SELECT c.product_id, p.name, c.quantity, p.price_cents
		FROM cart_items c JOIN products p ON p.id = c.product_id
		WHERE c.user_id = ?
		ORDER BY c.product_id`, userID)
	if err != nil {
		return sesame.Cart{}, db.wrap("cart", err)
	}
	defer rows.Close()
	cart := sesame.Cart{Items: []sesame.LineItem{}}
	for rows.Next() {
		var l sesame.LineItem
		if err := rows.Scan(&l.ProductID, &l.Name, &l.Quantity, &l.UnitPriceCents); err != nil {
			return sesame.Cart{}, db.wrap("cart", err)
		}
		cart.Items = append(cart.Items, l)
	}
	if err := rows.Err(); err != nil {
		return sesame.Cart{}, db.wrap("cart", err)
	}
	return cart, nil
}

// AddToCart adds quantity (1 to sesame.MaxLineQuantity, which the service
// checks) of productID to the cart of userID. An unknown product matches
// sesame.ErrNotFound. When the line would exceed sesame.MaxLineQuantity it
// returns an error matching sesame.ErrConflict and changes nothing: the
// guard sits in the upsert itself, so that concurrent adds can never pass
// it together.
func (db *DB) AddToCart(ctx context.Context, userID, productID int64, quantity int) error {
	err := db.transact(ctx, func(tx querier) error {
		if err := productExists(ctx, tx, productID); err != nil {
			return err
		}
		if quantity > sesame.MaxLineQuantity {
			// SQLite checks the row to insert before it finds the
			// conflict, so the upsert would fail on the CHECK instead.
			return lineTooLarge()
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO cart_items (user_id, product_id, quantity) VALUES (?1, ?2, ?3)
			ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity
			WHERE quantity + excluded.quantity <= ?4`,
			userID, productID, quantity, sesame.MaxLineQuantity)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = lineTooLarge()
			}
			return err
		}
		return nil
	})
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
// changes nothing. An unknown product matches sesame.ErrNotFound.
func (db *DB) SetCartQuantity(ctx context.Context, userID, productID int64, quantity int) (bool, error) {
	var changed bool
	err := db.transact(ctx, func(tx querier) error {
		if err := productExists(ctx, tx, productID); err != nil {
			return err
		}
		var res sql.Result
		var err error
		if quantity == 0 {
			res, err = tx.ExecContext(ctx,
				`DELETE FROM cart_items WHERE user_id = ? AND product_id = ?`, userID, productID)
		} else {
			// The WHERE makes an update to the same quantity touch no row.
			res, err = tx.ExecContext(ctx, `
				INSERT INTO cart_items (user_id, product_id, quantity) VALUES (?, ?, ?)
				ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = excluded.quantity
				WHERE quantity <> excluded.quantity`,
				userID, productID, quantity)
		}
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		changed = n > 0
		return err
	})
	if err != nil {
		return false, db.wrap("set cart quantity", err)
	}
	return changed, nil
}

// productExists tells an unknown product (sesame.ErrNotFound) apart from
// the other reasons a write may match no row.
func productExists(ctx context.Context, q querier, id int64) error {
	var ok bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE id = ?)`, id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: %w", productName(id), sesame.ErrNotFound)
	}
	return nil
}

// Restock adds quantity (at least 1, which the service checks) to the stock
// of productID and returns the product. Stock beyond sesame.MaxStock
// matches sesame.ErrConflict and changes nothing; an unknown product
// matches sesame.ErrNotFound.
func (db *DB) Restock(ctx context.Context, productID int64, quantity int) (*sesame.Product, error) {
	var p sesame.Product
	err := db.transact(ctx, func(tx querier) error {
		if err := productExists(ctx, tx, productID); err != nil {
			return err
		}
		// Written as quantity <= max - stock so that no quantity can
		// overflow the sum.
		var err error
		p, err = scanProduct(tx.QueryRowContext(ctx, `
			UPDATE products SET stock = stock + ?1
			WHERE id = ?2 AND ?1 <= ?3 - stock
			RETURNING `+productColumns,
			quantity, productID, sesame.MaxStock))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("stock is at most %d: %w", sesame.MaxStock, sesame.ErrConflict)
		}
		return err
	})
	if err != nil {
		return nil, db.wrap("restock", err)
	}
	return &p, nil
}
