package shop

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sesamehq/sesame"
)

// Cart returns the signed-in user's cart: there is one per user, shared by
// all their sessions. It needs cart.edit.
func (s *Service) Cart(ctx context.Context) (sesame.Cart, error) {
	u, err := s.authorize(ctx, sesame.PermCartEdit)
	if err != nil {
		return sesame.Cart{}, err
	}
	return s.cart(ctx, u.ID)
}

// AddToCart adds quantity (1 to sesame.MaxLineQuantity) of productID to the
// user's cart and returns the cart. A line that would exceed
// sesame.MaxLineQuantity is refused as an invalid quantity and nothing
// changes; an unknown product is a *sesame.UnknownError on product_id. It
// needs cart.edit.
func (s *Service) AddToCart(ctx context.Context, productID int64, quantity int) (sesame.Cart, error) {
	u, err := s.authorize(ctx, sesame.PermCartEdit)
	if err != nil {
		return sesame.Cart{}, err
	}
	inv := &sesame.InvalidError{}
	checkProductID(inv, productID)
	checkQuantity(inv, quantity, 1, sesame.MaxLineQuantity)
	if err := inv.Err(); err != nil {
		return sesame.Cart{}, err
	}
	err = s.store.AddToCart(ctx, u.ID, productID, quantity)
	switch {
	case errors.Is(err, sesame.ErrNotFound):
		return sesame.Cart{}, unknownProduct
	case errors.Is(err, sesame.ErrConflict):
		return sesame.Cart{}, sesame.Invalid("quantity",
			"at most "+strconv.Itoa(sesame.MaxLineQuantity)+" of one product in a cart")
	case err != nil:
		return sesame.Cart{}, fmt.Errorf("shop: add product %d to cart: %w", productID, err)
	}
	s.recordCart(ctx, sesame.ActionCartAdd, fmt.Sprintf("product %d, quantity +%d", productID, quantity))
	return s.cart(ctx, u.ID)
}

// SetQuantity sets the quantity of productID in the user's cart (0 to
// sesame.MaxLineQuantity; 0 removes the line, a missing line is added) and
// returns the cart. An unknown product matches sesame.ErrNotFound. It needs
// cart.edit.
func (s *Service) SetQuantity(ctx context.Context, productID int64, quantity int) (sesame.Cart, error) {
	u, err := s.authorize(ctx, sesame.PermCartEdit)
	if err != nil {
		return sesame.Cart{}, err
	}
	inv := &sesame.InvalidError{}
	checkProductID(inv, productID)
	checkQuantity(inv, quantity, 0, sesame.MaxLineQuantity)
	if err := inv.Err(); err != nil {
		return sesame.Cart{}, err
	}
	changed, err := s.store.SetCartQuantity(ctx, u.ID, productID, quantity)
	switch {
	case err != nil:
		return sesame.Cart{}, fmt.Errorf("shop: set quantity of product %d: %w", productID, err)
	case !changed: // nothing happened, so nothing is recorded
	case quantity == 0:
		s.recordCart(ctx, sesame.ActionCartRemove, fmt.Sprintf("product %d", productID))
	default:
		s.recordCart(ctx, sesame.ActionCartUpdate, fmt.Sprintf("product %d, quantity %d", productID, quantity))
	}
	return s.cart(ctx, u.ID)
}

// RemoveFromCart removes the line of productID from the user's cart (doing,
// and recording, nothing if there is none) and returns the cart. An unknown product
// matches sesame.ErrNotFound. It needs cart.edit.
func (s *Service) RemoveFromCart(ctx context.Context, productID int64) (sesame.Cart, error) {
	u, err := s.authorize(ctx, sesame.PermCartEdit)
	if err != nil {
		return sesame.Cart{}, err
	}
	inv := &sesame.InvalidError{}
	checkProductID(inv, productID)
	if err := inv.Err(); err != nil {
		return sesame.Cart{}, err
	}
	removed, err := s.store.SetCartQuantity(ctx, u.ID, productID, 0)
	if err != nil {
		return sesame.Cart{}, fmt.Errorf("shop: remove product %d from cart: %w", productID, err)
	}
	if removed {
		s.recordCart(ctx, sesame.ActionCartRemove, fmt.Sprintf("product %d", productID))
	}
	return s.cart(ctx, u.ID)
}

func (s *Service) cart(ctx context.Context, userID int64) (sesame.Cart, error) {
	c, err := s.store.Cart(ctx, userID)
	if err != nil {
		return sesame.Cart{}, fmt.Errorf("shop: cart: %w", err)
	}
	return c, nil
}

func (s *Service) recordCart(ctx context.Context, a sesame.Action, detail string) {
	s.log.Record(ctx, sesame.Event{Action: a, Outcome: sesame.OutcomeSuccess, Detail: detail})
}
