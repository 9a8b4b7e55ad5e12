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
	"money": money,
	"count": func(n int) string { return grouped(int64(n)) },
	"units": units,
	"lines": orderLines,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"hasPrefix": strings.HasPrefix,
	"label":     fieldLabel,
	"holds":     func(list []string, s string) bool { return slices.Contains(list, s) },
}

// fieldLabels are the labels of the form fields that the labelled-problem
// template names, as the forms show them.
var fieldLabels = map[string]string{
	"username": "Username",
	"password": "Password",
	"roles":    "Roles",
	"disabled": "Account",
	"user":     "User",
	"action":   "Action",
	"outcome":  "Outcome",
	"limit":    "Per page",
	"cursor":   "Page",
	"back":     "Back",
	"next":     "Next",
	"body":     "Form",

	"code":          "Code",
	"recovery_code": "Recovery code",
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

// linesView is what the "lines" template shows: the lines of an order, or
// of a cart under review with the lines that stock cannot fill, by product.
type linesView struct {
	Items      []sesame.LineItem
	TotalCents int64
	Short      map[int64]sesame.ShortLine
}

func orderLines(o *sesame.Order) linesView {
	return linesView{Items: o.Items, TotalCents: o.TotalCents}
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

// view is what every page template gets: the layout reads the user and the
// problem, the page its own Data.
type view struct {
	Title   string
	User    *sesame.User
	Path    string
	Page    string // the template's name
	Problem *problem
	Data    any
	url     *url.URL // the request's, read only by the links that need it
}

// Current is the aria-current of a nav link to page: "page" on that page,
// "true" on one of the pages of its section, else "" (no attribute).
func (v view) Current(page string, section ...string) string {
	switch {
	case v.Page == page:
		return "page"
	case slices.Contains(section, v.Page):
		return "true"
	}
	return ""
}

// Older is the link to the page of a list that starts at cursor: this
// path, with the limit the request asked for, if it asked.
func (v view) Older(cursor string) string {
	q := url.Values{"cursor": {cursor}}
	if limit := v.url.Query().Get("limit"); limit != "" {
		q.Set("limit", limit)
	}
	return v.Path + "?" + q.Encode()
}

// render writes page name with status, for the request's actor.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, p *problem) {
	v := view{Title: title, User: sesame.ActorFrom(r.Context()).User, Path: r.URL.Path, Page: name, Problem: p, Data: data, url: r.URL}
	h.pages.write(w, r, h.log, status, name, v)
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
// in is sent to the login page, with the way back; everyone else gets the
// error page with the status the problem calls for.
func (h *Handler) pageError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	h.logProblem(r, p, err)
	if p.Status == http.StatusUnauthorized && sesame.ActorFrom(r.Context()).User == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	h.render(w, r, p.Status, "error", http.StatusText(p.Status), nil, &p)
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
