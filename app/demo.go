package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/sesamehq/sesame"
)

// The demo accounts of CONTRACT §2. Their password is deliberately weak and
// public, which is why the server will not expose them beyond loopback.
const demoPassword = "password123"

var demoAccounts = []struct {
	username string
	roles    []string
}{
	{"authorized_user", []string{"customer", "privileged"}},
	{"unauthorized_user", []string{"customer"}},
}

// demoProducts is the demo catalogue; the last two are nearly sold out, so
// that short stock is easy to see.
func demoProducts() []sesame.Product {
	return []sesame.Product{
		{SKU: "SES-MUG-01", Name: "Sesame mug", Description: "Stoneware mug, 350 ml, with the open-door logo.", PriceCents: 1200, Stock: 25},
		{SKU: "SES-TEE-02", Name: "Open sesame T-shirt", Description: "Organic cotton, unisex fit.", PriceCents: 2200, Stock: 40},
		{SKU: "SES-KEY-03", Name: "Brass key ring", Description: "Solid brass, engraved by hand.", PriceCents: 900, Stock: 60},
		{SKU: "SES-NTB-04", Name: "Dot-grid notebook", Description: "A5, 120 pages, lies flat.", PriceCents: 1500, Stock: 30},
		{SKU: "SES-STK-05", Name: "Sticker sheet", Description: "Twelve vinyl stickers, weatherproof.", PriceCents: 450, Stock: 100},
		{SKU: "SES-LMP-06", Name: "Cave lantern", Description: "Rechargeable LED lantern, three brightness levels.", PriceCents: 4800, Stock: 3},
		{SKU: "SES-CHS-07", Name: "Treasure chest", Description: "Oak keepsake box with a working lock. Last ones.", PriceCents: 8900, Stock: 1},
	}
}

// seedDemo fills an empty database with the demo users and products and
// prints the admin's random password, once: it is stored only as a hash.
func (s *Server) seedDemo(ctx context.Context) error {
	var users []sesame.NewUser
	for _, a := range demoAccounts {
		hash, err := s.Params.Hash(demoPassword)
		if err != nil {
			return err
		}
		users = append(users, sesame.NewUser{Username: a.username, PasswordHash: hash, Roles: a.roles})
	}
	adminPassword := rand.Text()
	hash, err := s.Params.Hash(adminPassword)
	if err != nil {
		return err
	}
	users = append(users, sesame.NewUser{Username: "admin", PasswordHash: hash, Roles: []string{"admin"}})

	seeded, err := s.stores.Data.Seed(ctx, users, demoProducts(), s.Now())
	if err != nil || !seeded {
		return err
	}
	fmt.Fprintf(s.Stdout, "Demo data seeded. Sign in as authorized_user or unauthorized_user with password %q.\n"+
		"The admin password is %s (shown only this once).\n", demoPassword, adminPassword)
	s.Logger.Info("seeded demo data", "users", len(users), "products", len(demoProducts()))
	return nil
}

// demoPasswordInUse returns the name of a demo account that still has the
// demo password, or "".
func (s *Server) demoPasswordInUse(ctx context.Context) (string, error) {
	for _, a := range demoAccounts {
		u, err := s.stores.Data.UserByUsername(ctx, a.username)
		if errors.Is(err, sesame.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if ok, _, err := s.Params.Verify(u.PasswordHash, demoPassword); err == nil && ok {
			return a.username, nil
		}
	}
	return "", nil
}
