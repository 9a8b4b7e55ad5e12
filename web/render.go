package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
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
	"money": func(cents int64) string {
		sign := ""
		if cents < 0 {
			sign, cents = "-", -cents
		}
		return fmt.Sprintf("%s$%d.%02d", sign, cents/100, cents%100)
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"isoTime":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"describe":  describe,
	"hasPrefix": strings.HasPrefix,
}

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
	Problem *problem
	Data    any
}

// render writes page name with status. It renders into a buffer first, so
// that a template failure becomes a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, p *problem) {
	t, ok := h.pages.byName[name]
	if !ok {
		panic("web: no template " + name) // a programming error, caught by recoverPanics
	}
	v := view{Title: title, User: sesame.ActorFrom(r.Context()).User, Path: r.URL.Path, Problem: p, Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.log.ErrorContext(r.Context(), "render", "page", name, "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if p != nil {
		setRetryAfter(w, *p)
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
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
	http.ServeFileFS(w, r, sub, name)
}
