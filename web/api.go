package web

import (
	"net/http"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/session"
)

// The JSON shapes of CONTRACT §5. Times are RFC 3339 in UTC; lists are never
// null.

// jsonTime renders a time as RFC 3339 in UTC with exactly milliseconds, the
// precision the stores keep: a time is written the same way whether it was
// just made (nanoseconds) or read back, so one answer equals the next.
type jsonTime time.Time

const jsonTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalJSON implements json.Marshaler.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(jsonTimeLayout)+2)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, jsonTimeLayout)
	return append(b, '"'), nil
}

type userJSON struct {
	ID          int64               `json:"id"`
	Username    string              `json:"username"`
	Roles       []string            `json:"roles"`
	Permissions []sesame.Permission `json:"permissions"`
}

type sessionJSON struct {
	ID            string   `json:"id"`
	CreatedAt     jsonTime `json:"created_at"`
	LastSeenAt    jsonTime `json:"last_seen_at"`
	IdleExpiresAt jsonTime `json:"idle_expires_at"`
	ExpiresAt     jsonTime `json:"expires_at"`
	IP            string   `json:"ip"`
	UserAgent     string   `json:"user_agent"`
	Current       bool     `json:"current"`
}

type meJSON struct {
	User    userJSON    `json:"user"`
	Session sessionJSON `json:"session"`
}

type productJSON struct {
	ID          int64  `json:"id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceCents  int64  `json:"price_cents"`
	Stock       int    `json:"stock"`
}

type lineJSON struct {
	ProductID      int64  `json:"product_id"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	LineTotalCents int64  `json:"line_total_cents"`
}

type cartJSON struct {
	Items      []lineJSON `json:"items"`
	TotalCents int64      `json:"total_cents"`
}

type orderJSON struct {
	ID         int64      `json:"id"`
	TotalCents int64      `json:"total_cents"`
	CreatedAt  jsonTime   `json:"created_at"`
	Items      []lineJSON `json:"items"`
}

type eventJSON struct {
	Time      jsonTime       `json:"time"`
	Action    sesame.Action  `json:"action"`
	Outcome   sesame.Outcome `json:"outcome"`
	SessionID string         `json:"session_id"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Detail    string         `json:"detail"`
}

func toUser(u *sesame.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username,
		Roles: nonNil(u.Roles), Permissions: nonNil(u.Permissions)}
}

func toSession(s session.Session, current bool) sessionJSON {
	return sessionJSON{ID: s.ID, CreatedAt: jsonTime(s.CreatedAt), LastSeenAt: jsonTime(s.LastSeenAt),
		IdleExpiresAt: jsonTime(s.IdleExpiresAt), ExpiresAt: jsonTime(s.ExpiresAt),
		IP: s.IP, UserAgent: s.UserAgent, Current: current}
}

func toProduct(p *sesame.Product) productJSON {
	return productJSON{ID: p.ID, SKU: p.SKU, Name: p.Name, Description: p.Description,
		PriceCents: p.PriceCents, Stock: p.Stock}
}

func toLines(items []sesame.LineItem) []lineJSON {
	lines := make([]lineJSON, len(items))
	for i, l := range items {
		lines[i] = lineJSON{ProductID: l.ProductID, Name: l.Name, Quantity: l.Quantity,
			UnitPriceCents: l.UnitPriceCents, LineTotalCents: l.TotalCents()}
	}
	return lines
}

func toCart(c sesame.Cart) cartJSON {
	return cartJSON{Items: toLines(c.Items), TotalCents: c.TotalCents()}
}

func toOrder(o *sesame.Order) orderJSON {
	return orderJSON{ID: o.ID, TotalCents: o.TotalCents, CreatedAt: jsonTime(o.CreatedAt), Items: toLines(o.Items)}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// cursor is the next_cursor of a list: null on the last page.
func cursor(next string) *string {
	if next == "" {
		return nil
	}
	return &next
}

type credentialsJSON struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

func (h *Handler) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var in credentialsJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	inv := new(sesame.InvalidError)
	if in.Username == nil {
		inv.Add("username", "is required")
	}
	if in.Password == nil {
		inv.Add("password", "is required")
	}
	if err := inv.Err(); err != nil {
		return err
	}
	user, s, err := h.signIn(w, r, *in.Username, *in.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, meJSON{User: toUser(user), Session: toSession(s, true)})
	return nil
}

func (h *Handler) apiLogout(w http.ResponseWriter, r *http.Request) error {
	if err := h.signOut(w, r, sesame.ActionLogout); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiMe(w http.ResponseWriter, r *http.Request) error {
	s, _ := session.FromContext(r.Context())
	writeJSON(w, http.StatusOK, meJSON{User: toUser(sesame.ActorFrom(r.Context()).User), Session: toSession(s, true)})
	return nil
}

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
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	orders, next, err := h.shop.Orders(r.Context(), page)
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

func (h *Handler) apiSessions(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	v, err := h.sessionsOf(r, page)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, len(v.Sessions))
	for i, s := range v.Sessions {
		out[i] = toSession(s.Session, s.Current)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out, "next_cursor": cursor(v.Next)})
	return nil
}

func (h *Handler) apiRevokeSession(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.endSession(w, r, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiActivity(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	events, next, err := h.audit.Events(r.Context(), page)
	if err != nil {
		return err
	}
	out := make([]eventJSON, len(events))
	for i, e := range events {
		out[i] = eventJSON{Time: jsonTime(e.Time), Action: e.Action, Outcome: e.Outcome,
			SessionID: e.SessionID, IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "next_cursor": cursor(next)})
	return nil
}
