package web_test

import (
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The shop through the JSON API (CONTRACT §5): products, cart, checkout,
// orders and the task.

// expectCart fails unless v is a cart of §5 holding exactly want (product
// id → quantity) with each line's and the whole total right; it returns the
// lines by product id.
func expectCart(t *testing.T, v map[string]any, want map[int64]int64) map[int64]map[string]any {
	t.Helper()
	expectShape(t, "cart", v, cartShape)
	lines := map[int64]map[string]any{}
	var total int64
	for _, l := range v["items"].([]any) {
		l := expectShape(t, "cart line", l, lineShape)
		q, unit := jsonInt(t, l["quantity"]), jsonInt(t, l["unit_price_cents"])
		if got := jsonInt(t, l["line_total_cents"]); got != q*unit {
			t.Errorf("line %v: line_total_cents %d, want %d", l, got, q*unit)
		}
		total += q * unit
		lines[jsonInt(t, l["product_id"])] = l
	}
	if got := jsonInt(t, v["total_cents"]); got != total {
		t.Errorf("total_cents %d, want %d", got, total)
	}
	got := map[int64]int64{}
	for id, l := range lines {
		got[id] = jsonInt(t, l["quantity"])
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cart %v, want %v", got, want)
	}
	return lines
}

// TestAPIProducts: the catalogue and one product, in the shape of §5.
func TestAPIProducts(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.unauthorized()
	list := apiGet(t, c, "/api/v1/products")["products"].([]any)
	if len(list) < 6 {
		t.Fatalf("%d products, want at least 6", len(list))
	}
	low := false
	for _, p := range list {
		p := expectShape(t, "product", p, productShape)
		one := apiGet(t, c, "/api/v1/products/"+itoa64(jsonInt(t, p["id"])))
		if !reflect.DeepEqual(one, p) {
			t.Errorf("product %v alone is %v", p, one)
		}
		low = low || jsonInt(t, p["stock"]) <= 3
	}
	if !low {
		t.Error("no product with stock of 3 or less")
	}
	lantern := apiGet(t, c, "/api/v1/products/"+itoa64(productID(t, c, skuLantern)))
	if lantern["name"] != "Cave lantern" || jsonInt(t, lantern["price_cents"]) != 4800 || jsonInt(t, lantern["stock"]) != 3 {
		t.Errorf("lantern %v", lantern)
	}
}

// TestAPICart: add (1 by default), add more, set, 0 removes, delete
// removes; every answer is the whole cart with its totals.
func TestAPICart(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.unauthorized() // cart.edit needs no checkout
	mug, tee := productID(t, c, skuMug), productID(t, c, skuTee)
	items := "/api/v1/cart/items"

	expectCart(t, apiGet(t, c, "/api/v1/cart"), map[int64]int64{})
	expectCart(t, expectJSON(t, c.json("POST", items, map[string]any{"product_id": mug}), 200), map[int64]int64{mug: 1})
	expectCart(t, expectJSON(t, c.json("POST", items, map[string]any{"product_id": mug, "quantity": 2}), 200), map[int64]int64{mug: 3})
	expectCart(t, expectJSON(t, c.json("PUT", items+"/"+itoa64(mug), map[string]any{"quantity": 5}), 200), map[int64]int64{mug: 5})
	lines := expectCart(t, expectJSON(t, c.json("POST", items, map[string]any{"product_id": tee, "quantity": 1}), 200),
		map[int64]int64{mug: 5, tee: 1})
	if l := lines[mug]; l["name"] != "Sesame mug" || jsonInt(t, l["unit_price_cents"]) != 1200 || jsonInt(t, l["line_total_cents"]) != 6000 {
		t.Errorf("mug line %v", l)
	}
	if got := jsonInt(t, apiGet(t, c, "/api/v1/cart")["total_cents"]); got != 8200 {
		t.Errorf("total_cents %d, want 8200", got)
	}
	expectCart(t, expectJSON(t, c.json("PUT", items+"/"+itoa64(mug), map[string]any{"quantity": 0}), 200), map[int64]int64{tee: 1})
	expectCart(t, expectJSON(t, c.json("DELETE", items+"/"+itoa64(tee), nil), 200), map[int64]int64{})
	expectCart(t, expectJSON(t, c.json("PUT", items+"/"+itoa64(tee), map[string]any{"quantity": 4}), 200), map[int64]int64{tee: 4})
}

// TestAPICartRefusesBadInput: a refused change answers 400 naming the
// field (404 for a product that does not exist) and leaves the cart as it
// was.
func TestAPICartRefusesBadInput(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug := productID(t, c, skuMug)
	expectJSON(t, c.json("POST", "/api/v1/cart/items", map[string]any{"product_id": mug, "quantity": 2}), 200)
	items, one := "/api/v1/cart/items", "/api/v1/cart/items/"+itoa64(mug)

	tests := []struct {
		name, method, path string
		body               any
		status             int
		fields             []string
	}{
		{"add: negative", "POST", items, map[string]any{"product_id": mug, "quantity": -1}, 400, []string{"quantity"}},
		{"add: zero", "POST", items, map[string]any{"product_id": mug, "quantity": 0}, 400, []string{"quantity"}},
		{"add: 101", "POST", items, map[string]any{"product_id": mug, "quantity": 101}, 400, []string{"quantity"}},
		{"add: absurd", "POST", items, map[string]any{"product_id": mug, "quantity": 1e30}, 400, []string{"quantity"}},
		{"add: past 100 in the line", "POST", items, map[string]any{"product_id": mug, "quantity": 99}, 400, []string{"quantity"}},
		{"add: quantity a string", "POST", items, map[string]any{"product_id": mug, "quantity": "1"}, 400, []string{"quantity"}},
		{"add: no product_id", "POST", items, map[string]any{"quantity": 1}, 400, []string{"product_id"}},
		{"add: product_id a string", "POST", items, map[string]any{"product_id": "1"}, 400, []string{"product_id"}},
		{"add: unknown field", "POST", items, map[string]any{"product_id": mug, "qty": 1}, 400, []string{"qty"}},
		{"add: unknown product", "POST", items, map[string]any{"product_id": 999999}, 404, []string{"product_id"}},
		{"set: negative", "PUT", one, map[string]any{"quantity": -1}, 400, []string{"quantity"}},
		{"set: 101", "PUT", one, map[string]any{"quantity": 101}, 400, []string{"quantity"}},
		{"set: missing", "PUT", one, map[string]any{}, 400, []string{"quantity"}},
		{"set: unknown product", "PUT", items + "/999999", map[string]any{"quantity": 1}, 404, nil},
		{"delete: unknown product", "DELETE", items + "/999999", nil, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := map[int]string{400: "bad_request", 404: "not_found"}[tt.status]
			e := expectAPIError(t, c.json(tt.method, tt.path, tt.body), tt.status, code)
			if tt.fields != nil {
				expectFields(t, e, tt.fields...)
			}
			expectCart(t, apiGet(t, c, "/api/v1/cart"), map[int64]int64{mug: 2})
		})
	}
}

// TestAPICheckout: an empty cart and short stock are 409 conflicts that
// sell nothing; a checkout is 201 with the order; the same Idempotency-Key
// again answers the same order and places no second one.
func TestAPICheckout(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug, lantern := productID(t, c, skuMug), productID(t, c, skuLantern)
	add := func(id int64, q int) {
		t.Helper()
		expectJSON(t, c.json("POST", "/api/v1/cart/items", map[string]any{"product_id": id, "quantity": q}), 200)
	}

	expectAPIError(t, c.json("POST", "/api/v1/checkout", nil), http.StatusConflict, "conflict")
	add(mug, 1)
	add(lantern, 4)
	e := expectAPIError(t, c.json("POST", "/api/v1/checkout", nil), http.StatusConflict, "conflict")
	short, _ := e["short"].([]any)
	if len(short) != 1 || short[0].(map[string]any)["name"] != "Cave lantern" {
		t.Errorf("short lines %v, want the lantern alone", e["short"])
	}
	if stockOf(t, c, lantern) != 3 || stockOf(t, c, mug) != 25 || orderCount(t, c) != 0 {
		t.Fatal("a refused checkout sold something")
	}

	expectJSON(t, c.json("PUT", "/api/v1/cart/items/"+itoa64(lantern), map[string]any{"quantity": 2}), 200)
	c.Header.Set("Idempotency-Key", "order-1")
	v := expectShape(t, "checkout", expectJSON(t, c.json("POST", "/api/v1/checkout", nil), http.StatusCreated), shape{"order": "object"})
	order := expectShape(t, "order", v["order"], orderShape)
	if jsonInt(t, order["total_cents"]) != 1200+2*4800 || len(order["items"].([]any)) != 2 {
		t.Errorf("order %v, want a mug and two lanterns for 10800", order)
	}
	for _, l := range order["items"].([]any) {
		expectShape(t, "order line", l, lineShape)
	}
	if !jsonTime(t, order["created_at"]).Equal(a.clock.Now()) {
		t.Errorf("order placed at %v, want %v", order["created_at"], a.clock.Now())
	}
	expectCart(t, apiGet(t, c, "/api/v1/cart"), map[int64]int64{})

	// A retry, even with a new cart, answers the first order.
	add(mug, 1)
	again := expectJSON(t, c.json("POST", "/api/v1/checkout", nil), http.StatusCreated)["order"].(map[string]any)
	if again["id"] != order["id"] {
		t.Errorf("the same key placed order %v after %v", again["id"], order["id"])
	}
	if n := orderCount(t, c); n != 1 {
		t.Errorf("%d orders after a retried checkout, want 1", n)
	}
	if stockOf(t, c, lantern) != 1 || stockOf(t, c, mug) != 24 {
		t.Error("a retried checkout sold again")
	}

	c.Header.Set("Idempotency-Key", "order-2")
	other := expectJSON(t, c.json("POST", "/api/v1/checkout", nil), http.StatusCreated)["order"].(map[string]any)
	if other["id"] == order["id"] || orderCount(t, c) != 2 {
		t.Errorf("a new key did not place a new order: %v", other)
	}
	c.Header.Set("Idempotency-Key", strings.Repeat("k", 256))
	expectFields(t, expectAPIError(t, c.json("POST", "/api/v1/checkout", nil), 400, "bad_request"), "Idempotency-Key")
}

// TestAPIOrders: own orders newest first, paged by a cursor; another
// user's order is not found, except to the admin.
func TestAPIOrders(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug := productID(t, c, skuMug)
	var ids []any
	for q := 1; q <= 3; q++ {
		expectJSON(t, c.json("POST", "/api/v1/cart/items", map[string]any{"product_id": mug, "quantity": q}), 200)
		ids = append(ids, expectJSON(t, c.json("POST", "/api/v1/checkout", nil), 201)["order"].(map[string]any)["id"])
		a.clock.Advance(time.Minute)
	}

	v := apiGet(t, c, "/api/v1/orders")
	list := v["orders"].([]any)
	if v["next_cursor"] != nil || len(list) != 3 {
		t.Fatalf("orders %v", v)
	}
	for i, o := range list {
		o := expectShape(t, "order", o, orderShape)
		if o["id"] != ids[2-i] || jsonInt(t, o["total_cents"]) != int64(3-i)*1200 {
			t.Errorf("order %d is %v, want id %v", i, o, ids[2-i])
		}
	}

	var paged []any
	path := "/api/v1/orders?limit=1"
	for range 4 {
		v := apiGet(t, c, path)
		paged = append(paged, v["orders"].([]any)[0].(map[string]any)["id"])
		next, ok := v["next_cursor"].(string)
		if !ok {
			break
		}
		path = "/api/v1/orders?limit=1&cursor=" + next
	}
	if !reflect.DeepEqual(paged, []any{ids[2], ids[1], ids[0]}) {
		t.Errorf("paged orders %v, want %v newest first", paged, ids)
	}

	path = "/api/v1/orders/" + itoa64(jsonInt(t, ids[0]))
	own := expectShape(t, "one order", apiGet(t, c, path), shape{"order": "object"})
	if !reflect.DeepEqual(own["order"], list[2]) {
		t.Errorf("order %v alone is %v", list[2], own["order"])
	}
	expectAPIError(t, a.unauthorized().json("GET", path, nil), http.StatusNotFound, "not_found")
	if got := apiGet(t, a.admin(), path)["order"].(map[string]any)["id"]; got != ids[0] {
		t.Errorf("the admin read order %v, want %v", got, ids[0])
	}
	if len(apiGet(t, a.unauthorized(), "/api/v1/orders")["orders"].([]any)) != 0 {
		t.Error("another user lists these orders")
	}
}

// TestAPITask: the task restocks and answers the product.
func TestAPITask(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	lantern := productID(t, c, skuLantern)
	p := expectShape(t, "task", expectJSON(t, c.json("POST", "/api/v1/task",
		map[string]any{"product_id": lantern, "quantity": 10}), http.StatusOK), productShape)
	if jsonInt(t, p["id"]) != lantern || jsonInt(t, p["stock"]) != 13 {
		t.Errorf("task answered %v, want the lantern with 13", p)
	}
	if stockOf(t, a.unauthorized(), lantern) != 13 {
		t.Error("the restock is not seen by others")
	}
	for _, in := range []struct {
		body   map[string]any
		fields []string
	}{
		{map[string]any{"product_id": lantern, "quantity": 0}, []string{"quantity"}},
		{map[string]any{"product_id": lantern, "quantity": 1001}, []string{"quantity"}},
		{map[string]any{}, []string{"product_id", "quantity"}},
	} {
		expectFields(t, expectAPIError(t, c.json("POST", "/api/v1/task", in.body), 400, "bad_request"), in.fields...)
	}
	expectAPIError(t, c.json("POST", "/api/v1/task", map[string]any{"product_id": 999999, "quantity": 1}), 404, "not_found")
	if stockOf(t, c, lantern) != 13 {
		t.Error("a refused task changed the stock")
	}
}

// TestAPICheckoutRace: 20 buyers check out at once for 5 in stock through
// the HTTP layer; exactly 5 are sold.
func TestAPICheckoutRace(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	keeper := a.authorized()
	lantern := productID(t, keeper, skuLantern)
	expectJSON(t, keeper.json("POST", "/api/v1/task", map[string]any{"product_id": lantern, "quantity": 2}), 200)

	buyers := make([]*client, 20)
	for i, name := range addBuyers(t, a, len(buyers)) {
		buyers[i] = a.login(name, demoPassword)
		expectJSON(t, buyers[i].json("POST", "/api/v1/cart/items", map[string]any{"product_id": lantern}), 200)
	}
	statuses := make([]int, len(buyers))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, b := range buyers {
		wg.Go(func() {
			<-start
			res := b.do("POST", "/api/v1/checkout", "", nil)
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()

	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 5 || count[http.StatusConflict] != 15 {
		t.Errorf("statuses %v, want 5 × 201 and 15 × 409", count)
	}
	if got := stockOf(t, keeper, lantern); got != 0 {
		t.Errorf("stock %d after the race, want 0", got)
	}
	sold := 0
	for _, b := range buyers {
		sold += orderCount(t, b)
	}
	if sold != 5 {
		t.Errorf("%d orders placed, want 5", sold)
	}
}
