package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sesamehq/sesame"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds every page template, each parsed with the layout at start.
type pages struct {
	byName map[string]*template.Template
}

var templateFuncs = template.FuncMap{
	"money":     money,
	"count":     func(n int) string { return grouped(int64(n)) },
	"units":     units,
	"lines":     orderLines,
	"when":      when,
	"hasPrefix": strings.HasPrefix,
	"label":     fieldLabel,
	"holds":     func(list []string, s string) bool { return slices.Contains(list, s) },
}

// fieldLabels are the labels of the form fields that the labelled-problem
// template names, as the forms show them.
var fieldLabels = map[string]string{
	"username":         "Username",
	"password":         "Password",
	"current_password": "Current password",
	"new_password":     "New password",
	"product_id":       "Product",
	"quantity":         "Quantity",
	"id":               "Session",
	"roles":            "Roles",
	"disabled":         "Account",
	"user":             "User",
	"action":           "Action",
	"outcome":          "Outcome",
	"limit":            "Per page",
	"cursor":           "Page",
	"back":             "Back",
	"next":             "Next",
	"body":             "Form",

	"code":          "Code",
	"recovery_code": "Recovery code",
	"credential":    "Passkey",
	"name":          "Name",
}

// fieldLabel returns the label of a form field, or its name when it has
// none.
func fieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return field
}

// money writes cents as dollars, thousands grouped: "$3,363.00".
func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s$%s.%02d", sign, grouped(abs(cents/100)), abs(cents%100))
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// grouped writes n with its thousands grouped by commas: "999,096".
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	b.WriteString(s[:len(s)-len(digits)])
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// units is how many pieces lines hold, the sum of their quantities.
func units(lines []sesame.LineItem) int {
	n := 0
	for _, l := range lines {
		n += l.Quantity
	}
	return n
}

// when writes t as the pages show times, "" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// orderLines is the "lines" view of an order.
func orderLines(o *sesame.Order) linesView {
	return newLines(o.Items, o.TotalCents, nil)
}

// parsedPages returns the templates, parsed the first time it is called
// (by New, at start).
var parsedPages = sync.OnceValues(parsePages)

func parsePages() (*pages, error) {
	layout, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: make(map[string]*template.Template)}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", f, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page template gets: the layout reads the user, the
// header's links, the flash and the problem, the page its own Data.
// Everything the layout shows is worked out here, in Go, before the
// template runs: a template function or method is called through
// reflection, which on the busiest pages cost more than the rest of the
// rendering (issue 12's profile of /products).
type view struct {
	Title   string
	User    *sesame.User
	Path    string
	Page    string // the template's name
	Nav     nav
	Flash   *flashView
	Problem *problem
	// Errs are the problem's reasons by field, for the forms to tie each
	// to its input (aria-invalid, aria-describedby); nil without one.
	Errs map[string]string
	Data any
	url  *url.URL // the request's, read only by the links that need it
}

// nav is what the header and the section links show: which pages the user
// may reach, the cart's count, and the aria-current of each link ("page"
// on that page, "true" on another page of its section, else "").
type nav struct {
	Checkout, Task, Admin, Cart bool
	CartCount                   string // "3", "" when empty or not known
	Section                     string // "account", "admin" or ""
	Current                     map[string]string
}

// sections are the pages of each section of the header, by the link that
// leads to it; the first is the page the link itself leads to.
var sections = map[string][]string{
	"orders":  {"orders", "order"},
	"account": {"sessions", "activity", "password", "security"},
	"admin":   {"admin_users", "admin_sessions", "admin_audit"},
}

// current is the aria-current of every link for page: a link to it
// "page", the link to its section "true".
func current(page string) map[string]string {
	c := map[string]string{page: "page"}
	for link, pages := range sections {
		switch {
		case pages[0] == page:
			c[link] = "page"
		case slices.Contains(pages, page):
			c[link] = "true"
		}
	}
	return c
}

// currents are current of every page, worked out once.
var currents = sync.OnceValue(func() map[string]map[string]string {
	m := map[string]map[string]string{}
	pg, err := parsedPages()
	if err != nil {
		return m
	}
	for name := range pg.byName {
		m[name] = current(name)
	}
	return m
})

// cartCounter is a page's data that knows the cart's size, so that the
// header need not ask for it again.
type cartCounter interface{ cartUnits() int }

// Older is the link to the page of a list that starts at cursor: this
// path, with the limit the request asked for, if it asked.
func (v view) Older(cursor string) string {
	q := url.Values{"cursor": {cursor}}
	if limit := v.url.Query().Get("limit"); limit != "" {
		q.Set("limit", limit)
	}
	return v.Path + "?" + q.Encode()
}

// render writes page name with status, for the request's actor, with the
// flash the request carries (which it clears).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, p *problem) {
	u := sesame.ActorFrom(r.Context()).User
	v := view{Title: title, User: u, Path: r.URL.Path, Page: name, Problem: p, Data: data, url: r.URL}
	v.Nav.Current = currents()[name]
	switch {
	case strings.HasPrefix(v.Path, "/account/"):
		v.Nav.Section = "account"
	case strings.HasPrefix(v.Path, "/admin/"):
		v.Nav.Section = "admin"
	}
	if p != nil && len(p.Fields) > 0 {
		v.Errs = p.Fields
	}
	if u != nil {
		v.Nav.Checkout, v.Nav.Task, v.Nav.Admin = u.Can(sesame.PermCheckout), u.Can(sesame.PermTaskPerform), u.Can(sesame.PermAdmin)
		v.Nav.Cart = u.Can(sesame.PermCartEdit)
		if v.Nav.Cart {
			v.Nav.CartCount = h.cartCount(r, data)
		}
	}
	v.Flash = h.takeFlash(w, r)
	h.pages.write(w, r, h.log, status, name, v)
}

// cartCount is how many pieces the user's cart holds, as the header shows
// it: from the page's own data when it has the cart, else asked of the
// shop; "" for none, or when the shop cannot say (the page itself still
// shows).
func (h *Handler) cartCount(r *http.Request, data any) string {
	n := 0
	if c, ok := data.(cartCounter); ok {
		n = c.cartUnits()
	} else {
		cart, err := h.shop.Cart(r.Context())
		if err != nil {
			h.log.WarnContext(r.Context(), "cart count", "err", err)
			return ""
		}
		n = units(cart.Items)
	}
	if n == 0 {
		return ""
	}
	return grouped(int64(n))
}

// write renders page name for v with status. It renders into a buffer
// first, so that a template failure becomes a clean 500 rather than half a
// page.
func (pg *pages) write(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, name string, v view) {
	t, ok := pg.byName[name]
	if !ok {
		panic("web: no template " + name) // a programming error, caught by recoverPanics
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		log.ErrorContext(r.Context(), "render", "page", name, "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v.Problem != nil {
		setRetryAfter(w, *v.Problem)
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the status is out; a failed write means the client left
}

// pageError answers a page request that failed. A visitor who is not signed
// in is sent to the login page, with the way back (and, when their session
// has just ended, its cookie cleared and a word about it); everyone else
// gets the error page with the status the problem calls for, saying what
// to do next.
func (h *Handler) pageError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	h.logProblem(r, p, err)
	signedIn := sesame.ActorFrom(r.Context()).User != nil
	if p.Status == http.StatusUnauthorized && !signedIn {
		h.endDeadSession(w, r)
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	advice := errorAdvice(p.Status, signedIn)
	advice.TryAgain = advice.TryAgain && r.Method == http.MethodGet // a link cannot send a form again
	h.render(w, r, p.Status, "error", errorTitle(p.Status), advice, &p)
}

// static serves the embedded stylesheet and friends: named files only, never
// a directory listing.
func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	sub, _ := fs.Sub(staticFS, "static")
	name := r.PathValue("file")
	if st, err := fs.Stat(sub, name); err != nil || st.IsDir() {
		h.fail(w, r, errNotFound)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFileFS(w, r, sub, name) // #nosec G703 -- sub is the embedded static tree, read-only; name is one path segment that fs.Stat found in it
}

// favicon serves the site's icon where every browser asks for it, whether
// or not a page names it: without it, each new browser's first request
// answered 404 (or, signed out, 303 to the login page).
func (h *Handler) favicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Type", "image/x-icon")
	http.ServeFileFS(w, r, staticFS, "static/favicon.ico")
}
