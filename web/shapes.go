package web

import (
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
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
	Remembered    bool     `json:"remembered"`
}

type meJSON struct {
	User    userJSON    `json:"user"`
	Session sessionJSON `json:"session"`
	// AAL and Factors say how the session's user proved who they are
	// (CONTRACT §9).
	AAL     sesame.Assurance `json:"aal"`
	Factors []sesame.Factor  `json:"factors"`
}

// toMe is the answer of a sign-in and of /api/v1/me for session s of u.
func toMe(u *sesame.User, s session.Session) meJSON {
	f := account.FactorsOf(s)
	return meJSON{User: toUser(u), Session: toSession(s, true), AAL: sesame.AssuranceOf(f), Factors: f}
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
		IP: s.IP, UserAgent: s.UserAgent, Current: current, Remembered: s.Remember}
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

func toEvent(e sesame.Event) eventJSON {
	return eventJSON{Time: jsonTime(e.Time), Action: e.Action, Outcome: e.Outcome,
		SessionID: e.SessionID, IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail}
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
