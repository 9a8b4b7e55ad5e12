package sesame

import "time"

// Limits on quantities, so that no input can overflow a total or empty the
// warehouse by accident.
const (
	MaxLineQuantity = 100       // of one product in a cart
	MaxRestock      = 1000      // added by one task
	MaxStock        = 1_000_000 // of one product
)

// Product is something the shop sells.
type Product struct {
	ID          int64
	SKU         string
	Name        string
	Description string
	PriceCents  int64
	Stock       int
}

// LineItem is one product and a quantity, in a cart or an order. In a cart
// UnitPriceCents is today's price; in an order, the price paid.
type LineItem struct {
	ProductID      int64
	Name           string
	Quantity       int
	UnitPriceCents int64
}

// TotalCents is the price of the line.
func (l LineItem) TotalCents() int64 { return l.UnitPriceCents * int64(l.Quantity) }

// Cart is a user's cart; there is one per user, shared by all their sessions.
type Cart struct {
	Items []LineItem
}

// TotalCents is the price of the whole cart.
func (c Cart) TotalCents() int64 { return totalCents(c.Items) }

// Order is a checked-out cart.
type Order struct {
	ID         int64
	UserID     int64
	TotalCents int64
	CreatedAt  time.Time
	Items      []LineItem
}

func totalCents(items []LineItem) int64 {
	var t int64
	for _, l := range items {
		t += l.TotalCents()
	}
	return t
}
