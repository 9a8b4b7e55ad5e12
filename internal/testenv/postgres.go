package testenv

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// setupTimeout bounds each call a helper makes to a server, so that a
// server that accepts connections but never answers fails the test with a
// message rather than hanging it.
const setupTimeout = 10 * time.Second

// Postgres returns the URL of a new, empty schema in the database that
// PostgresVar names, or stops t through Unavailable. The URL is the
// variable's with search_path set to the schema, so that every connection
// opened from it (pgxpool.New, database/sql with pgx's stdlib driver)
// creates and finds unqualified tables there. The schema is dropped, with
// all it holds, when t ends: close the pools opened on it in a t.Cleanup
// registered after this call, so that they are closed first.
func Postgres(t testing.TB) string {
	t.Helper()
	base := Lookup(t, PostgresVar)
	schema := randomName("sesame_test_")
	if err := postgresExec(base, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("%s: create a test schema: %v", PostgresVar, err)
	}
	t.Cleanup(func() {
		if err := postgresExec(base, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("%s: drop test schema %s: %v", PostgresVar, schema, err)
		}
	})
	u, err := WithSearchPath(base, schema)
	if err != nil {
		t.Fatalf("%s: %v", PostgresVar, err)
	}
	return u
}

// postgresExec runs one statement on a connection of its own. Cleanups
// run after t.Context is cancelled, so it makes its own context.
func postgresExec(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// WithSearchPath returns the connection string dsn, a URL or a list of
// keyword=value settings, with search_path set to schema. PostgreSQL
// clients such as pgx send settings they do not know themselves to the
// server at connection time, so every connection made from the result
// starts in schema.
func WithSearchPath(dsn, schema string) (string, error) {
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err // url's errors quote the input with its password redacted
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
