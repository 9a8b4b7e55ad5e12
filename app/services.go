package app

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/clientip"
	"github.com/sesamehq/sesame/internal/secretbox"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/shop"
	"github.com/sesamehq/sesame/web"
)

// Services are the services of one instance over its stores: what the
// HTTP front end and the commands call.
type Services struct {
	Audit    *audit.Log
	Auth     *auth.Service
	Sessions *session.Manager
	Accounts *account.Service
	Shop     *shop.Service
}

// wiring is what the services are built from besides the stores.
type wiring struct {
	cfg      Config
	params   auth.Params
	logger   *slog.Logger
	now      func() time.Time
	clientIP func(*http.Request) string
	https    func(*http.Request) bool // nil: only a TLS connection is HTTPS
	observe  func(sesame.Event)       // told of every audit event; nil: nobody
	// serve says that the services serve requests, and so need the
	// secret key and the relying party of passkeys (the commands do not).
	serve bool
	// scheme and port are those the server is reached at, for the
	// default origin of passkeys.
	scheme, port string
}

// newServices builds the services over st. The session Manager gets its
// hooks here, explicitly: the audit trail hears of every session it ends by
// itself, and a session store outage is answered in the shape of the
// request's front end.
func newServices(st *Stores, w wiring) (*Services, error) {
	if w.clientIP == nil {
		w.clientIP = clientip.Remote
	}
	log, err := audit.New(audit.Config{Store: st.Data, Now: w.now, Logger: w.logger, Observe: w.observe})
	if err != nil {
		return nil, err
	}
	authSvc, err := auth.New(auth.Config{Store: st.Data, Audit: log, Params: w.params, Now: w.now, Logger: w.logger})
	if err != nil {
		return nil, err
	}
	sessions, err := session.New(session.Config{
		Store:               st.Sessions,
		IdleTimeout:         w.cfg.IdleTimeout,
		Lifetime:            w.cfg.Lifetime,
		RememberIdleTimeout: w.cfg.RememberIdle,
		RememberLifetime:    w.cfg.RememberLifetime,
		RenewInterval:       w.cfg.RenewInterval,
		RenewGrace:          w.cfg.RenewGrace,
		MaxSessions:         w.cfg.MaxSessions,
		ClientIP:            w.clientIP,
		HTTPS:               w.https,
		OnEnd:               account.RecordSessionEnd(log, w.clientIP),
		ErrorHandler:        web.SessionUnavailable(w.logger),
		Logger:              w.logger,
		Now:                 w.now,
	})
	if err != nil {
		return nil, err
	}
	var box *secretbox.Box
	var party *webauthn.WebAuthn
	if w.serve {
		logger := cmp.Or(w.logger, slog.Default())
		if box, err = openSecrets(w.cfg, logger); err != nil {
			return nil, err
		}
		if party, err = passkeyParty(w.cfg, w.scheme, w.port, logger); err != nil {
			return nil, err
		}
		if err := checkRequiredRoles(context.Background(), st.Data, w.cfg.RequireSecondFactor, box, party); err != nil {
			return nil, err
		}
	}
	accounts, err := account.New(account.Config{Sessions: sessions, Auth: authSvc, Audit: log, Users: st.Data,
		Now: w.now, Logger: w.logger, Secrets: box, WebAuthn: party, RequireSecondFactor: w.cfg.RequireSecondFactor})
	if err != nil {
		return nil, err
	}
	shopSvc, err := shop.New(shop.Config{Store: st.Data, Authorizer: authSvc, Audit: log, Now: w.now})
	if err != nil {
		return nil, err
	}
	return &Services{Audit: log, Auth: authSvc, Sessions: sessions, Accounts: accounts, Shop: shopSvc}, nil
}
