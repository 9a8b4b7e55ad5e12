package account

import (
	"context"
	"time"
)

// TOTPFactor is a user's TOTP authenticator as the store keeps it.
type TOTPFactor struct {
	UserID int64
	// Secret is the shared secret sealed by the account service's
	// secretbox.Box; the store never sees it in the clear.
	Secret []byte
	// Confirmed is false from enrolment until the user proves, with a
	// first code, that their authenticator holds the secret; until then
	// it is no factor.
	Confirmed bool
	// LastStep is the latest 30-second time step whose code was accepted;
	// no code of that step or an earlier one is accepted again.
	LastStep  int64
	CreatedAt time.Time
}

// FactorStore is what the account service needs of the second factors'
// data. It is part of Store; the sqlite and postgres packages implement it,
// and package datatest checks them. Every method that names an unknown user
// or a factor the user lacks matches sesame.ErrNotFound unless it says
// otherwise.
type FactorStore interface {
	// TOTP returns the TOTP factor of user id, confirmed or not.
	TOTP(ctx context.Context, userID int64) (*TOTPFactor, error)
	// BeginTOTP stores a new, unconfirmed factor for user id with the
	// sealed secret, replacing an unconfirmed one. A confirmed one is left
	// alone and the answer matches sesame.ErrConflict.
	BeginTOTP(ctx context.Context, userID int64, secret []byte, at time.Time) error
	// ConfirmTOTP confirms the unconfirmed factor of user id, records step
	// as its LastStep and replaces the user's recovery codes with
	// recoveryHashes, all or nothing. An already confirmed factor matches
	// sesame.ErrConflict (of two confirmations at once, one wins).
	ConfirmTOTP(ctx context.Context, userID, step int64, recoveryHashes []string) error
	// UseTOTPStep records that a code of step was accepted for the
	// confirmed factor of user id, and reports whether it may be: false
	// when LastStep is step or later (a replay, here or on another
	// instance) or the user has no confirmed factor. It is one atomic
	// compare-and-set, so of two uses of one code at once only one wins.
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	// DeleteTOTP removes the TOTP factor of user id and their recovery
	// codes, and reports whether there was a factor.
	DeleteTOTP(ctx context.Context, userID int64) (bool, error)
	// UseRecoveryCode marks the unused recovery code of user id whose hash
	// is hash as used at at, and reports whether there was one: each code
	// works once, also against a use at the same moment elsewhere.
	UseRecoveryCode(ctx context.Context, userID int64, hash string, at time.Time) (bool, error)
	// RecoveryCodesLeft counts the unused recovery codes of user id.
	RecoveryCodesLeft(ctx context.Context, userID int64) (int, error)
	// TOTPUsers returns which of ids have a confirmed TOTP factor, for the
	// admin's list of users; ids without one (or unknown) are absent.
	TOTPUsers(ctx context.Context, ids []int64) (map[int64]bool, error)

	// CreatePendingSignIn stores p.
	CreatePendingSignIn(ctx context.Context, p PendingSignIn) error
	// PendingSignIn returns the pending sign-in whose hash is hash if it
	// expires after now, else an error matching sesame.ErrNotFound.
	PendingSignIn(ctx context.Context, hash string, now time.Time) (*PendingSignIn, error)
	// DeletePendingSignIn deletes the pending sign-in whose hash is hash
	// and reports whether there was one: of two requests that finish one
	// sign-in at once, only one is told true.
	DeletePendingSignIn(ctx context.Context, hash string) (bool, error)
	// DeleteExpiredPendingSignIns deletes those that expire at or before
	// now, and returns how many went.
	DeleteExpiredPendingSignIns(ctx context.Context, now time.Time) (int, error)

	PasskeyStore
}

// PendingSignIn is a sign-in whose password was right and whose second
// factor is still to come, as the store keeps it: by the hash of the token
// in the browser's pending cookie, never the token.
type PendingSignIn struct {
	Hash   string // hex SHA-256 of the token
	UserID int64
	// Generation is the user's at the password step; a change of the
	// account since voids the sign-in.
	Generation int64
	Remember   bool
	ExpiresAt  time.Time
}
