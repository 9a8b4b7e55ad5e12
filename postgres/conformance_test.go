package postgres_test

import (
	"testing"

	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/datatest"
	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/postgres"
	"github.com/sesamehq/sesame/shop"
)

// *DB is the store of every service.
var (
	_ auth.Store     = (*postgres.DB)(nil)
	_ account.Store  = (*postgres.DB)(nil)
	_ shop.Store     = (*postgres.DB)(nil)
	_ audit.Store    = (*postgres.DB)(nil)
	_ datatest.Store = (*postgres.DB)(nil)
)

// TestConformance runs the suite that every app data store passes, each
// case in a schema of its own on the server that SESAME_TEST_POSTGRES
// names.
func TestConformance(t *testing.T) {
	testenv.Lookup(t, testenv.PostgresVar) // skip once, not in every case
	datatest.Run(t, func(t *testing.T) datatest.Store { return newDB(t) })
}
