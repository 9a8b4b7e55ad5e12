package sesame

import "testing"

// FuzzParsePaging: whatever ?limit= and ?cursor= hold, parsing never
// panics, an accepted limit is within bounds, and a cursor is either
// refused or an id above zero.
func FuzzParsePaging(f *testing.F) {
	for _, seed := range [][2]string{{"", ""}, {"50", "10"}, {"0", "x"}, {"501", "-1"}, {"1e3", "9223372036854775808"}, {" 5", "00"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, limit, cursor string) {
		p, err := ParsePaging(limit, cursor)
		if err != nil {
			return
		}
		if p.Limit < 1 || p.Limit > MaxLimit {
			t.Fatalf("ParsePaging(%q) accepted limit %d", limit, p.Limit)
		}
		if id, err := p.AfterID(); err == nil && cursor != "" && id <= 0 {
			t.Fatalf("cursor %q gave id %d", cursor, id)
		}
	})
}
