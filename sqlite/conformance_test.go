package sqlite_test

import (
	"testing"

	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/datatest"
	"github.com/sesamehq/sesame/shop"
	"github.com/sesamehq/sesame/sqlite"
)

// *DB is the store of every service.
var (
	_ auth.Store     = (*sqlite.DB)(nil)
	_ account.Store  = (*sqlite.DB)(nil)
	_ shop.Store     = (*sqlite.DB)(nil)
	_ audit.Store    = (*sqlite.DB)(nil)
	_ datatest.Store = (*sqlite.DB)(nil)
)

// TestConformance runs the suite that every app data store passes, each
// case on a new file of its own.
func TestConformance(t *testing.T) {
	datatest.Run(t, func(t *testing.T) datatest.Store { return newDB(t) })
}
