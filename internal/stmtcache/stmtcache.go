// Package stmtcache keeps the prepared statements of a *sql.DB by their
// text, so that each query is parsed once per connection rather than at
// every call. SQLite spends more time parsing a short query than running
// it; a statement prepared once through database/sql is kept prepared on
// each connection it has run on.
//
// The queries of a program are a fixed set of texts (those built from
// fragments too: a few shapes each), so the cache is bounded by the
// program, not by its input. Never give it a text that holds input.
package stmtcache

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Cache prepares and keeps statements of one *sql.DB. It is safe for
// concurrent use.
type Cache struct {
	db      *sql.DB
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // being prepared for a transaction's next use
	closed  bool
	// background counts the prepares of prepareLater still running: Close
	// waits for them, so that none holds a connection once the caller
	// closes the *sql.DB (SQLite would then still have its files open).
	background sync.WaitGroup
}

// New returns a Cache over db.
func New(db *sql.DB) *Cache {
	return &Cache{db: db, stmts: make(map[string]*sql.Stmt), pending: make(map[string]bool)}
}

// cached returns the statement of query if it is prepared already.
func (c *Cache) cached(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.stmts[query]
	return s, ok
}

// Stmt returns the prepared statement of query, preparing it the first time.
func (c *Cache) Stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	s, ok := c.stmts[query]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prior, ok := c.stmts[query]; ok || c.closed { // prepared meanwhile by another caller
		_ = s.Close()
		if c.closed {
			return nil, errors.New("stmtcache: closed")
		}
		return prior, nil
	}
	c.stmts[query] = s
	return s, nil
}

// prepareLater prepares query in the background, once, for a transaction
// that could not wait for it: preparing takes a connection of the pool,
// and a transaction that holds one while every other waits for its lock
// would wait for itself.
func (c *Cache) prepareLater(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[query] || c.closed {
		return
	}
	c.pending[query] = true
	c.background.Go(func() {
		_, _ = c.Stmt(context.Background(), query) // a failure leaves the query unprepared
		c.mu.Lock()
		delete(c.pending, query)
		c.mu.Unlock()
	})
}

// QueryRowContext runs query, prepared, and returns its first row. A query
// that cannot be prepared runs unprepared, so that its error comes back
// from Scan as database/sql reports it.
func (c *Cache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := c.Stmt(ctx, query)
	if err != nil {
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// QueryContext runs query, prepared.
func (c *Cache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.Stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// ExecContext runs query, prepared.
func (c *Cache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.Stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// Tx returns the cache's statements as seen inside tx.
func (c *Cache) Tx(tx *sql.Tx) *Tx { return &Tx{c: c, tx: tx} }

// Tx runs the cache's statements inside one transaction. It has the same
// methods as Cache, so that code runs alike in a transaction or not. A
// statement not prepared yet runs unprepared on the transaction's own
// connection this time, and is prepared in the background for the next:
// the transaction never waits for another connection (see prepareLater).
type Tx struct {
	c  *Cache
	tx *sql.Tx
}

// stmt returns the transaction's view of the prepared statement of query,
// or nil when it is not prepared yet.
func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	s, ok := t.c.cached(query)
	if !ok {
		t.c.prepareLater(query)
		return nil
	}
	return t.tx.StmtContext(ctx, s)
}

// QueryRowContext runs query in the transaction.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// QueryContext runs query in the transaction.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// ExecContext runs query in the transaction.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// Close closes every statement. The Cache must not be used afterwards.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.closed = true // no new background prepare starts
	c.mu.Unlock()
	c.background.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}
