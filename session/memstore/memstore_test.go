package memstore_test

import (
	"testing"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
	"github.com/sesamehq/sesame/session/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) session.Store { return memstore.New() })
}
