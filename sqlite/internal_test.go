package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"
)

func TestEmbeddedMigrations(t *testing.T) {
	if migrationsErr != nil {
		t.Fatal(migrationsErr)
	}
	for i, m := range migrations {
		if m.Version != i+1 || m.SQL == "" {
			t.Errorf("migration %d: %+v", i, m)
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
		{"a product without a SKU", `INSERT INTO products (sku, name, price_cents, stock) VALUES ('', 'n', 1, 1)`,
			sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"a product without a name", `UPDATE products SET name = ''`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"a SKU twice", `INSERT INTO products (sku, name, price_cents, stock) VALUES ('s', 'm', 1, 1)`,
			sqlite3.SQLITE_CONSTRAINT_UNIQUE},
		{"stock below zero", `UPDATE products SET stock = -1`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"stock above MaxStock", `UPDATE products SET stock = 1000001`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"negative price", `UPDATE products SET price_cents = -1`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"a text price", `UPDATE products SET price_cents = 'free'`, sqlite3.SQLITE_CONSTRAINT_DATATYPE},
		{"disabled neither 0 nor 1", `UPDATE users SET disabled = 2`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"cart line of 101", `INSERT INTO cart_items VALUES (1, 1, 101)`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"cart line of 0", `INSERT INTO cart_items VALUES (1, 1, 0)`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"cart of nobody", `INSERT INTO cart_items VALUES (2, 1, 1)`, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY},
		{"unknown role", `INSERT INTO user_roles VALUES (1, 'wizard')`, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY},
		{"role in use", `INSERT INTO user_roles VALUES (1, 'admin'); DELETE FROM roles WHERE name = 'admin'`,
			sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY},
		{"passkey of nobody", `INSERT INTO passkeys (user_id, credential_id, name, credential, created_at)
			VALUES (2, x'01', 'n', x'02', 0)`, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY},
		{"empty credential id", `INSERT INTO passkeys (user_id, credential_id, name, credential, created_at)
			VALUES (1, x'', 'n', x'02', 0)`, sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"credential id twice", `INSERT INTO passkeys (user_id, credential_id, name, credential, created_at)
			VALUES (1, x'0a', 'n', x'02', 0), (1, x'0a', 'm', x'03', 0)`, sqlite3.SQLITE_CONSTRAINT_UNIQUE},
		{"text credential", `INSERT INTO passkeys (user_id, credential_id, name, credential, created_at)
			VALUES (1, x'0b', 'n', 'key', 0)`, sqlite3.SQLITE_CONSTRAINT_DATATYPE},
		{"ceremony of no purpose", `INSERT INTO webauthn_ceremonies VALUES ('h', NULL, 'login', x'00', 0)`,
			sqlite3.SQLITE_CONSTRAINT_CHECK},
		{"ceremony of nobody", `INSERT INTO webauthn_ceremonies VALUES ('h', 2, 'sign_in', x'00', 0)`,
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
