package sesame

import (
	"errors"
	"slices"
	"testing"
)

func TestPagingBounded(t *testing.T) {
	for _, tt := range []struct{ limit, want int }{
		{-1, DefaultLimit}, {0, DefaultLimit}, {1, 1}, {MaxLimit, MaxLimit}, {MaxLimit + 1, MaxLimit},
	} {
		p := Paging{Limit: tt.limit, Cursor: "c"}.Bounded()
		if p.Limit != tt.want || p.Cursor != "c" {
			t.Errorf("Paging{Limit: %d}.Bounded() = %+v, want limit %d and the cursor kept", tt.limit, p, tt.want)
		}
	}
}

func TestParsePaging(t *testing.T) {
	for _, tt := range []struct {
		limit string
		want  int
		ok    bool
	}{
		{"", DefaultLimit, true}, {"1", 1, true}, {"500", 500, true},
		{"0", 0, false}, {"501", 0, false}, {"-1", 0, false}, {"abc", 0, false}, {"1.5", 0, false},
	} {
		p, err := ParsePaging(tt.limit, "")
		if (err == nil) != tt.ok || tt.ok && p.Limit != tt.want {
			t.Errorf("ParsePaging(%q) = %+v, %v; want limit %d, ok %v", tt.limit, p, err, tt.want, tt.ok)
		}
	}
}

func TestPagingAfterID(t *testing.T) {
	for _, tt := range []struct {
		cursor string
		want   int64
		ok     bool
	}{
		{"", 0, true}, {"1", 1, true}, {"9223372036854775807", 9223372036854775807, true},
		{"0", 0, false}, {"-3", 0, false}, {"x", 0, false}, {"1.5", 0, false}, {" 1", 0, false},
		{"9223372036854775808", 0, false},
	} {
		id, err := Paging{Cursor: tt.cursor}.AfterID()
		var inv *InvalidError
		if tt.ok && (err != nil || id != tt.want) || !tt.ok && !(errors.As(err, &inv) && inv.Fields["cursor"] != "") {
			t.Errorf("AfterID(%q) = %d, %v; want %d, ok %v", tt.cursor, id, err, tt.want, tt.ok)
		}
	}
}

func TestCut(t *testing.T) {
	id := func(n int) int64 { return int64(n) }
	for _, tt := range []struct {
		limit int
		items []int
		want  []int
		next  string
	}{
		{3, []int{9, 8, 7, 6}, []int{9, 8, 7}, "7"}, // one more than the limit: more follow
		{3, []int{9, 8, 7}, []int{9, 8, 7}, ""},     // exactly the limit: the end
		{3, []int{9}, []int{9}, ""},
		{3, []int{}, []int{}, ""},
	} {
		got, next := Cut(Paging{Limit: tt.limit}, tt.items, id)
		if !slices.Equal(got, tt.want) || next != tt.next || got == nil {
			t.Errorf("Cut(%d, %v) = %v, %q; want %v, %q", tt.limit, tt.items, got, next, tt.want, tt.next)
		}
	}
}
