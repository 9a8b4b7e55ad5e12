package sesame

import (
	"strconv"
)

// Bounds of the Limit of a Paging.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Paging asks for one stretch of a list that is ordered newest first: at
// most Limit items, after Cursor. Cursor is opaque to clients: the next
// cursor of the stretch before, or "" for the first. (An HTML page is a
// page; a stretch of a list is not called one, so that the word keeps one
// meaning.)
type Paging struct {
	Limit  int
	Cursor string
}

// ParsePaging reads ?limit= and ?cursor= as given by a client. An empty
// limit means DefaultLimit; anything but 1..MaxLimit is refused.
func ParsePaging(limit, cursor string) (Paging, error) {
	p := Paging{Limit: DefaultLimit, Cursor: cursor}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return Paging{}, Invalid("limit", "must be a whole number from 1 to "+strconv.Itoa(MaxLimit))
		}
		p.Limit = n
	}
	return p, nil
}

// Bounded returns p with its limit within 1..MaxLimit, a zero or negative
// one meaning DefaultLimit. Services and stores apply it to pagings a front
// end may not have validated, so that a zero Paging asks for the start of
// the list at the default size and no caller can ask for an unbounded list.
func (p Paging) Bounded() Paging {
	switch {
	case p.Limit <= 0:
		p.Limit = DefaultLimit
	case p.Limit > MaxLimit:
		p.Limit = MaxLimit
	}
	return p
}

// AfterID decodes a cursor of a list keyed by descending integer ids: the
// stretch holds ids below the returned one. The start of the list has no
// bound and returns 0.
func (p Paging) AfterID() (int64, error) {
	if p.Cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(p.Cursor, 10, 64)
	if err != nil || id <= 0 {
		return 0, Invalid("cursor", "is not a cursor this list gave out")
	}
	return id, nil
}

// Cut trims items, fetched as p.Limit+1 so that one more tells whether more
// follow, to p.Limit and returns the cursor of what follows, or "" at the
// end of the list.
func Cut[T any](p Paging, items []T, id func(T) int64) ([]T, string) {
	if len(items) <= p.Limit {
		return items, ""
	}
	items = items[:p.Limit]
	return items, strconv.FormatInt(id(items[len(items)-1]), 10)
}
