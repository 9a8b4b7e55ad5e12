package sesame

import (
	"strconv"
)

// Bounds of a page of a list.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Page asks for one page of a list that is ordered newest first. Cursor is
// opaque to clients: the NextCursor of the previous page, or "" for the first.
type Page struct {
	Limit  int
	Cursor string
}

// ParsePage reads ?limit= and ?cursor= as given by a client. An empty limit
// means DefaultLimit; anything but 1..MaxLimit is refused.
func ParsePage(limit, cursor string) (Page, error) {
	p := Page{Limit: DefaultLimit, Cursor: cursor}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return Page{}, Invalid("limit", "must be a whole number from 1 to "+strconv.Itoa(MaxLimit))
		}
		p.Limit = n
	}
	return p, nil
}

// Bounded returns p with its limit within 1..MaxLimit, a zero or negative
// one meaning DefaultLimit. Services and stores apply it to pages a front
// end may not have validated, so that a zero Page is the first page of the
// default size and no caller can ask for an unbounded list.
func (p Page) Bounded() Page {
	switch {
	case p.Limit <= 0:
		p.Limit = DefaultLimit
	case p.Limit > MaxLimit:
		p.Limit = MaxLimit
	}
	return p
}

// AfterID decodes a cursor of a list keyed by descending integer ids: the
// page holds ids below the returned one. The first page has no bound and
// returns 0.
func (p Page) AfterID() (int64, error) {
	if p.Cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(p.Cursor, 10, 64)
	if err != nil || id <= 0 {
		return 0, Invalid("cursor", "is not a cursor this list gave out")
	}
	return id, nil
}

// Cut trims items, fetched as p.Limit+1 so that one more tells whether a
// next page exists, to the page and returns the cursor of the next page, or ""
// on the last page.
func Cut[T any](p Page, items []T, id func(T) int64) ([]T, string) {
	if len(items) <= p.Limit {
		return items, ""
	}
	items = items[:p.Limit]
	return items, strconv.FormatInt(id(items[len(items)-1]), 10)
}
