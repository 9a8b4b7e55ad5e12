package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesamehq/sesame/app"
	"github.com/sesamehq/sesame/internal/testenv"
)

// These tests race requests against each other through the whole handler
// on each kind of real store, and check the outcome against what some
// serial order of the same requests would give: nothing lost, nothing
// written that was not acknowledged. They are meant for -race (CI runs
// them so), and check outcomes, never timings.

// storeSetup is a choice of --db and --sessions for newApp.
type storeSetup struct {
	name   string
	change func(t *testing.T) func(*app.Config)
}

// pgApp puts the app data, and the sessions with them, in a PostgreSQL
// schema of the test's own.
func pgApp(t *testing.T) func(*app.Config) {
	dsn := testenv.Postgres(t) + "&pool_max_conns=8&pool_min_idle_conns=0"
	return func(c *app.Config) { c.DB = dsn }
}

var storeSetups = []storeSetup{
	{"SQLite", func(*testing.T) func(*app.Config) { return func(*app.Config) {} }},
	{"PostgreSQL", pgApp},
	{"PostgreSQL, sessions in Redis", func(t *testing.T) func(*app.Config) {
		pg := pgApp(t)
		url, prefix := testenv.Redis(t)
		return func(c *app.Config) { pg(c); c.Sessions = url + "?prefix=" + prefix }
	}},
}

// eachStore runs test once per store setup, each on a new app.
func eachStore(t *testing.T, test func(t *testing.T, a *testApp)) {
	for _, s := range storeSetups {
		t.Run(s.name, func(t *testing.T) {
			a := newApp(t, s.change(t))
			// Redis expires keys by its own clock, so the sessions'
			// deadlines must be in its future: the clock is moved to now.
			a.clock.Advance(time.Since(a.clock.Now()))
			test(t, a)
		})
	}
}

// answer is what a goroutine keeps of a response: t.Fatal may not be
// called off the test's goroutine, so the checks happen after the race.
type answer struct {
	status int
	body   []byte
}

func send(c *client, method, path string, v any) answer {
	var res *http.Response
	if f, ok := v.(url.Values); ok {
		res = c.postForm(path, f)
	} else {
		res = c.json(method, path, v)
	}
	var a answer
	a.status = res.StatusCode
	a.body = []byte(body(res))
	return a
}

// TestCartRacedBySessions: one user in five sessions edits one cart at
// once, through the API and the pages. Adds commute, so the mug and the
// tee must end at the sum of every acknowledged add; the lantern is set by
// every session to values its own only, so it must end at the last value
// one of them set (the last write of some serial order), never a mix.
func TestCartRacedBySessions(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, a *testApp) {
		const sessions, rounds = 5, 12
		cs := make([]*client, sessions)
		for i := range cs {
			cs[i] = a.authorized()
		}
		mug, tee, lantern := productID(t, cs[0], skuMug), productID(t, cs[0], skuTee), productID(t, cs[0], skuLantern)
		answers := make([][]answer, sessions)
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Go(func() {
				for j := range rounds {
					answers[i] = append(answers[i],
						send(c, "POST", "/api/v1/cart/items", map[string]any{"product_id": mug, "quantity": 1}),
						send(c, "POST", "/cart/items", url.Values{"product_id": {itoa64(tee)}}),
						send(c, "PUT", "/api/v1/cart/items/"+itoa64(lantern), map[string]any{"quantity": i*rounds + j + 1}))
				}
			})
		}
		wg.Wait()
		var mugs, tees int64
		lasts := []int64{}
		for i, as := range answers {
			for k, an := range as {
				want := []int{http.StatusOK, http.StatusSeeOther, http.StatusOK}[k%3]
				switch {
				case an.status != want:
					t.Errorf("session %d, request %d: %d %.200s", i, k, an.status, an.body)
				case k%3 == 0:
					mugs++
				case k%3 == 1:
					tees++
				}
			}
			lasts = append(lasts, int64((i+1)*rounds))
		}
		got := cartQuantities(t, cs[0])
		if got[mug] != mugs || got[tee] != tees || mugs != sessions*rounds || tees != sessions*rounds {
			t.Errorf("mugs %d, tees %d in the cart; %d and %d adds acknowledged of %d each", got[mug], got[tee], mugs, tees, sessions*rounds)
		}
		if !slices.Contains(lasts, got[lantern]) {
			t.Errorf("lantern quantity %d: not the last value of any session (%v)", got[lantern], lasts)
		}
	})
}

// TestRevokeWhileInFlight: requests keep arriving on a session while
// another session of the user revokes it. Every request that began after
// the revocation was acknowledged is refused (401) and changes nothing;
// the cart holds exactly the adds that were acknowledged.
func TestRevokeWhileInFlight(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, a *testApp) {
		victim, other := a.authorized(), a.authorized()
		mug := productID(t, victim, skuMug)
		var id string
		for _, s := range apiGet(t, victim, "/api/v1/sessions")["sessions"].([]any) {
			if s := s.(map[string]any); s["current"] == true {
				id = s["id"].(string)
			}
		}
		var revoked atomic.Bool
		var acked atomic.Int64 // adds acknowledged
		const workers, afterRevoke = 4, 5
		late := make([][]answer, workers) // the answers to requests begun after the revocation
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for len(late[w]) < afterRevoke {
					after := revoked.Load()
					an := send(victim, "POST", "/api/v1/cart/items", map[string]any{"product_id": mug, "quantity": 1})
					switch {
					case after:
						late[w] = append(late[w], an)
					case an.status == http.StatusOK:
						acked.Add(1)
					}
					// Past the cart's limit, adds are refused (400);
					// the revocation comes well before.
				}
			})
		}
		for acked.Load() < 10 {
			// Let some requests through first, so that the revocation
			// lands among requests in flight.
			if send(other, "GET", "/api/v1/me", nil).status != http.StatusOK {
				t.Fatal("the other session is not signed in")
			}
		}
		if an := send(other, "DELETE", "/api/v1/sessions/"+id, nil); an.status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", an.status, an.body)
		}
		revoked.Store(true)
		wg.Wait()
		for w, as := range late {
			for _, an := range as {
				if an.status != http.StatusUnauthorized {
					t.Errorf("worker %d: a request begun after the revocation answered %d: %.200s", w, an.status, an.body)
				}
			}
		}
		if got := cartQuantities(t, other)[mug]; got != acked.Load() {
			t.Errorf("%d mugs in the cart, %d adds acknowledged", got, acked.Load())
		}
	})
}

// TestCheckoutRacesRestock: buyers check out the lantern (3 in stock)
// while two keepers restock it. Stock never shows below zero, and at the
// end stock = initial + acknowledged restocks − the quantities of the
// acknowledged orders, which are exactly the orders the buyers can list.
func TestCheckoutRacesRestock(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, a *testApp) {
		keepers := []*client{a.authorized(), a.authorized()}
		lantern := productID(t, keepers[0], skuLantern)
		initial := stockOf(t, keepers[0], lantern)
		buyers := apiBuyers(t, a, 6)
		const rounds = 6
		sold := make([]int64, len(buyers))
		restocked := make([]int64, len(keepers))
		var wg sync.WaitGroup
		var bad sync.Map // what went wrong, off the test's goroutine
		for i, b := range buyers {
			wg.Go(func() {
				for range rounds {
					if an := send(b, "POST", "/api/v1/cart/items", map[string]any{"product_id": lantern, "quantity": 1}); an.status != http.StatusOK {
						bad.Store(fmt.Sprintf("buyer %d add: %d %s", i, an.status, an.body), true)
						return
					}
					an := send(b, "POST", "/api/v1/checkout", nil)
					switch an.status {
					case http.StatusCreated:
						sold[i] += lanternsIn(an.body, lantern)
					case http.StatusConflict: // short stock: the cart stays for the next round
					default:
						bad.Store(fmt.Sprintf("buyer %d checkout: %d %s", i, an.status, an.body), true)
					}
				}
			})
		}
		for k, c := range keepers {
			wg.Go(func() {
				for j := range rounds {
					q := j%3 + 1
					an := send(c, "POST", "/api/v1/task", map[string]any{"product_id": lantern, "quantity": q})
					if an.status != http.StatusOK {
						bad.Store(fmt.Sprintf("keeper %d restock: %d %s", k, an.status, an.body), true)
						continue
					}
					restocked[k] += int64(q)
					var p struct{ Stock int64 }
					if err := json.Unmarshal(an.body, &p); err != nil || p.Stock < 0 {
						bad.Store(fmt.Sprintf("restock answered %s", an.body), true)
					}
				}
			})
		}
		wg.Wait()
		bad.Range(func(k, _ any) bool { t.Error(k); return true })
		var totalSold, totalRestocked, listed int64
		for i, b := range buyers {
			totalSold += sold[i]
			for _, o := range apiGet(t, b, "/api/v1/orders?limit=500")["orders"].([]any) {
				raw, _ := json.Marshal(map[string]any{"order": o})
				listed += lanternsIn(raw, lantern)
			}
		}
		for _, r := range restocked {
			totalRestocked += r
		}
		if got := stockOf(t, keepers[0], lantern); got != initial+totalRestocked-totalSold || got < 0 {
			t.Errorf("stock %d; initial %d + restocked %d − sold %d = %d", got, initial, totalRestocked, totalSold, initial+totalRestocked-totalSold)
		}
		if listed != totalSold {
			t.Errorf("the buyers' orders hold %d lanterns, the acknowledged checkouts %d", listed, totalSold)
		}
		if totalSold == 0 {
			t.Error("nothing sold: the race never happened")
		}
	})
}

// lanternsIn returns the quantity of product in the order of a checkout
// answer ({"order":{…,"items":[…]}}), 0 when it is not one.
func lanternsIn(body []byte, product int64) int64 {
	var v struct {
		Order struct {
			Items []struct {
				ProductID int64 `json:"product_id"`
				Quantity  int64
			}
		}
	}
	if json.Unmarshal(body, &v) != nil {
		return 0
	}
	var n int64
	for _, l := range v.Order.Items {
		if l.ProductID == product {
			n += l.Quantity
		}
	}
	return n
}

// apiBuyers creates n users who may check out through the admin API, so
// that it works on every store, and signs each in.
func apiBuyers(t *testing.T, a *testApp, n int) []*client {
	t.Helper()
	admin := a.admin()
	cs := make([]*client, n)
	for i := range cs {
		name := "racer" + strconv.Itoa(i)
		expectJSON(t, admin.json("POST", "/api/v1/admin/users",
			map[string]any{"username": name, "password": "racing-past-" + name, "roles": []string{"customer", "privileged"}}), http.StatusCreated)
		cs[i] = a.login(name, "racing-past-"+name)
	}
	return cs
}
