package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"testing/fstest"

	sqlite3 "modernc.org/sqlite/lib"
)

func TestEmbeddedMigrations(t *testing.T) {
	if migrationsErr != nil {
		t.Fatal(migrationsErr)
	}
	for i, m := range migrations {
		if m.version != i+1 || m.sql == "" {
			t.Errorf("migration %d: %+v", i, m)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	for _, tc := range []struct {
		name   string
		files  []string
		wantOK bool
	}{
		{"in order", []string{"0001_a.sql", "0002_b.sql"}, true},
		{"numbered without padding", []string{"2_b.sql", "10_j.sql", "1_a.sql", "3_c.sql", "4_d.sql",
			"5_e.sql", "6_f.sql", "7_g.sql", "8_h.sql", "9_i.sql"}, true},
		{"none", nil, false},
		{"a gap", []string{"0001_a.sql", "0003_c.sql"}, false},
		{"a repeat", []string{"0001_a.sql", "0001_b.sql"}, false},
		{"starts at 2", []string{"0002_b.sql"}, false},
		{"no number", []string{"0001_a.sql", "schema.sql"}, false},
		{"zero", []string{"0000_a.sql", "0001_b.sql"}, false},
	} {
		fsys := fstest.MapFS{}
		for _, f := range tc.files {
			fsys["migrations/"+f] = file
		}
		ms, err := loadMigrations(fsys)
		if (err == nil) != tc.wantOK {
			t.Errorf("%s: %d migrations, error %v", tc.name, len(ms), err)
		}
	}
}

// The database refuses what the code should already have refused, and the
// refusals are told apart by their code.
func TestConstraintCodes(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) error {
		_, err := db.db.ExecContext(context.Background(), q, args...)
		return err
	}
	if err := exec(`INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'a', 'h', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := exec(`INSERT INTO products (id, sku, name, price_cents, stock) VALUES (1, 's', 'n', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, sql string
		want      int
	}{
		{"username in another case", `INSERT INTO users (username, password_hash, created_at) VALUES ('A', 'h', 0)`,
			sqlite3.SQLITE_CONSTRAINT_UNIQUE},
		{"stock below zero", `UPDATE products SET stock = -1`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"stock above MaxStock", `UPDATE products SET stock = 1000001`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"negative price", `UPDATE products SET price_cents = -1`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"a text price", `UPDATE products SET price_cents = 'free'`, sqlite3.SQLITE_CONSTRAINT_DATATYPE},
		{"cart line of 101", `INSERT INTO cart_items VALUES (1, 1, 101)`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"cart line of 0", `INSERT INTO cart_items VALUES (1, 1, 0)`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"cart of nobody", `INSERT INTO cart_items VALUES (2, 1, 1)`, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY},
		{"unknown role", `INSERT INTO user_roles VALUES (1, 'wizard')`, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY},
		{"role in use", `INSERT INTO user_roles VALUES (1, 'admin'); DELETE FROM roles WHERE name = 'admin'`,
			sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY},
	} {
		if got := constraint(exec(tc.sql)); got != tc.want {
			t.Errorf("%s: constraint code %d, want %d", tc.name, got, tc.want)
		}
	}
	if isUniqueViolation(nil) || constraint(nil) != 0 {
		t.Error("nil is a constraint violation")
	}
}
