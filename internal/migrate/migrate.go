// Package migrate reads embedded, numbered SQL migrations and applies them
// to SQLite databases; package pgmigrate applies the same kind of files to
// PostgreSQL, under an advisory lock. Every store that owns tables (the app
// data, each session store) keeps its own list and its own version table, so
// that each is upgraded by the program that knows it.
package migrate

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// ErrTooNew refuses a database that a newer program has migrated: this one
// does not know its tables and must not write to them.
var ErrTooNew = errors.New("database schema is newer than this program")

// Migration is one numbered file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the files that pattern matches in fsys, named NNNN_what.sql,
// and checks that their numbers run 1, 2, 3… with no gap and no repeat.
func Load(fsys fs.FS, pattern string) ([]Migration, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || !strings.HasSuffix(base, ".sql") {
			return nil, fmt.Errorf("migration %s: name is not NNNN_what.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.Name, m.Version, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations match %s", pattern)
	}
	return ms, nil
}

// TooNew returns the error for a database at version v when this program
// knows migrations up to latest.
func TooNew(v, latest int) error {
	return fmt.Errorf("%w: the database is at version %d, this program knows up to %d: run a newer sesame",
		ErrTooNew, v, latest)
}
