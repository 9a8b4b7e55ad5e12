package shop

import (
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed products.html
var productsHTML string

// page renders sesame's products page byte for byte (web/templates), with
// the same money and count formats, so that every target sends the same body.
var page = template.Must(template.New("products").Parse(productsHTML))

func money(cents int64) string { return "$" + Grouped(cents/100) + fmt.Sprintf(".%02d", cents%100) }

// Grouped writes a non-negative n with its thousands grouped: "1,000".
func Grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// productRow is a product as sesame's product list shows it, formatted in
// Go before the template runs, as sesame does.
type productRow struct {
	ID                      int64
	SKU, Name, Description  string
	Price, Stock, StockNote string
	SoldOut                 bool
	Max                     int64
}

// ServeProducts answers the products page for the user userID, named user.
// Like sesame it counts the user's cart for the header and renders into a
// buffer first, so a failure never sends half a page.
func ServeProducts(w http.ResponseWriter, r *http.Request, db *sql.DB, userID int64, user string, privileged bool) {
	ps, err := List(r.Context(), db)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	lines, err := Cart(r.Context(), db, userID)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var units int64
	for _, l := range lines {
		units += l.Quantity
	}
	count := ""
	if units > 0 {
		count = Grouped(units)
	}
	rows := make([]productRow, len(ps))
	for i, p := range ps {
		rows[i] = productRow{ID: p.ID, SKU: p.SKU, Name: p.Name, Description: p.Description,
			Price: money(p.PriceCents), Stock: Grouped(p.Stock), Max: min(max(p.Stock, 1), 100)}
		switch {
		case p.Stock <= 0:
			rows[i].StockNote, rows[i].SoldOut = "sold out", true
		case p.Stock <= 3:
			rows[i].StockNote = "only " + strconv.FormatInt(p.Stock, 10) + " left"
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, struct {
		User, CartCount string
		Privileged      bool
		Products        []productRow
	}{user, count, privileged, rows}); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// The JSON shape of sesame's GET /api/v1/cart (CONTRACT §5).
type lineJSON struct {
	ProductID      int64  `json:"product_id"`
	Name           string `json:"name"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	LineTotalCents int64  `json:"line_total_cents"`
}

type cartJSON struct {
	Items      []lineJSON `json:"items"`
	TotalCents int64      `json:"total_cents"`
}

// ServeCart answers the cart of userID as sesame's API does.
func ServeCart(w http.ResponseWriter, r *http.Request, db *sql.DB, userID int64) {
	lines, err := Cart(r.Context(), db, userID)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	out := cartJSON{Items: make([]lineJSON, len(lines))}
	for i, l := range lines {
		out.Items[i] = lineJSON{l.ProductID, l.Name, l.Quantity, l.UnitPriceCents, l.Quantity * l.UnitPriceCents}
		out.TotalCents += l.Quantity * l.UnitPriceCents
	}
	writeJSON(w, http.StatusOK, out)
}

// ServeSetQuantity is PUT /api/v1/cart/items/{product_id} {"quantity"} for
// userID: the same checks as sesame (JSON only, at most 64 KiB, no unknown
// fields, quantity 0 to 100), the same write, and the cart as the answer.
func ServeSetQuantity(w http.ResponseWriter, r *http.Request, db *sql.DB, userID int64) {
	id, err := strconv.ParseInt(r.PathValue("product_id"), 10, 64)
	if err != nil || id < 1 {
		WriteError(w, http.StatusBadRequest, "bad_request", "product_id must be a positive integer")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		WriteError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json")
		return
	}
	var in struct {
		Quantity *int64 `json:"quantity"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Quantity == nil || *in.Quantity < 0 || *in.Quantity > 100 {
		WriteError(w, http.StatusBadRequest, "bad_request", "quantity must be from 0 to 100")
		return
	}
	switch err := SetQuantity(r.Context(), db, userID, id, *in.Quantity); {
	case errors.Is(err, ErrNotFound):
		WriteError(w, http.StatusNotFound, "not_found", "no such product")
		return
	case err != nil:
		WriteError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	ServeCart(w, r, db, userID)
}

// WriteError answers sesame's error shape {"error":{"code","message"}}.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// writeJSON encodes v as sesame's writeJSON does (one json.Encoder line).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Headers sets the headers sesame sends with every answer (web/middleware.go
// SecurityHeaders), so that the answers are the same size and the header
// work is paid by every Go target alike.
func Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

type userKey struct{}

// Identify tells the request log who the request was for.
func Identify(ctx context.Context, userID int64) {
	if p, ok := ctx.Value(userKey{}).(*int64); ok {
		*p = userID
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Log writes one line per request, with the fields sesame logs (method,
// path, status, duration, client address, user), through the same slog text
// handler. sesame must log every request (CONTRACT §7), and the first peers
// logged nothing, so that cost was billed to sesame's sessions.
func Log(log *slog.Logger, next http.Handler) http.Handler {
	if log == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var user int64
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), userKey{}, &user)))
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start), "ip", ip}
		if user != 0 {
			attrs = append(attrs, "user", user)
		}
		log.InfoContext(r.Context(), "request", attrs...)
	})
}
