// Package shop is the shop's business logic over a Store: the catalogue, the
// cart, checkout, orders and the privileged task (restocking). Each method
// authorizes the actor in its context first, validates its input, and
// audits the changes it makes, so the HTML and JSON front ends behave alike
// and cannot skip a check.
package shop

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

// Authorizer decides whether the actor in ctx holds a permission: nil,
// sesame.ErrUnauthenticated, or an error matching sesame.ErrForbidden such
// as a *sesame.PermissionError (having audited the refusal). *auth.Service
// is the one implementation; the interface keeps shop from importing auth.
type Authorizer interface {
	Authorize(ctx context.Context, p sesame.Permission) error
}

// Config is what a Service is built from. Store, Authorizer and Audit are
// required.
type Config struct {
	Store      Store
	Authorizer Authorizer
	Audit      *audit.Log
	// Now is the clock that stamps orders; nil means time.Now.
	Now func() time.Time
}

// Service runs the shop. It is safe for concurrent use; its state lives in
// the Store. Build it with New.
type Service struct {
	store Store
	authz Authorizer
	log   *audit.Log
	now   func() time.Time
}

// New returns the Service of cfg: it asks cfg.Authorizer before every
// action and records changes in cfg.Audit.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Authorizer == nil || cfg.Audit == nil {
		return nil, errors.New("shop: Config.Store, Authorizer and Audit are required")
	}
	s := &Service{store: cfg.Store, authz: cfg.Authorizer, log: cfg.Audit, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// authorize asks the Authorizer for p and returns the signed-in user it
// allowed. The nil check guards against an Authorizer that allows a
// visitor or an operator: every method below acts for a user, on their own
// cart and orders.
func (s *Service) authorize(ctx context.Context, p sesame.Permission) (*sesame.User, error) {
	if err := s.authz.Authorize(ctx, p); err != nil {
		return nil, err
	}
	u := sesame.ActorFrom(ctx).User
	if u == nil {
		return nil, sesame.ErrUnauthenticated
	}
	return u, nil
}

// signedIn returns the signed-in user, for what any user may do to their own
// things (list their orders) and so needs no permission.
func signedIn(ctx context.Context) (*sesame.User, error) {
	u := sesame.ActorFrom(ctx).User
	if u == nil {
		return nil, sesame.ErrUnauthenticated
	}
	return u, nil
}

// Products returns the catalogue, by id. It needs products.view.
func (s *Service) Products(ctx context.Context) ([]sesame.Product, error) {
	if _, err := s.authorize(ctx, sesame.PermProductsView); err != nil {
		return nil, err
	}
	ps, err := s.store.Products(ctx)
	if err != nil {
		return nil, fmt.Errorf("shop: products: %w", err)
	}
	return ps, nil
}

// Product returns one product, or an error matching sesame.ErrNotFound for
// an id that names none. It needs products.view.
func (s *Service) Product(ctx context.Context, id int64) (*sesame.Product, error) {
	if _, err := s.authorize(ctx, sesame.PermProductsView); err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, fmt.Errorf("shop: product %d: %w", id, sesame.ErrNotFound)
	}
	p, err := s.store.Product(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("shop: product %d: %w", id, err)
	}
	return p, nil
}

// Restock is the privileged task: it adds quantity (1 to sesame.MaxRestock)
// to the stock of productID and returns the product. It needs task.perform.
// A restock that would take stock beyond sesame.MaxStock is refused as an
// invalid quantity; an unknown product is a *sesame.UnknownError on
// product_id.
func (s *Service) Restock(ctx context.Context, productID int64, quantity int) (*sesame.Product, error) {
	if _, err := s.authorize(ctx, sesame.PermTaskPerform); err != nil {
		return nil, err
	}
	inv := &sesame.InvalidError{}
	checkProductID(inv, productID)
	checkQuantity(inv, quantity, 1, sesame.MaxRestock)
	if err := inv.Err(); err != nil {
		return nil, err
	}
	p, err := s.store.Restock(ctx, productID, quantity)
	switch {
	case errors.Is(err, sesame.ErrNotFound):
		return nil, unknownProduct
	case errors.Is(err, sesame.ErrConflict):
		return nil, sesame.Invalid("quantity", "would take the stock above "+strconv.Itoa(sesame.MaxStock))
	case err != nil:
		return nil, fmt.Errorf("shop: restock product %d: %w", productID, err)
	}
	s.log.Record(ctx, sesame.Event{
		Action:  sesame.ActionTask,
		Outcome: sesame.OutcomeSuccess,
		Detail:  fmt.Sprintf("restocked product %d by %d, stock now %d", productID, quantity, p.Stock),
	})
	return p, nil
}

// unknownProduct answers input whose product_id names no product: not
// found, with the field named so that the form can say which was wrong.
var unknownProduct = &sesame.UnknownError{Field: "product_id", What: "product"}

// checkProductID refuses an id no product can have. Unknown but plausible
// ids are left to the store, which answers sesame.ErrNotFound.
func checkProductID(inv *sesame.InvalidError, id int64) {
	if id <= 0 {
		inv.Add("product_id", "must be a product id")
	}
}

// checkQuantity refuses a quantity outside lo..hi.
func checkQuantity(inv *sesame.InvalidError, q, lo, hi int) {
	if q < lo || q > hi {
		inv.Add("quantity", "must be a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
}
