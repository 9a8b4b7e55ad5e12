package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/session"
)

// SessionInfo is a session as the lists show it.
type SessionInfo struct {
	session.Session
	// Current marks the session of the request that asked.
	Current bool
	// Username is the name of the session's user, as the session recorded
	// it at sign-in.
	Username string
}

// Sessions returns the signed-in user's live sessions, newest first, the
// request's own marked, and the cursor of what follows ("" at the end).
func (s *Service) Sessions(ctx context.Context, p sesame.Paging) ([]SessionInfo, string, error) {
	u, err := signedIn(ctx)
	if err != nil {
		return nil, "", err
	}
	return s.list(ctx, sessionUser(u.ID), p)
}

// AllSessions returns every live session, or with userID not zero that
// user's, newest first, for an admin (or an operator).
func (s *Service) AllSessions(ctx context.Context, userID int64, p sesame.Paging) ([]SessionInfo, string, error) {
	if err := s.auth.Authorize(ctx, sesame.PermAdmin); err != nil {
		return nil, "", err
	}
	var user string
	if userID != 0 {
		user = sessionUser(userID)
	}
	return s.list(ctx, user, p)
}

func (s *Service) list(ctx context.Context, user string, p sesame.Paging) ([]SessionInfo, string, error) {
	p = p.Bounded()
	list, next, err := s.sessions.List(ctx, session.ListOptions{UserID: user, Cursor: p.Cursor, Limit: p.Limit})
	if errors.Is(err, session.ErrInvalidCursor) {
		return nil, "", sesame.Invalid("cursor", "is not a cursor this list gave out")
	}
	if err != nil {
		return nil, "", fmt.Errorf("account: sessions: %w", err)
	}
	current := sesame.ActorFrom(ctx).SessionID
	out := make([]SessionInfo, len(list))
	for i, sess := range list {
		out[i] = SessionInfo{Session: sess, Current: sess.ID == current, Username: s.username(ctx, sess)}
	}
	return out, next, nil
}

// username returns the name of the user of sess: as the session recorded
// it, or from the user store for a session that recorded nothing.
func (s *Service) username(ctx context.Context, sess session.Session) string {
	if u, err := UserOf(sess); err == nil {
		return u.Username
	}
	if id, err := userID(sess); err == nil {
		if u, err := s.users.UserByID(ctx, id); err == nil {
			return u.Username
		}
	}
	return ""
}

// EndSession ends one of the signed-in user's sessions by public id and
// reports whether it was the request's own, which signs the user out.
// Another user's session answers not found, as if it did not exist.
func (s *Service) EndSession(ctx context.Context, id string) (current bool, err error) {
	u, err := signedIn(ctx)
	if err != nil {
		return false, err
	}
	if id == sesame.ActorFrom(ctx).SessionID {
		return true, s.signOut(ctx, sesame.ActionSessionRevoke)
	}
	err = s.sessions.Revoke(ctx, sessionUser(u.ID), id)
	if errors.Is(err, session.ErrNotFound) {
		return false, fmt.Errorf("session %q: %w", id, sesame.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("account: end session: %w", err)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionSessionRevoke, Detail: "session " + id})
	return false, nil
}

// EndOtherSessions ends every session of the signed-in user but this one
// and returns how many it ended.
func (s *Service) EndOtherSessions(ctx context.Context) (int, error) {
	u, err := signedIn(ctx)
	if err != nil {
		return 0, err
	}
	return s.endSessionsCount(ctx, u.ID, u.Username, sesame.ActorFrom(ctx).SessionID, "")
}

// RevokeSession ends the session with public id id, whoever's it is, for an
// admin who has re-authenticated (or an operator). The admin's own current
// session signs them out.
func (s *Service) RevokeSession(ctx context.Context, id string) error {
	if err := s.adminChange(ctx); err != nil {
		return err
	}
	if id == sesame.ActorFrom(ctx).SessionID {
		return s.signOut(ctx, sesame.ActionSessionRevoke)
	}
	gone, err := s.sessions.RevokeID(ctx, id)
	if errors.Is(err, session.ErrNotFound) {
		return fmt.Errorf("session %q: %w", id, sesame.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("account: revoke session: %w", err)
	}
	target, _ := userID(gone)
	s.record(ctx, sesame.Event{Action: sesame.ActionSessionRevoke, Detail: "session " + id,
		TargetID: target, TargetName: s.username(ctx, gone)})
	return nil
}

// RevokeUserSessions ends every session of user id, for an admin who has
// re-authenticated (or an operator), and returns how many it ended.
func (s *Service) RevokeUserSessions(ctx context.Context, id int64) (int, error) {
	if err := s.adminChange(ctx); err != nil {
		return 0, err
	}
	u, err := s.users.UserByID(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("account: user %d: %w", id, err)
	}
	return s.endAllOf(ctx, u, "")
}

// endAllOf ends every session of u, the request's own too when it is one
// of them (which also clears its cookie), and records each.
func (s *Service) endAllOf(ctx context.Context, u *sesame.User, why string) (int, error) {
	own := sesame.ActorFrom(ctx)
	keep := ""
	if own.User != nil && own.User.ID == u.ID {
		keep = own.SessionID // ended last, by signing out
	}
	n, err := s.endSessionsCount(ctx, u.ID, u.Username, keep, why)
	if err != nil || keep == "" {
		return n, err
	}
	if _, live := s.sessions.FromContext(ctx); !live {
		return n, nil // signed out by an earlier round (ResetPassword has two)
	}
	return n + 1, s.signOut(ctx, sesame.ActionSessionRevoke)
}

// endSessions ends every session of user userID but the one with public id
// exceptID, and records the end of each, naming it (CONTRACT §6: each
// revocation with its public session id), with why when there is more to
// say. Those it ended are recorded even when it then fails.
func (s *Service) endSessions(ctx context.Context, userID int64, username, exceptID, why string) error {
	_, err := s.endSessionsCount(ctx, userID, username, exceptID, why)
	return err
}

func (s *Service) endSessionsCount(ctx context.Context, userID int64, username, exceptID, why string) (int, error) {
	gone, err := s.sessions.RevokeAll(ctx, sessionUser(userID), exceptID)
	e := sesame.Event{Action: sesame.ActionSessionRevoke}
	if a := sesame.ActorFrom(ctx); a.User == nil || a.User.ID != userID {
		e.TargetID, e.TargetName = userID, username
	}
	for _, g := range gone {
		e.Detail = "session " + g.ID + why
		s.record(ctx, e)
	}
	if err != nil {
		return len(gone), fmt.Errorf("account: end sessions: %w", err)
	}
	return len(gone), nil
}

// RecordSessionEnd returns the session Manager's Config.OnEnd for sesame:
// it audits every session the Manager ends by itself, saying why. A request
// that found the session dead is recorded with its address (clientIP); one
// removed by the cleanup, with the session's own.
func RecordSessionEnd(log *audit.Log, clientIP func(*http.Request) string) func(context.Context, session.Session, session.EndReason, *http.Request) {
	return func(ctx context.Context, s session.Session, why session.EndReason, r *http.Request) {
		e := sesame.Event{SessionID: s.ID, IP: s.LastIP, UserAgent: s.UserAgent, Outcome: sesame.OutcomeSuccess}
		e.UserID, _ = userID(s)
		if u, err := UserOf(s); err == nil {
			e.Username = u.Username
		}
		if r != nil {
			e.IP, e.UserAgent = clientIP(r), r.UserAgent()
		}
		switch why {
		case session.EndIdle, session.EndLifetime:
			e.Action, e.Detail = sesame.ActionSessionExpire, "ended by its "+why.String()
			if why == session.EndLifetime {
				e.Detail = "ended at the end of its lifetime"
			}
			if r == nil {
				e.Detail += ", removed by the cleanup"
			}
		case session.EndTokenReuse:
			// Both addresses: the one that presented the replaced token now,
			// and the one that renewed it, so one of them is the thief.
			e.Action, e.Outcome = sesame.ActionTokenReuse, sesame.OutcomeDenied
			e.Detail = fmt.Sprintf("a replaced token was presented from %s after its grace; the session was renewed from %s; the session was ended",
				e.IP, s.LastIP)
		case session.EndEvicted:
			e.Action, e.Detail = sesame.ActionSessionEvicted, "ended by a sign-in past the session limit"
		}
		log.Record(ctx, e)
	}
}
