package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/migrate"
	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/postgres"
)

// instances opens n stores on one new schema, each over a pool of its
// own, as n processes on one database would be; they start at once, so
// the migration races too.
func instances(t *testing.T, n int) []*postgres.DB {
	t.Helper()
	url := testenv.Postgres(t)
	dbs := make([]*postgres.DB, n)
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Go(func() { dbs[i] = openDB(t, url, postgres.Options{}) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return dbs
}

// TestInstancesThrottle: login attempts spread over three instances count
// exactly as on one, however they interleave: an address limit of 20
// against 30 attempts at once lets 20 through, and a name limit of 5
// against 15 lets 5.
func TestInstancesThrottle(t *testing.T) {
	dbs := instances(t, 3)
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	refused := errors.New("refused")
	for _, tc := range []struct {
		name    string
		n, want int
		attempt func(i int) (string, string)
		allow   func(auth.Failures) error
	}{
		{"address", 30, 20, func(i int) (string, string) { return fmt.Sprintf("name%d", i), "203.0.113.1" },
			func(f auth.Failures) error {
				if f.IPFailures >= 20 {
					return refused
				}
				return nil
			}},
		{"name", 15, 5, func(i int) (string, string) { return "alice", fmt.Sprintf("198.51.100.%d", i) },
			func(f auth.Failures) error {
				if f.UserFailures >= 5 {
					return refused
				}
				return nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				allowed int
				start   = make(chan struct{})
			)
			for i := range tc.n {
				wg.Go(func() {
					<-start
					name, ip := tc.attempt(i)
					_, err := dbs[i%len(dbs)].BeginAttempt(t.Context(), name, ip, at, at.Add(-auth.IPWindow), tc.allow)
					if err != nil && !errors.Is(err, refused) {
						t.Errorf("BeginAttempt: %v", err)
					}
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						allowed++
					}
				})
			}
			close(start)
			wg.Wait()
			if allowed != tc.want {
				t.Errorf("%d of %d attempts over %d instances allowed; want exactly %d", allowed, tc.n, len(dbs), tc.want)
			}
		})
	}
}

// TestInstancesCheckout: checkouts racing on three instances never sell
// more than the stock, and one idempotency key used on all three at once
// places one order.
func TestInstancesCheckout(t *testing.T) {
	dbs := instances(t, 3)
	ctx := t.Context()
	const stock, buyers = 5, 12
	if ok, err := dbs[0].Seed(ctx, nil, []sesame.Product{{SKU: "LAST", Name: "Last ones", PriceCents: 500, Stock: stock}}, time.Now()); err != nil || !ok {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	ps, err := dbs[1].Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	users := make([]*sesame.User, buyers)
	for i := range users {
		if users[i], err = dbs[i%3].CreateUser(ctx, fmt.Sprintf("buyer%d", i), "h", []string{"customer", "privileged"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := dbs[(i+1)%3].AddToCart(ctx, users[i].ID, p.ID, 1); err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		placed, short int
		start         = make(chan struct{})
	)
	for i, u := range users {
		wg.Go(func() {
			<-start
			_, ok, err := dbs[i%3].Checkout(ctx, u.ID, "", time.Now())
			var se *sesame.StockError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && ok:
				placed++
			case errors.As(err, &se):
				short++
			default:
				t.Errorf("Checkout: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if placed != stock || short != buyers-stock {
		t.Errorf("%d placed, %d short; want %d and %d", placed, short, stock, buyers-stock)
	}
	if got, err := dbs[2].Product(ctx, p.ID); err != nil || got.Stock != 0 {
		t.Errorf("stock after the race: %+v, %v; want 0", got, err)
	}

	// One key, three instances, at once: one order, which each returns.
	if _, err := dbs[0].Restock(ctx, p.ID, 10); err != nil {
		t.Fatal(err)
	}
	u := users[0] // whose checkout may have been short, leaving the line
	if _, err := dbs[0].SetCartQuantity(ctx, u.ID, p.ID, 2); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, 6)
	start = make(chan struct{})
	for i := range ids {
		wg.Go(func() {
			<-start
			o, _, err := dbs[i%3].Checkout(ctx, u.ID, "key-1", time.Now())
			if err != nil {
				t.Errorf("Checkout with a key: %v", err)
				return
			}
			ids[i] = o.ID
		})
	}
	close(start)
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Errorf("one key placed orders %v; want one order", ids)
			break
		}
	}
	if got, err := dbs[1].Product(ctx, p.ID); err != nil || got.Stock != 8 {
		t.Errorf("stock after one keyed order of 2: %+v, %v; want 8", got, err)
	}
}

// TestInstancesUsernames: one name in two cases, created on two instances
// at once, is one user.
func TestInstancesUsernames(t *testing.T) {
	dbs := instances(t, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"Carol", "cAROL"} {
		wg.Go(func() { _, errs[i] = dbs[i].CreateUser(t.Context(), name, "h", nil, time.Now()) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), sesame.ErrConflict) {
		t.Errorf("CreateUser of Carol and cAROL at once: %v; want one created and one conflict", errs)
	}
}

// TestTooNew: a schema that a newer sesame has migrated is refused, not
// written to.
func TestTooNew(t *testing.T) {
	url := testenv.Postgres(t)
	db := openDB(t, url, postgres.Options{})
	if _, err := db.Pool().Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != 99 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	if _, err := postgres.Open(t.Context(), smallPool(t, url), postgres.Options{}); !errors.Is(err, migrate.ErrTooNew) {
		t.Fatalf("Open on a newer schema: %v, want migrate.ErrTooNew", err)
	}
}

// TestMigrate: Migrate on an up-to-date schema changes nothing and says
// the version this program knows.
func TestMigrate(t *testing.T) {
	db := newDB(t)
	for range 2 {
		if v, err := db.Migrate(t.Context()); err != nil || v != postgres.LatestVersion() {
			t.Fatalf("Migrate = %d, %v; want %d", v, err, postgres.LatestVersion())
		}
	}
}

// TestCheckoutKeepsLinesAddedMeanwhile: a line added to the cart while a
// checkout of it waits for a lock is not part of the order, and stays in
// the cart: the checkout empties only the lines it sold.
func TestCheckoutKeepsLinesAddedMeanwhile(t *testing.T) {
	db := newDB(t)
	ctx := t.Context()
	if ok, err := db.Seed(ctx, nil, []sesame.Product{
		{SKU: "A", Name: "A", PriceCents: 100, Stock: 5}, {SKU: "B", Name: "B", PriceCents: 200, Stock: 5},
	}, time.Now()); err != nil || !ok {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	ps, err := db.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, b := ps[0], ps[1]
	u, err := db.CreateUser(ctx, "dora", "h", []string{"customer", "privileged"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddToCart(ctx, u.ID, a.ID, 1); err != nil {
		t.Fatal(err)
	}
	// Another transaction holds product a, as a restock or another
	// checkout would: the checkout waits for it, having read the cart.
	blocker, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(ctx)
	var blockerPID int
	if err := blocker.QueryRow(ctx, `SELECT pg_backend_pid() FROM products WHERE id = $1 FOR UPDATE`, a.ID).Scan(&blockerPID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var order *sesame.Order
	go func() {
		var err error
		order, _, err = db.Checkout(ctx, u.ID, "", time.Now())
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting bool
		if err := db.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)))`,
			blockerPID).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the checkout never waited for the lock")
		}
	}
	if err := db.AddToCart(ctx, u.ID, b.ID, 1); err != nil {
		t.Fatalf("AddToCart during the checkout: %v", err)
	}
	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	if len(order.Items) != 1 || order.Items[0].ProductID != a.ID {
		t.Errorf("order %+v; want product a alone", order.Items)
	}
	cart, err := db.Cart(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cart.Items) != 1 || cart.Items[0].ProductID != b.ID || cart.Items[0].Quantity != 1 {
		t.Errorf("cart after the checkout: %+v; want the line of b added meanwhile", cart.Items)
	}
}
