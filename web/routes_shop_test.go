package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesamehq/sesame/web"
)

// The shop through its pages (CONTRACT §4): cart, checkout, orders, the
// task, and the refusal of bad form input.

// TestCartPages: add (quantity 1 by default), add more, set, 0 removes,
// delete removes; the cart page shows lines and totals.
func TestCartPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug, tee := itoa64(productID(t, c, skuMug)), itoa64(productID(t, c, skuTee))

	expectHTML(t, c.get("/cart"), http.StatusOK, "Your cart is empty.")
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {mug}}), "/cart")
	mustHaveCart(t, c, skuMug, 1)
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {mug}, "quantity": {"2"}}), "/cart")
	mustHaveCart(t, c, skuMug, 3)
	expectRedirect(t, c.postForm("/cart/items/"+mug, url.Values{"quantity": {"5"}}), "/cart")
	mustHaveCart(t, c, skuMug, 5)
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {tee}, "quantity": {"1"}}), "/cart")
	expectHTML(t, c.get("/cart"), http.StatusOK,
		"<td>Sesame mug</td>", `value="5"`, "$60.00", // 5 × $12.00
		"<td>Open sesame T-shirt</td>", "$22.00",
		"$82.00") // the total

	expectRedirect(t, c.postForm("/cart/items/"+mug, url.Values{"quantity": {"0"}}), "/cart")
	mustHaveCart(t, c, skuMug, 0)
	mustHaveCart(t, c, skuTee, 1)
	if page := expectHTML(t, c.get("/cart"), http.StatusOK, "$22.00"); strings.Contains(page, "<td>Sesame mug</td>") {
		t.Error("quantity 0 left the line on the cart page")
	}
	expectRedirect(t, c.postForm("/cart/items/"+tee+"/delete", nil), "/cart")
	expectHTML(t, c.get("/cart"), http.StatusOK, "Your cart is empty.")
	if len(cartQuantities(t, c)) != 0 {
		t.Error("cart not empty after delete")
	}
	// Deleting a line that is not there is not an error: the cart is as asked.
	expectRedirect(t, c.postForm("/cart/items/"+tee+"/delete", nil), "/cart")

	for _, ev := range [][2]string{{"cart.add", "quantity +1"}, {"cart.update", "quantity 5"}, {"cart.remove", "product " + mug}} {
		if !hasEvent(t, c, ev[0], "success", ev[1]) {
			t.Errorf("no %s event with %q in the activity", ev[0], ev[1])
		}
	}
}

// TestPagesRefuseBadInput: invalid form input answers 400 (404 for a
// product that does not exist), re-renders the page with a message naming
// the field, and changes nothing.
func TestPagesRefuseBadInput(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug, lantern := itoa64(productID(t, c, skuMug)), itoa64(productID(t, c, skuLantern))
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {mug}, "quantity": {"2"}}), "/cart")

	tests := []struct {
		name   string
		path   string
		form   url.Values
		status int
		page   string // what the re-rendered page shows
		field  string // the fields the message names, space-separated; "" for a path that names nothing
	}{
		{"add: quantity not a number", "/cart/items", url.Values{"product_id": {mug}, "quantity": {"abc"}}, 400, "<h1>Products</h1>", "quantity"},
		{"add: quantity negative", "/cart/items", url.Values{"product_id": {mug}, "quantity": {"-1"}}, 400, "<h1>Products</h1>", "quantity"},
		{"add: quantity zero", "/cart/items", url.Values{"product_id": {mug}, "quantity": {"0"}}, 400, "<h1>Products</h1>", "quantity"},
		{"add: quantity 101", "/cart/items", url.Values{"product_id": {mug}, "quantity": {"101"}}, 400, "<h1>Products</h1>", "quantity"},
		{"add: line past 100", "/cart/items", url.Values{"product_id": {mug}, "quantity": {"99"}}, 400, "<h1>Products</h1>", "quantity"},
		{"add: no product_id", "/cart/items", url.Values{"quantity": {"1"}}, 400, "<h1>Products</h1>", "product_id"},
		{"add: product_id not a number", "/cart/items", url.Values{"product_id": {"mug"}}, 400, "<h1>Products</h1>", "product_id"},
		{"add: unknown product", "/cart/items", url.Values{"product_id": {"999999"}}, 404, "<h1>Products</h1>", "product_id"},
		{"set: quantity not a number", "/cart/items/" + mug, url.Values{"quantity": {"abc"}}, 400, "<h1>Your cart</h1>", "quantity"},
		{"set: quantity negative", "/cart/items/" + mug, url.Values{"quantity": {"-1"}}, 400, "<h1>Your cart</h1>", "quantity"},
		{"set: quantity 101", "/cart/items/" + mug, url.Values{"quantity": {"101"}}, 400, "<h1>Your cart</h1>", "quantity"},
		{"set: quantity missing", "/cart/items/" + mug, nil, 400, "<h1>Your cart</h1>", "quantity"},
		{"set: unknown product", "/cart/items/999999", url.Values{"quantity": {"1"}}, 404, "<h1>Your cart</h1>", ""},
		{"delete: unknown product", "/cart/items/999999/delete", nil, 404, "<h1>Your cart</h1>", ""},
		{"task: quantity 0", "/task", url.Values{"product_id": {lantern}, "quantity": {"0"}}, 400, "<h1>The task: restock</h1>", "quantity"},
		{"task: quantity 1001", "/task", url.Values{"product_id": {lantern}, "quantity": {"1001"}}, 400, "<h1>The task: restock</h1>", "quantity"},
		{"task: quantity not a number", "/task", url.Values{"product_id": {lantern}, "quantity": {"abc"}}, 400, "<h1>The task: restock</h1>", "quantity"},
		{"task: quantity missing", "/task", url.Values{"product_id": {lantern}}, 400, "<h1>The task: restock</h1>", "quantity"},
		{"task: no product_id", "/task", url.Values{"quantity": {"10"}}, 400, "<h1>The task: restock</h1>", "product_id"},
		{"task: nothing", "/task", nil, 400, "<h1>The task: restock</h1>", "product_id quantity"},
		{"add: a field twice", "/cart/items", url.Values{"product_id": {mug, lantern}, "quantity": {"1"}}, 400, "<h1>Products</h1>", "product_id"},
		{"set: quantity twice", "/cart/items/" + mug, url.Values{"quantity": {"1", "5"}}, 400, "<h1>Your cart</h1>", "quantity"},
		{"add: quantity past int", "/cart/items", url.Values{"product_id": {mug}, "quantity": {"99999999999999999999"}}, 400, "from 1 to 100", "quantity"},
		{"task: unknown product", "/task", url.Values{"product_id": {"999999"}, "quantity": {"10"}}, 404, "<h1>The task: restock</h1>", "product_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := []string{tt.page}
			for _, f := range strings.Fields(tt.field) {
				want = append(want, "<strong>"+web.FieldLabel(f)+"</strong>: ")
			}
			page := expectHTML(t, c.postForm(tt.path, tt.form), tt.status, want...)
			if !strings.Contains(page, `class="problem"`) {
				t.Error("the page does not say what was wrong")
			}
			if q := cartQuantities(t, c); len(q) != 1 || q[productID(t, c, skuMug)] != 2 {
				t.Errorf("cart changed to %v", q)
			}
			if got := stockOf(t, c, productID(t, c, skuLantern)); got != 3 {
				t.Errorf("lantern stock changed to %d", got)
			}
		})
	}
}

// TestCheckoutPages: an empty cart is said so (200) and refused (409);
// short stock is refused (409) naming the short line, selling nothing; a
// checkout that can be filled makes an order, shown at /orders and
// /orders/{id}, takes the stock and empties the cart.
func TestCheckoutPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug, lantern := productID(t, c, skuMug), productID(t, c, skuLantern)

	expectHTML(t, c.get("/checkout"), http.StatusOK, "Your cart is empty: there is nothing to check out.")
	expectHTML(t, c.postForm("/checkout", nil), http.StatusConflict, "Your cart is empty.")

	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {itoa64(mug)}}), "/cart")
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {itoa64(lantern)}, "quantity": {"4"}}), "/cart")
	expectHTML(t, c.get("/checkout"), http.StatusOK, "<td>Cave lantern</td>", "$192.00", "$204.00", "Place the order")
	page := expectHTML(t, c.postForm("/checkout", nil), http.StatusConflict,
		"There is not enough stock", "Cave lantern: 4 wanted, 3 in stock")
	if strings.Contains(page, "Sesame mug:") {
		t.Error("the page names a line that is not short")
	}
	if stockOf(t, c, lantern) != 3 || stockOf(t, c, mug) != 25 || orderCount(t, c) != 0 {
		t.Fatal("a refused checkout sold something")
	}
	mustHaveCart(t, c, skuLantern, 4)

	expectRedirect(t, c.postForm("/cart/items/"+itoa64(lantern), url.Values{"quantity": {"2"}}), "/cart")
	res := c.postForm("/checkout", nil)
	expectStatus(t, res, http.StatusSeeOther)
	path := res.Header.Get("Location")
	id, ok := strings.CutPrefix(path, "/orders/")
	if !ok || id == "" {
		t.Fatalf("checkout sent the browser to %q", path)
	}
	expectHTML(t, c.get(path), http.StatusOK, "Order #"+id,
		"<td>Sesame mug</td><td class=\"num\">1</td>", "<td>Cave lantern</td><td class=\"num\">2</td>", "$108.00")
	expectHTML(t, c.get("/orders"), http.StatusOK, `<a href="/orders/`+id+`">#`+id+`</a>`, "$108.00")
	if got := stockOf(t, c, lantern); got != 1 {
		t.Errorf("lantern stock %d after selling 2 of 3", got)
	}
	if got := stockOf(t, c, mug); got != 24 {
		t.Errorf("mug stock %d after selling 1 of 25", got)
	}
	if len(cartQuantities(t, c)) != 0 {
		t.Error("the cart is not empty after checkout")
	}
	if !hasEvent(t, c, "checkout", "success", "order "+id) || !hasEvent(t, c, "checkout", "failure", "Cave lantern") {
		t.Error("the checkouts are not in the activity")
	}
}

// TestTaskPages: the task restocks and the page shows the new stock.
func TestTaskPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	lantern := itoa64(productID(t, c, skuLantern))
	expectHTML(t, c.get("/task"), http.StatusOK, "Cave lantern (3 in stock)")
	expectRedirect(t, c.postForm("/task", url.Values{"product_id": {lantern}, "quantity": {"1000"}}), "/task")
	expectHTML(t, c.get("/task"), http.StatusOK, "Cave lantern (1,003 in stock)")
	if got := stockOf(t, a.unauthorized(), productID(t, c, skuLantern)); got != 1003 {
		t.Errorf("stock %d seen by another user, want 1003", got)
	}
	if !hasEvent(t, c, "task", "success", "restocked product "+lantern+" by 1000") {
		t.Error("the task is not in the activity")
	}
}

// TestCartSharedAcrossSessions: one cart per user (§3), the same in every
// session of the user and after signing out and in again; another user's
// cart is their own.
func TestCartSharedAcrossSessions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	first, second := a.authorized(), a.authorized()
	if first.token() == second.token() {
		t.Fatal("two logins share a session")
	}
	addMug(t, first)
	mustHaveCart(t, second, skuMug, 1)
	expectHTML(t, second.get("/cart"), http.StatusOK, "<td>Sesame mug</td>")

	expectRedirect(t, second.postForm("/cart/items/"+itoa64(productID(t, second, skuMug)), url.Values{"quantity": {"3"}}), "/cart")
	mustHaveCart(t, first, skuMug, 3)

	expectRedirect(t, first.postForm("/logout", nil), "/login")
	expectRedirect(t, second.postForm("/logout", nil), "/login")
	again := a.authorized()
	mustHaveCart(t, again, skuMug, 3)
	expectHTML(t, again.get("/cart"), http.StatusOK, `value="3"`)

	if q := cartQuantities(t, a.unauthorized()); len(q) != 0 {
		t.Errorf("another user's cart holds %v", q)
	}
}
