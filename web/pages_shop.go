package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/sesamehq/sesame"
)

// products shows the catalogue. (A refused add to cart shows it too, with
// the reason: see addToCart.)
func (h *Handler) products(w http.ResponseWriter, r *http.Request) error {
	return h.catalogue(w, r, "products", "Products", nil)
}

// taskView is the restock form: the products, and what was typed into the
// form when it was refused, so that nothing has to be typed again.
type taskView struct {
	Products []productRow
	Quantity string
}

// catalogue renders a page of the product list (the products page, the
// task page), after a refused form with the reason; the task form then
// keeps the product and quantity that were sent.
func (h *Handler) catalogue(w http.ResponseWriter, r *http.Request, name, title string, failure error) error {
	status, p, err := formFailure(failure)
	if err != nil {
		return err
	}
	products, err := h.shop.Products(r.Context())
	if err != nil {
		return err
	}
	if name == "task" {
		v := taskView{Quantity: "10"}
		var chosen int64
		if failure != nil {
			chosen, _ = strconv.ParseInt(strings.TrimSpace(r.PostFormValue("product_id")), 10, 64)
			v.Quantity = clipArg(r.PostFormValue("quantity"))
		}
		v.Products = productRows(products, chosen)
		h.render(w, r, status, name, title, v, p)
		return nil
	}
	h.render(w, r, status, name, title, productRows(products, 0), p)
	return nil
}

// productForm reads the product_id and quantity fields of a form; an empty
// quantity means def.
func productForm(r *http.Request, def int) (int64, int, error) {
	if err := parseForm(r); err != nil {
		return 0, 0, err
	}
	productID, idErr := formID(r, "product_id")
	quantity, qErr := formInt(r, "quantity", def)
	// Name every field that is wrong at once: the service, which would
	// judge the quantity's range, is not asked when the id is unreadable.
	inv := new(sesame.InvalidError)
	for _, err := range []error{idErr, qErr} {
		var fe *sesame.InvalidError
		if errors.As(err, &fe) {
			for f, why := range fe.Fields {
				inv.Add(f, why)
			}
		}
	}
	if idErr != nil && qErr == nil && def == 0 && strings.TrimSpace(r.PostFormValue("quantity")) == "" {
		inv.Add("quantity", "is required")
	}
	return productID, quantity, inv.Err()
}

func (h *Handler) addToCart(w http.ResponseWriter, r *http.Request) error {
	productID, quantity, err := productForm(r, 1)
	if err == nil {
		var cart sesame.Cart
		cart, err = h.shop.AddToCart(r.Context(), productID, quantity)
		if err == nil {
			h.flash(w, r, "cart-added", strconv.Itoa(quantity), lineName(cart, productID))
		}
	}
	if err != nil {
		return h.catalogue(w, r, "products", "Products", err)
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
	return nil
}

func (h *Handler) cart(w http.ResponseWriter, r *http.Request) error {
	return h.cartPage(w, r, nil)
}

// cartPage renders the cart page, after a refused form with the
// reason.
func (h *Handler) cartPage(w http.ResponseWriter, r *http.Request, failure error) error {
	status, p, err := formFailure(failure)
	if err != nil {
		return err
	}
	cart, err := h.shop.Cart(r.Context())
	if err != nil {
		return err
	}
	h.render(w, r, status, "cart", "Your cart", newLines(cart.Items, cart.TotalCents(), nil), p)
	return nil
}

func (h *Handler) setQuantity(w http.ResponseWriter, r *http.Request) error {
	productID, err := pathID(r, "product_id")
	if err != nil {
		return err
	}
	quantity := 0
	if err = parseForm(r); err == nil {
		if strings.TrimSpace(r.PostFormValue("quantity")) == "" {
			err = sesame.Invalid("quantity", "is required")
		} else {
			quantity, err = formInt(r, "quantity", 0)
		}
	}
	if err == nil {
		if quantity == 0 {
			name := h.productName(r, productID)
			if _, err = h.shop.SetQuantity(r.Context(), productID, 0); err == nil {
				h.flash(w, r, "cart-removed", name)
			}
		} else {
			var cart sesame.Cart
			if cart, err = h.shop.SetQuantity(r.Context(), productID, quantity); err == nil {
				h.flash(w, r, "cart-updated", strconv.Itoa(quantity), lineName(cart, productID))
			}
		}
	}
	if err != nil {
		return h.cartPage(w, r, err)
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
	return nil
}

func (h *Handler) removeFromCart(w http.ResponseWriter, r *http.Request) error {
	productID, err := pathID(r, "product_id")
	if err != nil {
		return err
	}
	name := h.productName(r, productID)
	if _, err := h.shop.RemoveFromCart(r.Context(), productID); err != nil {
		return h.cartPage(w, r, err)
	}
	h.flash(w, r, "cart-removed", name)
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
	return nil
}

// checkoutView is the cart under review: its lines, with those that stock
// cannot fill marked, and those lines in order, for a warning.
type checkoutView struct {
	linesView
	ShortLines []shortRow
}

// shortRow is a line that stock cannot fill, in words.
type shortRow struct {
	Name, Wanted, Available string
}

// checkoutReview shows what an order would hold, and warns of the lines
// that the stock, as it is now, cannot fill: checking out would be refused.
func (h *Handler) checkoutReview(w http.ResponseWriter, r *http.Request) error {
	return h.checkoutPage(w, r, nil)
}

// checkoutPage renders the checkout review, after a refused checkout with
// the reason, the short lines named by the refusal.
func (h *Handler) checkoutPage(w http.ResponseWriter, r *http.Request, failure error) error {
	status, p, err := formFailure(failure)
	if err != nil {
		return err
	}
	cart, short, err := h.shop.ReviewCheckout(r.Context())
	if err != nil {
		return err
	}
	if p != nil {
		short = p.Short // what the refusal saw
	}
	byProduct := make(map[int64]sesame.ShortLine, len(short))
	var rows []shortRow
	for _, l := range short {
		byProduct[l.ProductID] = l
		rows = append(rows, shortRow{l.Name, grouped(int64(l.Wanted)), grouped(int64(l.Available))})
	}
	v := checkoutView{linesView: newLines(cart.Items, cart.TotalCents(), byProduct), ShortLines: rows}
	h.render(w, r, status, "checkout", "Check out", v, p)
	return nil
}

func (h *Handler) checkout(w http.ResponseWriter, r *http.Request) error {
	order, err := h.shop.Checkout(r.Context(), "")
	if err != nil {
		return h.checkoutPage(w, r, err)
	}
	id := strconv.FormatInt(order.ID, 10)
	h.flash(w, r, "order-placed", id)
	http.Redirect(w, r, "/orders/"+id, http.StatusSeeOther)
	return nil
}

type ordersView struct {
	Orders []sesame.Order
	Next   string
}

func (h *Handler) orders(w http.ResponseWriter, r *http.Request) error {
	pg, err := pagingOf(r)
	if err != nil {
		return err
	}
	orders, next, err := h.shop.Orders(r.Context(), pg)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "orders", "Your orders", ordersView{orders, next}, nil)
	return nil
}

func (h *Handler) order(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	order, err := h.shop.Order(r.Context(), id)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "order", "Order #"+strconv.FormatInt(id, 10), order, nil)
	return nil
}

func (h *Handler) taskForm(w http.ResponseWriter, r *http.Request) error {
	return h.catalogue(w, r, "task", "The task", nil)
}

func (h *Handler) task(w http.ResponseWriter, r *http.Request) error {
	productID, quantity, err := productForm(r, 0)
	if err == nil {
		var p *sesame.Product
		if p, err = h.shop.Restock(r.Context(), productID, quantity); err == nil {
			h.flash(w, r, "restocked", p.Name, grouped(int64(p.Stock)))
		}
	}
	if err != nil {
		return h.catalogue(w, r, "task", "The task", err)
	}
	http.Redirect(w, r, "/task", http.StatusSeeOther)
	return nil
}

// lineName is the name of productID's line in cart, for a flash.
func lineName(cart sesame.Cart, productID int64) string {
	for _, l := range cart.Items {
		if l.ProductID == productID {
			return l.Name
		}
	}
	return "product " + strconv.FormatInt(productID, 10)
}

// productName is the name of productID, for the flash of a line about to
// go from the cart; a product that cannot be read is named by its id.
func (h *Handler) productName(r *http.Request, productID int64) string {
	if p, err := h.shop.Product(r.Context(), productID); err == nil {
		return p.Name
	}
	return "product " + strconv.FormatInt(productID, 10)
}
