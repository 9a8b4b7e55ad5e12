package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame/sqlite"
)

// Helpers for the shop: the demo products, what a user's cart, orders and
// the stock hold, read through the API so that a page test checks its
// effect by another way than the page itself, and ways to fill a cart.

// The demo products the tests use, by SKU (CONTRACT §2, app/demo.go).
const (
	skuMug     = "SES-MUG-01" // 1200 cents, plenty in stock
	skuTee     = "SES-TEE-02" // 2200 cents, plenty in stock
	skuLantern = "SES-LMP-06" // 4800 cents, 3 in stock
)

// productID returns the id of the demo product with sku.
func productID(t *testing.T, c *client, sku string) int64 {
	t.Helper()
	for _, p := range apiGet(t, c, "/api/v1/products")["products"].([]any) {
		if p := p.(map[string]any); p["sku"] == sku {
			return jsonInt(t, p["id"])
		}
	}
	t.Fatalf("no product %s", sku)
	return 0
}

// stockOf returns the stock of product id.
func stockOf(t *testing.T, c *client, id int64) int64 {
	t.Helper()
	return jsonInt(t, apiGet(t, c, "/api/v1/products/"+itoa64(id))["stock"])
}

// cartQuantities returns the cart of c's user as product id → quantity.
func cartQuantities(t *testing.T, c *client) map[int64]int64 {
	t.Helper()
	q := map[int64]int64{}
	for _, l := range apiGet(t, c, "/api/v1/cart")["items"].([]any) {
		l := l.(map[string]any)
		q[jsonInt(t, l["product_id"])] = jsonInt(t, l["quantity"])
	}
	return q
}

// orderCount returns how many orders c's user has (up to 500).
func orderCount(t *testing.T, c *client) int {
	t.Helper()
	return len(apiGet(t, c, "/api/v1/orders?limit=500")["orders"].([]any))
}

// addMug puts one mug in c's cart through the cart form, the way most tests
// make a cart that something can be done with.
func addMug(t *testing.T, c *client) {
	t.Helper()
	id := itoa64(productID(t, c, skuMug))
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {id}}), "/cart")
}

// mustHaveCart fails, and goes on, unless c's cart holds want of sku: a
// test then also sees what else went wrong.
func mustHaveCart(t *testing.T, c *client, sku string, want int64) {
	t.Helper()
	if got := cartQuantities(t, c)[productID(t, c, sku)]; got != want {
		t.Errorf("%s in cart: %d, want %d", sku, got, want)
	}
}

// addBuyers creates n users holding the customer and privileged roles
// (what authorized_user holds) with demoPassword, through a second handle
// on the app's database, as another sesame process would.
func addBuyers(t *testing.T, a *testApp, n int) []string {
	t.Helper()
	path, ok := strings.CutPrefix(a.srv.Config.DB, "sqlite:")
	if !ok {
		t.Fatalf("not a SQLite database: %s", a.srv.Config.DB)
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hash, err := testParams.Hash(demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("buyer%02d", i)
		if _, err := db.CreateUser(context.Background(), names[i], hash, []string{"customer", "privileged"}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// itoa64 writes a product or order id, as paths and forms carry it.
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
