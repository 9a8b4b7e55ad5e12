package shop

import (
	"context"
	"errors"
	"fmt"

	"github.com/sesamehq/sesame"
)

// MaxIdempotencyKeyLen is the longest Idempotency-Key a checkout accepts.
const MaxIdempotencyKeyLen = 255

// ReviewCheckout returns the user's cart as a checkout would take it, and
// the lines that the stock, as it is now, cannot fill, in the cart's order:
// a checkout now would be refused for those. It needs checkout.
func (s *Service) ReviewCheckout(ctx context.Context) (sesame.Cart, []sesame.ShortLine, error) {
	u, err := s.authorize(ctx, sesame.PermCheckout)
	if err != nil {
		return sesame.Cart{}, nil, err
	}
	cart, err := s.cart(ctx, u.ID)
	if err != nil || len(cart.Items) == 0 {
		return cart, nil, err
	}
	products, err := s.store.Products(ctx)
	if err != nil {
		return sesame.Cart{}, nil, fmt.Errorf("shop: review checkout: %w", err)
	}
	stock := make(map[int64]int, len(products))
	for _, p := range products {
		stock[p.ID] = p.Stock
	}
	var short []sesame.ShortLine
	for _, l := range cart.Items {
		if available := stock[l.ProductID]; l.Quantity > available {
			short = append(short, sesame.ShortLine{ProductID: l.ProductID, Name: l.Name, Wanted: l.Quantity, Available: available})
		}
	}
	return cart, short, nil
}

// Checkout turns the user's cart into an order, all or nothing, and returns
// it. It needs checkout.
//
// idempotencyKey is "" or 1 to MaxIdempotencyKeyLen printable ASCII
// characters (else a *sesame.InvalidError for "Idempotency-Key"); the same
// key from the same user returns the order it first placed, so a client
// that retries after a lost answer never buys twice.
//
// An empty cart is sesame.ErrEmptyCart and short stock a
// *sesame.StockError naming each short line (both match sesame.ErrConflict,
// and are reachable with errors.Is and errors.As). The order, or the
// refusal, is audited.
func (s *Service) Checkout(ctx context.Context, idempotencyKey string) (*sesame.Order, error) {
	u, err := s.authorize(ctx, sesame.PermCheckout)
	if err != nil {
		return nil, err
	}
	if !validIdempotencyKey(idempotencyKey) {
		return nil, sesame.Invalid("Idempotency-Key",
			fmt.Sprintf("must be 1 to %d printable ASCII characters", MaxIdempotencyKeyLen))
	}
	o, placed, err := s.store.Checkout(ctx, u.ID, idempotencyKey, s.now().UTC())
	if err != nil {
		if errors.Is(err, sesame.ErrConflict) {
			s.log.Record(ctx, sesame.Event{
				Action:  sesame.ActionCheckout,
				Outcome: sesame.OutcomeFailure,
				Detail:  conflictDetail(err),
			})
		}
		return nil, fmt.Errorf("shop: checkout: %w", err)
	}
	detail := fmt.Sprintf("order %d, total %d cents", o.ID, o.TotalCents)
	if !placed {
		// A retry of a checkout already made: the trail must not read as a
		// second purchase.
		detail = fmt.Sprintf("order %d answered again for a repeated Idempotency-Key; nothing sold", o.ID)
	}
	s.log.Record(ctx, sesame.Event{
		Action:  sesame.ActionCheckout,
		Outcome: sesame.OutcomeSuccess,
		Detail:  detail,
	})
	return o, nil
}

// validIdempotencyKey reports whether k is empty or 1 to
// MaxIdempotencyKeyLen bytes of printable ASCII (space to tilde): what an
// HTTP header can carry unambiguously, and a bounded key for the store.
func validIdempotencyKey(k string) bool {
	if len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// conflictDetail says in the audit trail why a checkout was refused,
// without the wrapping text of the store.
func conflictDetail(err error) string {
	var se *sesame.StockError
	switch {
	case errors.As(err, &se):
		return se.Error()
	case errors.Is(err, sesame.ErrEmptyCart):
		return sesame.ErrEmptyCart.Error()
	default:
		return sesame.ErrConflict.Error()
	}
}

// Orders returns the signed-in user's own orders, newest first, at most
// p.Limit, and the cursor of what follows ("" at the end). Any signed-in user may
// list their own orders (CONTRACT §3), so no permission is asked.
func (s *Service) Orders(ctx context.Context, p sesame.Paging) ([]sesame.Order, string, error) {
	u, err := signedIn(ctx)
	if err != nil {
		return nil, "", err
	}
	orders, next, err := s.store.Orders(ctx, u.ID, p.Bounded())
	if err != nil {
		return nil, "", fmt.Errorf("shop: orders: %w", err)
	}
	return orders, next, nil
}

// Order returns order id if it is the signed-in user's own, or anyone's for
// an admin. Another user's order is sesame.ErrNotFound, exactly like an
// order that does not exist, so that ids cannot be probed for what others
// bought (CONTRACT §3); for the same reason the miss is not audited, since
// the event would tell the user apart from a truly missing order in their
// own trail.
func (s *Service) Order(ctx context.Context, id int64) (*sesame.Order, error) {
	u, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, fmt.Errorf("shop: order %d: %w", id, sesame.ErrNotFound)
	}
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("shop: order %d: %w", id, err)
	}
	if o.UserID != u.ID && !u.Can(sesame.PermAdmin) {
		return nil, fmt.Errorf("shop: order %d: %w", id, sesame.ErrNotFound)
	}
	return o, nil
}
