package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/sesamehq/sesame"
)

// This file turns domain values into what the page templates show, in Go:
// money and counts formatted, stock described, labels chosen. The templates
// then only place strings, which keeps them simple and fast (a template
// function is called through reflection for every row).

// lowStock is the stock at or under which the product list warns that
// few are left.
const lowStock = 3

// productRow is a product as the product list and the task form show it.
type productRow struct {
	ID          int64
	SKU         string
	Name        string
	Description string
	Price       string // "$12.00"
	Stock       string // "1,024"
	// StockNote is "only 2 left" or "sold out" ("" when there is plenty);
	// SoldOut disables the add-to-cart form.
	StockNote string
	SoldOut   bool
	Max       int // the most one form may add: the stock, at most 100
	Selected  bool
}

// productRows returns the rows of products, the one with id selected
// marked.
func productRows(products []sesame.Product, selected int64) []productRow {
	rows := make([]productRow, len(products))
	for i, p := range products {
		rows[i] = productRow{ID: p.ID, SKU: p.SKU, Name: p.Name, Description: p.Description,
			Price: money(p.PriceCents), Stock: grouped(int64(p.Stock)), Selected: p.ID == selected,
			Max: min(max(p.Stock, 1), sesame.MaxLineQuantity)}
		switch {
		case p.Stock <= 0:
			rows[i].StockNote, rows[i].SoldOut = "sold out", true
		case p.Stock <= lowStock:
			rows[i].StockNote = "only " + strconv.Itoa(p.Stock) + " left"
		}
	}
	return rows
}

// lineRow is a line of a cart or an order, formatted.
type lineRow struct {
	ProductID int64
	Name      string
	Quantity  int
	Count     string // the quantity, grouped
	UnitPrice string
	Total     string
	// ShortNote says, on a checkout review, how short the stock is.
	ShortNote string
}

// linesView is what the "lines" template and the cart page show: the
// lines of an order, or of a cart (under review, with the lines stock
// cannot fill noted), and the total.
type linesView struct {
	Items []lineRow
	Total string
	units int
}

func (v linesView) cartUnits() int { return v.units }

// newLines formats items; short, when given, names the lines that stock
// cannot fill, by product.
func newLines(items []sesame.LineItem, totalCents int64, short map[int64]sesame.ShortLine) linesView {
	v := linesView{Items: make([]lineRow, len(items)), Total: money(totalCents), units: units(items)}
	for i, l := range items {
		v.Items[i] = lineRow{ProductID: l.ProductID, Name: l.Name, Quantity: l.Quantity, Count: grouped(int64(l.Quantity)),
			UnitPrice: money(l.UnitPriceCents), Total: money(l.TotalCents())}
		if s, ok := short[l.ProductID]; ok && s.Wanted > 0 {
			v.Items[i].ShortNote = "out of stock"
			if s.Available > 0 {
				v.Items[i].ShortNote = "only " + grouped(int64(s.Available)) + " in stock"
			}
		}
	}
	return v
}

// errorView is what the error page says beyond the problem: what to do
// next, and where to go.
type errorView struct {
	Next      string
	LinkHref  string
	LinkText  string
	TryAgain  bool // the same request may work later: offer to reload
	SignedOut bool
}

// errorAdvice is the advice of the error page for status.
func errorAdvice(status int, signedIn bool) errorView {
	v := errorView{LinkHref: "/", LinkText: "Back to the start", SignedOut: !signedIn}
	if signedIn {
		v.LinkHref, v.LinkText = "/products", "Back to the products"
	} else {
		v.LinkHref, v.LinkText = "/login", "Sign in"
	}
	switch status {
	case http.StatusForbidden:
		v.Next = "Your account does not have this permission. If you need it, ask an administrator to give your account the role that has it."
	case http.StatusNotFound:
		v.Next = "The address may be mistyped, or what it named is gone or is not yours to see."
	case http.StatusMethodNotAllowed:
		v.Next = "Use the forms and links of the pages rather than typing this address."
	case http.StatusConflict:
		v.Next = "Something changed since the page was shown. Go back, reload the page and try again."
	case http.StatusTooManyRequests:
		v.Next, v.TryAgain = "This protects accounts from password guessing. Wait the time shown, then try again.", true
	case http.StatusServiceUnavailable:
		v.Next, v.TryAgain = "Part of sesame cannot be reached just now. Nothing you did was lost: try again in a minute.", true
	case http.StatusRequestEntityTooLarge, http.StatusBadRequest, http.StatusUnsupportedMediaType:
		v.Next = "Go back, check what you entered and send the form again."
	default:
		v.Next, v.TryAgain = "This is our fault, not yours, and it has been logged. Try again in a moment.", true
	}
	return v
}

// errorTitles are the headings of the error pages, in plain words.
var errorTitles = map[int]string{
	http.StatusForbidden:          "Not allowed",
	http.StatusNotFound:           "Page not found",
	http.StatusConflict:           "That could not be done",
	http.StatusTooManyRequests:    "Too many attempts",
	http.StatusServiceUnavailable: "Service unavailable",
}

// errorTitle is the heading of the error page for status.
func errorTitle(status int) string {
	if t, ok := errorTitles[status]; ok {
		return t
	}
	return http.StatusText(status)
}

// eventRow is an event of the activity trail, in words.
type eventRow struct {
	sesame.Event
	When   string
	Detail string
}

// centsInDetail finds amounts that older versions wrote into the trail in
// cents ("total 15400 cents"): they are shown as money, like every other
// amount on the pages.
var centsInDetail = regexp.MustCompile(`\b(-?[0-9]{1,15}) cents\b`)

// eventRows formats events for the activity pages.
func eventRows(events []sesame.Event) []eventRow {
	rows := make([]eventRow, len(events))
	for i, e := range events {
		rows[i] = eventRow{Event: e, When: when(e.Time), Detail: eventDetail(e)}
	}
	return rows
}

// eventDetail is the detail of e as a person reads it: money as money, and
// for a session that expired, which of its two deadlines ended it.
func eventDetail(e sesame.Event) string {
	d := e.Detail
	if strings.Contains(d, " cents") {
		d = centsInDetail.ReplaceAllStringFunc(d, func(m string) string {
			n, err := strconv.ParseInt(strings.TrimSuffix(m, " cents"), 10, 64)
			if err != nil {
				return m
			}
			return money(n)
		})
	}
	if e.Action == sesame.ActionSessionExpire {
		switch {
		case strings.Contains(d, "idle timeout"):
			d = "idle timeout: the session was unused too long (" + d + ")"
		case strings.Contains(d, "lifetime"):
			d = "absolute timeout: the session reached its maximum lifetime (" + d + ")"
		}
	}
	return d
}
