package account

import (
	"context"
	"slices"

	"github.com/sesamehq/sesame"
)

// SecondFactorRequired returns sesame.ErrSecondFactorRequired when the
// signed-in user holds a role that must use a second factor (Config.
// RequireSecondFactor, serve --require-second-factor) and the request's
// session was begun without one, else nil. A user who has a factor can
// begin no session without it, so such a session is one of a user who has
// none yet: the front ends send them to set one up before anything else
// (CONTRACT §9). Setting it up begins the session again at aal2.
func (s *Service) SecondFactorRequired(ctx context.Context) error {
	u := sesame.ActorFrom(ctx).User
	if u == nil || len(s.requireRoles) == 0 || !slices.ContainsFunc(u.Roles, func(r string) bool {
		return slices.Contains(s.requireRoles, r)
	}) {
		return nil
	}
	sess, ok := s.sessions.FromContext(ctx)
	if ok && sesame.AssuranceOf(FactorsOf(sess)) == sesame.AAL2 {
		return nil
	}
	return sesame.ErrSecondFactorRequired
}
