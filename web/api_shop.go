package web

import (
	"net/http"

	"github.com/sesamehq/sesame"
)

func (h *Handler) apiProducts(w http.ResponseWriter, r *http.Request) error {
	products, err := h.shop.Products(r.Context())
	if err != nil {
		return err
	}
	out := make([]productJSON, len(products))
	for i := range products {
		out[i] = toProduct(&products[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": out})
	return nil
}

func (h *Handler) apiProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := h.shop.Product(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProduct(p))
	return nil
}

func (h *Handler) apiCart(w http.ResponseWriter, r *http.Request) error {
	cart, err := h.shop.Cart(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCart(cart))
	return nil
}

type cartItemJSON struct {
	ProductID *int64 `json:"product_id"`
	Quantity  *int   `json:"quantity"`
}

func (h *Handler) apiAddToCart(w http.ResponseWriter, r *http.Request) error {
	var in cartItemJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.ProductID == nil {
		return sesame.Invalid("product_id", "is required")
	}
	quantity := 1
	if in.Quantity != nil {
		quantity = *in.Quantity
	}
	cart, err := h.shop.AddToCart(r.Context(), *in.ProductID, quantity)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCart(cart))
	return nil
}

type quantityJSON struct {
	Quantity *int `json:"quantity"`
}

func (h *Handler) apiSetQuantity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "product_id")
	if err != nil {
		return err
	}
	var in quantityJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Quantity == nil {
		return sesame.Invalid("quantity", "is required")
	}
	cart, err := h.shop.SetQuantity(r.Context(), id, *in.Quantity)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCart(cart))
	return nil
}

func (h *Handler) apiRemoveFromCart(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "product_id")
	if err != nil {
		return err
	}
	cart, err := h.shop.RemoveFromCart(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCart(cart))
	return nil
}

// apiCheckout places an order. A client that may retry sends an
// Idempotency-Key: the same key again answers the same order, never a
// second one.
func (h *Handler) apiCheckout(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength != 0 { // a body is optional, but if sent it must be an empty object
		if err := decodeJSON(r, &struct{}{}); err != nil {
			return err
		}
	}
	if len(r.Header.Values("Idempotency-Key")) > 1 {
		return sesame.Invalid("Idempotency-Key", "is given more than once")
	}
	order, err := h.shop.Checkout(r.Context(), r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"order": toOrder(order)})
	return nil
}

func (h *Handler) apiOrders(w http.ResponseWriter, r *http.Request) error {
	pg, err := pagingOf(r)
	if err != nil {
		return err
	}
	orders, next, err := h.shop.Orders(r.Context(), pg)
	if err != nil {
		return err
	}
	out := make([]orderJSON, len(orders))
	for i := range orders {
		out[i] = toOrder(&orders[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": out, "next_cursor": cursor(next)})
	return nil
}

func (h *Handler) apiOrder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	order, err := h.shop.Order(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": toOrder(order)})
	return nil
}

func (h *Handler) apiTask(w http.ResponseWriter, r *http.Request) error {
	var in cartItemJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	inv := new(sesame.InvalidError)
	if in.ProductID == nil {
		inv.Add("product_id", "is required")
	}
	if in.Quantity == nil {
		inv.Add("quantity", "is required")
	}
	if err := inv.Err(); err != nil {
		return err
	}
	p, err := h.shop.Restock(r.Context(), *in.ProductID, *in.Quantity)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProduct(p))
	return nil
}
