package account

import (
	"context"
	"fmt"
	"time"

	"github.com/sesamehq/sesame"
)

// ErrPasskeyLimit refuses a passkey to a user who has MaxPasskeys
// already. It matches sesame.ErrConflict.
var ErrPasskeyLimit = fmt.Errorf("%w: too many passkeys; delete one first", sesame.ErrConflict)

// Passkey is one of a user's WebAuthn credentials as the store keeps it.
type Passkey struct {
	ID     int64
	UserID int64
	// CredentialID is the authenticator's id of the credential, unique
	// among every user's passkeys: it is how a sign-in finds it.
	CredentialID []byte
	// Name is the user's label for it ("laptop", "phone").
	Name string
	// Credential is the public key and what the WebAuthn checks need
	// (signature counter, flags, transports), encoded by the account
	// service; the store keeps it as it is.
	Credential []byte
	CreatedAt  time.Time
	// LastUsedAt is zero until the passkey first signs a user in.
	LastUsedAt time.Time
}

// Ceremony is a WebAuthn ceremony that the server began and the browser
// is to finish: its challenge, and what the answer must match.
type Ceremony struct {
	// Hash is the hex SHA-256 of the challenge, which the browser's answer
	// carries back signed; a ceremony is found by it and taken once.
	Hash string
	// UserID is the user it was begun for: the signed-in user registering
	// a passkey, or the user of a pending sign-in; 0 for a sign-in with a
	// passkey alone, whose user is not known until the answer names them.
	UserID  int64
	Purpose CeremonyPurpose
	// Data is what the WebAuthn library needs back to check the answer,
	// encoded by the account service; the store keeps it as it is.
	Data      []byte
	ExpiresAt time.Time
}

// CeremonyPurpose says what a ceremony is for; an answer is accepted only
// by the step it was begun for.
type CeremonyPurpose string

// The purposes of a ceremony.
const (
	CeremonyRegister     CeremonyPurpose = "register"
	CeremonySignIn       CeremonyPurpose = "sign_in"
	CeremonySecondFactor CeremonyPurpose = "second_factor"
)

// PasskeyStore is what the account service needs of passkeys and of the
// ceremonies under way. It is part of FactorStore; the sqlite and postgres
// packages implement it, and package datatest checks them. A passkey named
// by a user id and passkey id that do not go together is unknown: it
// matches sesame.ErrNotFound.
type PasskeyStore interface {
	// Passkeys returns the passkeys of user id, oldest first (never nil).
	Passkeys(ctx context.Context, userID int64) ([]Passkey, error)
	// PasskeyByCredentialID returns the passkey whose CredentialID is id.
	PasskeyByCredentialID(ctx context.Context, id []byte) (*Passkey, error)
	// AddPasskey stores p (its ID is ignored) and returns it with its new
	// ID. A CredentialID already stored, for this user or another, matches
	// sesame.ErrConflict; a user who already has max passkeys matches
	// ErrPasskeyLimit (of two additions at once, at most max are kept).
	AddPasskey(ctx context.Context, p Passkey, max int) (*Passkey, error)
	// RenamePasskey sets the name of passkey id of user userID and
	// returns it.
	RenamePasskey(ctx context.Context, userID, id int64, name string) (*Passkey, error)
	// UsePasskey records a sign-in with passkey id: its updated
	// Credential and LastUsedAt.
	UsePasskey(ctx context.Context, id int64, credential []byte, at time.Time) error
	// DeletePasskey removes passkey id of user userID and reports whether
	// there was one.
	DeletePasskey(ctx context.Context, userID, id int64) (bool, error)
	// DeletePasskeys removes every passkey of user userID and returns how
	// many went.
	DeletePasskeys(ctx context.Context, userID int64) (int, error)
	// PasskeyCounts returns how many passkeys each of ids has, for the
	// admin's list of users; ids with none (or unknown) are absent.
	PasskeyCounts(ctx context.Context, ids []int64) (map[int64]int, error)

	// CreateCeremony stores c.
	CreateCeremony(ctx context.Context, c Ceremony) error
	// TakeCeremony deletes the ceremony whose hash is hash and returns it
	// if it expires after now; otherwise (none, expired, or taken already,
	// here or on another instance) an error matching sesame.ErrNotFound.
	// Of two takes at once, one gets it.
	TakeCeremony(ctx context.Context, hash string, now time.Time) (*Ceremony, error)
	// DeleteExpiredCeremonies deletes those that expire at or before now
	// and returns how many went.
	DeleteExpiredCeremonies(ctx context.Context, now time.Time) (int, error)
}
