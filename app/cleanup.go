package app

import (
	"context"
	"time"
)

// cleanup sweeps every cleanupInterval until ctx is done.
func (s *Server) cleanup(ctx context.Context) {
	t := time.NewTicker(cleanupInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweep(ctx)
		}
	}
}

// sweep removes the sessions that are dead (their expiry is audited on the
// way), the login failures that no longer count, the pending sign-ins and
// passkey ceremonies never finished, and the audit events older than the
// retention, so that no store grows without bound. A failure is
// logged and left for the next sweep: nothing depends on it but the
// stores' size.
func (s *Server) sweep(ctx context.Context) {
	if n, err := s.services.Sessions.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
		s.Logger.Error("session cleanup failed", "err", err)
	} else if n > 0 {
		s.Logger.Info("session cleanup", "deleted", n)
	}
	if n, err := s.services.Auth.PruneLoginFailures(ctx); err != nil && ctx.Err() == nil {
		s.Logger.Error("login throttle cleanup failed", "err", err)
	} else if n > 0 {
		s.Logger.Info("login throttle cleanup", "forgotten", n)
	}
	if n, err := s.services.Accounts.PrunePendingSignIns(ctx); err != nil && ctx.Err() == nil {
		s.Logger.Error("pending sign-in cleanup failed", "err", err)
	} else if n > 0 {
		s.Logger.Info("pending sign-in cleanup", "deleted", n)
	}
	if n, err := s.services.Accounts.PruneCeremonies(ctx); err != nil && ctx.Err() == nil {
		s.Logger.Error("passkey ceremony cleanup failed", "err", err)
	} else if n > 0 {
		s.Logger.Info("passkey ceremony cleanup", "deleted", n)
	}
	if n, err := s.services.Audit.Prune(ctx, s.Config.AuditRetention); err != nil && ctx.Err() == nil {
		s.Logger.Error("audit retention cleanup failed", "err", err)
	} else if n > 0 {
		s.Logger.Info("audit retention cleanup", "removed", n, "retention", s.Config.AuditRetention)
	}
}
