package sesame

import "testing"

func TestPageBounded(t *testing.T) {
	for _, tt := range []struct{ limit, want int }{
		{-1, DefaultLimit}, {0, DefaultLimit}, {1, 1}, {MaxLimit, MaxLimit}, {MaxLimit + 1, MaxLimit},
	} {
		p := Page{Limit: tt.limit, Cursor: "c"}.Bounded()
		if p.Limit != tt.want || p.Cursor != "c" {
			t.Errorf("Page{Limit: %d}.Bounded() = %+v, want limit %d and the cursor kept", tt.limit, p, tt.want)
		}
	}
}

func TestParsePage(t *testing.T) {
	for _, tt := range []struct {
		limit string
		want  int
		ok    bool
	}{
		{"", DefaultLimit, true}, {"1", 1, true}, {"500", 500, true},
		{"0", 0, false}, {"501", 0, false}, {"-1", 0, false}, {"abc", 0, false}, {"1.5", 0, false},
	} {
		p, err := ParsePage(tt.limit, "")
		if (err == nil) != tt.ok || tt.ok && p.Limit != tt.want {
			t.Errorf("ParsePage(%q) = %+v, %v; want limit %d, ok %v", tt.limit, p, err, tt.want, tt.ok)
		}
	}
}
