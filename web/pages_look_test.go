package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// These tests hold what the pages show beyond their status: the checkout's
// warnings, links only to what the user may do, paging links that keep the
// limit, and numbers that read well.

// between returns the part of page from the first open to the next close
// after it, or "" if either is missing.
func between(page, open, close string) string {
	_, rest, ok := strings.Cut(page, open)
	if !ok {
		return ""
	}
	part, _, ok := strings.Cut(rest, close)
	if !ok {
		return ""
	}
	return part
}

// mainPart is the <main> of page: the page without the header's nav.
func mainPart(page string) string { return between(page, "<main", "</main>") }

// headerPart is the page's header, with the top nav.
func headerPart(page string) string { return between(page, "<header", "</header>") }

// shortCart fills c's cart with one mug and 4 lanterns, of which 3 are in
// stock.
func shortCart(t *testing.T, c *client) {
	t.Helper()
	addMug(t, c)
	lantern := itoa64(productID(t, c, skuLantern))
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {lantern}, "quantity": {"4"}}), "/cart")
}

// TestCheckoutReviewWarnsOfShortStock: the review names, before the order
// is placed, the lines that the stock cannot fill, and marks them in the
// table; a cart that stock can fill has no warning.
func TestCheckoutReviewWarnsOfShortStock(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	shortCart(t, c)

	m := mainPart(expectHTML(t, c.get("/checkout"), http.StatusOK, "Place the order"))
	warning := between(m, `<div class="warning"`, "</div>")
	if !strings.Contains(warning, "Cave lantern: 4 wanted, 3 in stock") {
		t.Errorf("the review does not warn of the short lantern:\n%s", m)
	}
	if strings.Contains(warning, "Sesame mug") {
		t.Errorf("the warning names the mug, which stock can fill:\n%s", warning)
	}
	if !strings.Contains(m, `<tr class="short"><td>Cave lantern</td>`) {
		t.Errorf("the lantern's line is not marked short:\n%s", m)
	}
	if !strings.Contains(m, `<tr><td>Sesame mug</td>`) {
		t.Errorf("the mug's line is not shown unmarked:\n%s", m)
	}
	if !strings.Contains(m, `href="/cart"`) {
		t.Error("the review has no way back to the cart")
	}

	lantern := itoa64(productID(t, c, skuLantern))
	expectRedirect(t, c.postForm("/cart/items/"+lantern, url.Values{"quantity": {"3"}}), "/cart")
	m = mainPart(expectHTML(t, c.get("/checkout"), http.StatusOK, "<td>Cave lantern</td>"))
	if strings.Contains(m, `class="warning"`) || strings.Contains(m, `class="short"`) {
		t.Errorf("a cart that stock can fill is warned about:\n%s", m)
	}
}

// TestCheckoutRefusalPage: the 409 after a checkout that stock cannot fill
// says why under its heading, marks the short lines in its table and links
// back to the cart; so does the 409 of an empty cart.
func TestCheckoutRefusalPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()

	m := mainPart(expectHTML(t, c.postForm("/checkout", nil), http.StatusConflict, "Your cart is empty."))
	if !strings.Contains(m, `href="/cart"`) {
		t.Errorf("the empty cart's refusal has no link back to the cart:\n%s", m)
	}

	shortCart(t, c)
	m = mainPart(expectHTML(t, c.postForm("/checkout", nil), http.StatusConflict, "Cave lantern: 4 wanted, 3 in stock"))
	if !strings.Contains(m, `<tr class="short"><td>Cave lantern</td>`) {
		t.Errorf("the refusal does not mark the short line:\n%s", m)
	}
	if !strings.Contains(m, `<tr><td>Sesame mug</td>`) {
		t.Errorf("the refusal marks the mug, or does not show it:\n%s", m)
	}
	if !strings.Contains(m, `href="/cart"`) {
		t.Errorf("the refusal has no link back to the cart:\n%s", m)
	}
	if strings.Contains(m, `class="warning"`) {
		t.Error("the refusal repeats the review's warning beside its own message")
	}
	if h, p := strings.Index(m, "<h1>"), strings.Index(m, `class="problem"`); h < 0 || p < 0 || p < h {
		t.Errorf("the message box is not under the heading (h1 at %d, box at %d)", h, p)
	}
}

// TestLinksFollowPermissions: a user who may not check out or perform the
// task is not offered links to them (the routes still answer 403); a user
// who may is.
func TestLinksFollowPermissions(t *testing.T) {
	t.Parallel()
	a := newApp(t)

	no := a.unauthorized()
	addMug(t, no)
	page := expectHTML(t, no.get("/cart"), http.StatusOK, "<td>Sesame mug</td>")
	if m := mainPart(page); strings.Contains(m, `href="/checkout"`) {
		t.Errorf("the cart offers a checkout to a user who may not:\n%s", m)
	}
	for _, path := range []string{"/cart", "/products", "/orders", "/account/sessions"} {
		h := headerPart(expectHTML(t, no.get(path), http.StatusOK))
		if h == "" || !strings.Contains(h, `href="/cart"`) {
			t.Fatalf("%s: no header nav:\n%s", path, h)
		}
		for _, link := range []string{`href="/checkout"`, `href="/task"`} {
			if strings.Contains(h, link) {
				t.Errorf("%s: the nav offers %s to a user without the permission", path, link)
			}
		}
	}
	expectHTML(t, no.get("/checkout"), http.StatusForbidden, "You are not allowed to check out.")
	expectHTML(t, no.get("/task"), http.StatusForbidden, "You are not allowed to perform the task.")
	expectHTML(t, no.postForm("/checkout", nil), http.StatusForbidden)

	yes := a.authorized()
	addMug(t, yes)
	page = expectHTML(t, yes.get("/cart"), http.StatusOK, "<td>Sesame mug</td>")
	if m := mainPart(page); !strings.Contains(m, `<a class="button" href="/checkout">Check out</a>`) {
		t.Errorf("the cart offers no checkout to a user who may:\n%s", m)
	}
	h := headerPart(page)
	for _, link := range []string{`href="/checkout"`, `href="/task"`} {
		if !strings.Contains(h, link) {
			t.Errorf("the nav lacks %s for a user with the permission:\n%s", link, h)
		}
	}
}

var olderLink = regexp.MustCompile(`<a href="([^"]*)">(?:Older orders|Older activity|More sessions)</a>`)

// nextLink returns the page's link to the next page of its list, parsed,
// or nil if there is none.
func nextLink(t *testing.T, page string) *url.URL {
	t.Helper()
	m := olderLink.FindStringSubmatch(page)
	if m == nil {
		return nil
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatalf("link %q: %v", m[1], err)
	}
	return u
}

// TestPagedListsKeepTheLimit: the link to the next page of /orders,
// /account/activity and /account/sessions carries the limit the request
// gave, and none when it gave none; following it shows the next page.
func TestPagedListsKeepTheLimit(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	a.authorized() // a second session
	for range 2 {
		addMug(t, c)
		expectStatus(t, c.postForm("/checkout", nil), http.StatusSeeOther)
	}

	for _, tt := range []struct{ path, limit string }{
		{"/orders", "1"}, {"/account/activity", "2"}, {"/account/sessions", "1"},
	} {
		u := nextLink(t, expectHTML(t, c.get(tt.path+"?limit="+tt.limit), http.StatusOK))
		if u == nil {
			t.Errorf("%s?limit=%s: no link to the next page", tt.path, tt.limit)
			continue
		}
		if u.Path != tt.path || u.Query().Get("limit") != tt.limit || u.Query().Get("cursor") == "" {
			t.Errorf("%s?limit=%s: next page at %q, want the same path, limit and a cursor", tt.path, tt.limit, u)
		}
		expectHTML(t, c.get(u.String()), http.StatusOK)
	}

	// The second page of orders is the older order alone.
	first := expectHTML(t, c.get("/orders?limit=1"), http.StatusOK)
	second := expectHTML(t, c.get(nextLink(t, first).String()), http.StatusOK)
	if ids := regexp.MustCompile(`href="/orders/\d+"`).FindAllString(mainPart(second), -1); len(ids) != 1 || strings.Contains(first, ids[0]) {
		t.Errorf("second page of orders lists %v", ids)
	}

	// Without a limit, the default page (50) has a next page only past 50
	// events: its link has no limit.
	for range 50 {
		addMug(t, c)
	}
	u := nextLink(t, expectHTML(t, c.get("/account/activity"), http.StatusOK))
	if u == nil || u.Query().Has("limit") || u.Query().Get("cursor") == "" {
		t.Errorf("/account/activity: next page at %v, want a cursor and no limit", u)
	}
}

// TestPageLooks: money and stock are grouped by thousands, the orders list
// counts units, the error page's heading comes before its message, and the
// nav marks the current page.
func TestPageLooks(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	lantern := itoa64(productID(t, c, skuLantern))
	for range 2 {
		expectRedirect(t, c.postForm("/task", url.Values{"product_id": {lantern}, "quantity": {"1000"}}), "/task")
	}
	expectHTML(t, c.get("/products"), http.StatusOK, `<span class="stock">2,003 in stock</span>`)

	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {lantern}, "quantity": {"100"}}), "/cart")
	addMug(t, c)
	expectHTML(t, c.get("/cart"), http.StatusOK, "$4,800.00", "$4,812.00")
	expectStatus(t, c.postForm("/checkout", nil), http.StatusSeeOther)
	// 101 units on 2 lines.
	expectHTML(t, c.get("/orders"), http.StatusOK, `<td class="num">101</td><td class="num">$4,812.00</td>`)

	for _, tt := range []struct {
		c    *client
		path string
		want int
	}{{a.unauthorized(), "/task", http.StatusForbidden}, {c, "/no/such/page", http.StatusNotFound}} {
		m := mainPart(expectHTML(t, tt.c.get(tt.path), tt.want))
		if h, p := strings.Index(m, "<h1>"), strings.Index(m, `class="problem"`); h < 0 || p < 0 || p < h {
			t.Errorf("%s: the message box is not under the heading:\n%s", tt.path, m)
		}
	}

	h := headerPart(expectHTML(t, c.get("/orders"), http.StatusOK))
	if !strings.Contains(h, `<a href="/orders" aria-current="page">`) || strings.Count(h, "aria-current") != 1 {
		t.Errorf("the nav does not mark /orders alone as the current page:\n%s", h)
	}
}
