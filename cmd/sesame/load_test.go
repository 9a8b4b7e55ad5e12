package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The load of the crash test and the soak: shoppers, each a user's session
// held by its token (not a cookie jar, so that it outlives a restart on
// another port), doing the full mix of CONTRACT §4–5 over real HTTP, and a
// ledger of what the server acknowledged, which the tests then hold the
// stores to.

// shopper is one signed-in browser or API client.
type shopper struct {
	user, password string
	token          string
	pages          bool // uses the HTML forms rather than the API
	// cut is set when a request got no answer (the server was killed):
	// the shopper then stops until the server is back.
	cut bool
	rnd *mrand.Rand
}

// outcome of one request: answered (with a status), or not known, because
// the connection broke (the server was killed) before an answer came.
type outcome struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (o outcome) answered() bool { return o.err == nil }

// loadClient sends the requests, with a bound so that nothing waits for
// ever on a server that is gone.
var loadClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends one request to base with s's session cookie (when it has one).
// A body of url.Values is a form, anything else JSON.
func (s *shopper) do(ctx context.Context, base, method, path string, body any, header ...string) outcome {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(b) // #nosec G104 -- maps of strings and numbers always encode
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return outcome{err: err}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if s.token != "" {
		req.AddCookie(&http.Cookie{Name: "sesame_session", Value: s.token})
	}
	res, err := loadClient.Do(req)
	if err != nil {
		s.cut = true
		return outcome{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.cut = true
		return outcome{err: err}
	}
	for _, c := range res.Cookies() {
		if c.Name == "sesame_session" {
			s.token = c.Value
		}
	}
	return outcome{status: res.StatusCode, header: res.Header, body: b}
}

// login signs s in through the API; it reports the outcome.
func (s *shopper) login(ctx context.Context, base string) outcome {
	s.token = ""
	return s.do(ctx, base, "POST", "/api/v1/session", map[string]any{"username": s.user, "password": s.password})
}

// ledger is what the server acknowledged, shared by every shopper.
type ledger struct {
	mu sync.Mutex
	// orders acknowledged (201, or 303 to /orders/{id}), by id: the owner.
	orders map[int64]string
	// restocks acknowledged, and those sent whose answer never came, by
	// product: the stock holds the first and at most the second on top.
	restocked, restockUnknown map[int64]int64
	// pending are checkouts whose answer never came, by idempotency key:
	// the shopper asks again with the same key, and the order placed (or
	// not) is then known.
	pending map[string]*shopper
	// unexpected answers: any 5xx, or a status the mix does not allow.
	bad []string
	// counts of answers by status, and of requests the kill cut off, for
	// the report.
	statuses map[int]int
	cut      int
}

func newLedger() *ledger {
	return &ledger{orders: map[int64]string{}, restocked: map[int64]int64{}, restockUnknown: map[int64]int64{},
		pending: map[string]*shopper{}, statuses: map[int]int{}}
}

func (l *ledger) note(what string, o outcome, allowed ...int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !o.answered() {
		l.cut++
		return false
	}
	l.statuses[o.status]++
	for _, a := range allowed {
		if o.status == a {
			return true
		}
	}
	if len(l.bad) < 20 {
		l.bad = append(l.bad, fmt.Sprintf("%s: %d %.200s", what, o.status, o.body))
	}
	return false
}

func (l *ledger) order(id int64, owner string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.orders[id] = owner
}

// newKey returns a fresh idempotency key.
func newKey() string { return rand.Text() }

// orderID reads the order id of a 201 checkout answer or of a 303 to
// /orders/{id}.
func orderID(o outcome) (int64, bool) {
	if loc, ok := strings.CutPrefix(o.header.Get("Location"), "/orders/"); ok {
		id, err := strconv.ParseInt(loc, 10, 64)
		return id, err == nil
	}
	var v struct{ Order struct{ ID int64 } }
	if json.Unmarshal(o.body, &v) != nil || v.Order.ID == 0 {
		return 0, false
	}
	return v.Order.ID, true
}

// step does one thing of the mix as s, against base, and records in l
// what the server acknowledged. products are the product ids.
func (s *shopper) step(ctx context.Context, base string, l *ledger, products []int64) {
	p := products[s.rnd.IntN(len(products))]
	ps := strconv.FormatInt(p, 10)
	switch n := s.rnd.IntN(20); {
	case n < 6: // browse
		if s.pages {
			l.note("products page", s.do(ctx, base, "GET", "/products", nil), 200)
		} else {
			l.note("products", s.do(ctx, base, "GET", "/api/v1/products", nil), 200)
		}
	case n < 11: // fill the cart; 400 once a line holds the most allowed
		if s.pages {
			l.note("add form", s.do(ctx, base, "POST", "/cart/items", url.Values{"product_id": {ps}}), 303, 400)
		} else {
			l.note("add", s.do(ctx, base, "POST", "/api/v1/cart/items", map[string]any{"product_id": p, "quantity": 1}), 200, 400)
		}
	case n < 12:
		l.note("set", s.do(ctx, base, "PUT", "/api/v1/cart/items/"+ps, map[string]any{"quantity": s.rnd.IntN(3)}), 200)
	case n < 14:
		l.note("cart", s.do(ctx, base, "GET", "/api/v1/cart", nil), 200)
	case n < 17:
		s.checkout(ctx, base, l, newKey())
	case n < 18:
		q := int64(s.rnd.IntN(5) + 1)
		o := s.do(ctx, base, "POST", "/api/v1/task", map[string]any{"product_id": p, "quantity": q})
		l.mu.Lock()
		if !o.answered() {
			l.restockUnknown[p] += q
		}
		l.mu.Unlock()
		if l.note("restock", o, 200) {
			l.mu.Lock()
			l.restocked[p] += q
			l.mu.Unlock()
		}
	case n < 19:
		l.note("orders", s.do(ctx, base, "GET", "/api/v1/orders?limit=5", nil), 200)
	default:
		l.note("sessions", s.do(ctx, base, "GET", "/api/v1/sessions", nil), 200)
	}
}

// checkout places the cart as an order with idempotency key key (the API)
// or through the form (pages, which carry no key). 409 is an empty cart or
// short stock. An API checkout whose answer never came is kept pending, to
// be asked again with the same key.
func (s *shopper) checkout(ctx context.Context, base string, l *ledger, key string) {
	var o outcome
	if s.pages {
		o = s.do(ctx, base, "POST", "/checkout", url.Values{})
	} else {
		o = s.do(ctx, base, "POST", "/api/v1/checkout", nil, "Idempotency-Key", key)
	}
	if !o.answered() && !s.pages {
		l.mu.Lock()
		l.pending[key] = s
		l.mu.Unlock()
		return
	}
	if l.note("checkout", o, 201, 303, 409) && o.status != http.StatusConflict {
		if id, ok := orderID(o); ok {
			l.order(id, s.user)
		} else {
			l.note("checkout without an order id", outcome{status: o.status, body: o.body})
		}
	}
}

// allOrders returns, for the user of s, every order id and the quantity
// of each product they hold, paging through the list.
func (s *shopper) allOrders(ctx context.Context, base string) (map[int64]bool, map[int64]int64, error) {
	ids, sold := map[int64]bool{}, map[int64]int64{}
	cursor := ""
	for {
		o := s.do(ctx, base, "GET", "/api/v1/orders?limit=500&cursor="+url.QueryEscape(cursor), nil)
		if !o.answered() || o.status != 200 {
			return nil, nil, fmt.Errorf("orders of %s: %d %v %.200s", s.user, o.status, o.err, o.body)
		}
		var v struct {
			Orders []struct {
				ID    int64
				Items []struct {
					ProductID int64 `json:"product_id"`
					Quantity  int64
				}
			}
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(o.body, &v); err != nil {
			return nil, nil, err
		}
		for _, ord := range v.Orders {
			ids[ord.ID] = true
			for _, it := range ord.Items {
				sold[it.ProductID] += it.Quantity
			}
		}
		if v.NextCursor == nil || *v.NextCursor == "" {
			return ids, sold, nil
		}
		cursor = *v.NextCursor
	}
}

// stock returns every product's stock, by id.
func (s *shopper) stock(ctx context.Context, base string) (map[int64]int64, error) {
	o := s.do(ctx, base, "GET", "/api/v1/products", nil)
	if !o.answered() || o.status != 200 {
		return nil, fmt.Errorf("products: %d %v", o.status, o.err)
	}
	var v struct{ Products []struct{ ID, Stock int64 } }
	if err := json.Unmarshal(o.body, &v); err != nil {
		return nil, err
	}
	m := map[int64]int64{}
	for _, p := range v.Products {
		m[p.ID] = p.Stock
	}
	return m, nil
}
