package account

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sesamehq/sesame"
)

// Passkeys (CONTRACT §9): WebAuthn credentials, registered from the
// security page, that sign a user in alone or finish a sign-in begun with
// the password. The checks of every answer are go-webauthn's; this file
// keeps what they need between the two halves of a ceremony, and the
// credentials, in the shared store, so that any instance may finish what
// another began.

const (
	// MaxPasskeys is how many passkeys one user may have.
	MaxPasskeys = 10
	// CeremonyLifetime is how long a browser has to answer a ceremony.
	CeremonyLifetime = 5 * time.Minute
	// maxPasskeyName is the longest name, in characters, of a passkey.
	maxPasskeyName = 64
)

// ErrNoPasskeys refuses passkeys on a server that has no relying party
// configured (Config.WebAuthn). It matches sesame.ErrUnavailable.
var ErrNoPasskeys = fmt.Errorf("%w: passkeys are not set up on this server", sesame.ErrUnavailable)

// PasskeyInfo is what a user sees of one of their passkeys.
type PasskeyInfo struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	// LastUsedAt is zero until the passkey first signs the user in.
	LastUsedAt time.Time
}

func infoOf(p *Passkey) PasskeyInfo {
	return PasskeyInfo{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
}

// waUser is a user as the WebAuthn library sees them, with their passkeys.
type waUser struct {
	user  *sesame.User
	keys  []Passkey
	creds []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return userHandle(u.user.ID) }
func (u *waUser) WebAuthnName() string                       { return u.user.Username }
func (u *waUser) WebAuthnDisplayName() string                { return u.user.Username }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// passkey returns the stored passkey of credential id.
func (u *waUser) passkey(id []byte) (*Passkey, bool) {
	i := slices.IndexFunc(u.keys, func(p Passkey) bool { return string(p.CredentialID) == string(id) })
	if i < 0 {
		return nil, false
	}
	return &u.keys[i], true
}

// userHandle is the WebAuthn user handle of user id: the id in eight
// bytes. It must be stable and say nothing personal (WebAuthn §14.6.1); an
// id is both, and a discoverable passkey gives it back to name its user.
func userHandle(id int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(id)) // #nosec G115 -- ids are positive; the bits go back unchanged in userOfHandle
}

func userOfHandle(h []byte) (int64, bool) {
	if len(h) != 8 {
		return 0, false
	}
	id := int64(binary.BigEndian.Uint64(h)) // #nosec G115 -- the bits of userHandle; a negative id names no user
	return id, id > 0
}

// webAuthnUser loads the passkeys of user.
func (s *Service) webAuthnUser(ctx context.Context, user *sesame.User) (*waUser, error) {
	keys, err := s.users.Passkeys(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("account: passkeys of user %d: %w", user.ID, err)
	}
	u := &waUser{user: user, keys: keys, creds: make([]webauthn.Credential, len(keys))}
	for i, k := range keys {
		if err := json.Unmarshal(k.Credential, &u.creds[i]); err != nil {
			return nil, fmt.Errorf("account: passkey %d of user %d: %w", k.ID, user.ID, err)
		}
	}
	return u, nil
}

// encodeCredential is how a credential is stored: as JSON, without the
// registration's attestation, which is checked once and never again.
func encodeCredential(c *webauthn.Credential) ([]byte, error) {
	c.Attestation = webauthn.CredentialAttestation{}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("account: encode passkey: %w", err)
	}
	return b, nil
}

func ceremonyHash(challenge string) string {
	h := sha256.Sum256([]byte(challenge))
	return hex.EncodeToString(h[:])
}

// beginCeremony stores what the answer to sd's ceremony must match.
func (s *Service) beginCeremony(ctx context.Context, purpose CeremonyPurpose, userID int64, sd *webauthn.SessionData) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return fmt.Errorf("account: begin %s: %w", purpose, err)
	}
	c := Ceremony{Hash: ceremonyHash(sd.Challenge), UserID: userID, Purpose: purpose, Data: data,
		ExpiresAt: s.now().Add(CeremonyLifetime)}
	if err := s.users.CreateCeremony(ctx, c); err != nil {
		return fmt.Errorf("account: begin %s: %w", purpose, err)
	}
	return nil
}

// errNoCeremony says that an answer names no ceremony begun for it.
var errNoCeremony = errors.New("it answers no ceremony begun here for this step in the last 5 minutes")

// takeCeremony takes, once, the ceremony that challenge names, if it was
// begun for purpose and for userID; else errNoCeremony.
func (s *Service) takeCeremony(ctx context.Context, challenge string, purpose CeremonyPurpose, userID int64) (*webauthn.SessionData, error) {
	c, err := s.users.TakeCeremony(ctx, ceremonyHash(challenge), s.now())
	switch {
	case errors.Is(err, sesame.ErrNotFound):
		return nil, errNoCeremony
	case err != nil:
		return nil, fmt.Errorf("account: %s: %w", purpose, err)
	case c.Purpose != purpose || c.UserID != userID:
		return nil, errNoCeremony
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return nil, fmt.Errorf("account: %s: %w", purpose, err)
	}
	return &sd, nil
}

// refusal is what the WebAuthn library says is wrong with an answer, in
// words fit for its user and the audit trail.
func refusal(err error) string {
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Details != "" {
		return perr.Details
	}
	return err.Error()
}

// BeginPasskeyRegistration begins the registration of a new passkey for
// the signed-in user: the options for the browser's
// navigator.credentials.create, which FinishPasskeyRegistration answers
// within CeremonyLifetime. It needs a recent password, as adding any
// factor does. The passkey is to be discoverable, so that it can sign in
// alone, and may not be one the user has registered already.
func (s *Service) BeginPasskeyRegistration(ctx context.Context) (*protocol.CredentialCreation, error) {
	user, err := s.passkeyChange(ctx)
	if err != nil {
		return nil, err
	}
	wu, err := s.webAuthnUser(ctx, user)
	if err != nil {
		return nil, err
	}
	if len(wu.keys) >= MaxPasskeys {
		return nil, ErrPasskeyLimit
	}
	creation, sd, err := s.webauthn.BeginRegistration(wu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationPreferred}),
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()))
	if err != nil {
		return nil, fmt.Errorf("account: begin passkey registration: %w", err)
	}
	if err := s.beginCeremony(ctx, CeremonyRegister, user.ID, sd); err != nil {
		return nil, err
	}
	return creation, nil
}

// FinishPasskeyRegistration checks the browser's answer (the JSON of the
// PublicKeyCredential that navigator.credentials.create gave) to the
// registration that BeginPasskeyRegistration began, and keeps the passkey
// under name (blank: "Passkey"). An answer that is not one, answers no
// registration of this user, or that the checks refuse (another origin, a
// credential registered already) is an *sesame.InvalidError for
// "credential". It needs a recent password and is audited; the session is
// then begun again, with a new id, as one that used the passkey.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, name string, credential []byte) (PasskeyInfo, error) {
	user, err := s.passkeyChange(ctx)
	if err != nil {
		return PasskeyInfo{}, err
	}
	name, err = passkeyName(name, "Passkey")
	if err != nil {
		return PasskeyInfo{}, err
	}
	if len(credential) == 0 {
		return PasskeyInfo{}, noCredential()
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return PasskeyInfo{}, sesame.Invalid("credential", "is not a passkey's answer: "+refusal(err))
	}
	sd, err := s.takeCeremony(ctx, parsed.Response.CollectedClientData.Challenge, CeremonyRegister, user.ID)
	if errors.Is(err, errNoCeremony) {
		return PasskeyInfo{}, sesame.Invalid("credential", errNoCeremony.Error()+"; begin again")
	}
	if err != nil {
		return PasskeyInfo{}, err
	}
	wu, err := s.webAuthnUser(ctx, user)
	if err != nil {
		return PasskeyInfo{}, err
	}
	cred, err := s.webauthn.CreateCredential(wu, *sd, parsed)
	if err != nil {
		why := refusal(err)
		s.record(ctx, sesame.Event{Action: sesame.ActionPasskeyAdd, Outcome: sesame.OutcomeFailure, Detail: why})
		return PasskeyInfo{}, sesame.Invalid("credential", "was refused: "+why)
	}
	enc, err := encodeCredential(cred)
	if err != nil {
		return PasskeyInfo{}, err
	}
	p, err := s.users.AddPasskey(ctx, Passkey{UserID: user.ID, CredentialID: cred.ID, Name: name, Credential: enc,
		CreatedAt: s.now()}, MaxPasskeys)
	switch {
	case errors.Is(err, ErrPasskeyLimit):
		return PasskeyInfo{}, ErrPasskeyLimit
	case errors.Is(err, sesame.ErrConflict):
		return PasskeyInfo{}, sesame.Invalid("credential", "is a passkey registered here already")
	case err != nil:
		return PasskeyInfo{}, fmt.Errorf("account: add passkey: %w", err)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionPasskeyAdd, Detail: p.Name})
	if err := s.gainFactor(ctx, user, sesame.FactorPasskey); err != nil {
		return PasskeyInfo{}, err
	}
	return infoOf(p), nil
}

// gainFactor begins the request's session again, with a new id, as one
// that used f too, unless it did already.
func (s *Service) gainFactor(ctx context.Context, user *sesame.User, f sesame.Factor) error {
	cur, _ := s.sessions.FromContext(ctx)
	factors := FactorsOf(cur)
	if slices.Contains(factors, f) {
		return nil
	}
	return s.beginAgain(ctx, user, append(factors, f))
}

// passkeyChange returns the signed-in user when they may add or remove a
// passkey: a recent password, and passkeys set up on this server.
func (s *Service) passkeyChange(ctx context.Context) (*sesame.User, error) {
	user, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.RequireRecentAuth(ctx); err != nil {
		return nil, err
	}
	if s.webauthn == nil {
		return nil, ErrNoPasskeys
	}
	return user, nil
}

// passkeyName returns name without the spaces around it, or blank if
// blank, or an *sesame.InvalidError for "name".
func passkeyName(name, blank string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		if blank == "" {
			return "", sesame.Invalid("name", "is required")
		}
		return blank, nil
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", sesame.Invalid("name", "must be text without control characters")
	case utf8.RuneCountInString(name) > maxPasskeyName:
		return "", sesame.Invalid("name", fmt.Sprintf("must be at most %d characters", maxPasskeyName))
	}
	return name, nil
}

// MyPasskeys returns the signed-in user's passkeys, oldest first.
func (s *Service) MyPasskeys(ctx context.Context) ([]PasskeyInfo, error) {
	user, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := s.users.Passkeys(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("account: passkeys: %w", err)
	}
	out := make([]PasskeyInfo, len(keys))
	for i := range keys {
		out[i] = infoOf(&keys[i])
	}
	return out, nil
}

// RenamePasskey names the signed-in user's passkey id anew. A name changes
// no factor, so it needs no recent password; it is audited. Another user's
// passkey, or none, matches sesame.ErrNotFound.
func (s *Service) RenamePasskey(ctx context.Context, id int64, name string) (PasskeyInfo, error) {
	user, err := signedIn(ctx)
	if err != nil {
		return PasskeyInfo{}, err
	}
	if name, err = passkeyName(name, ""); err != nil {
		return PasskeyInfo{}, err
	}
	p, err := s.users.RenamePasskey(ctx, user.ID, id, name)
	if err != nil {
		return PasskeyInfo{}, fmt.Errorf("account: rename passkey %d: %w", id, err)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionPasskeyRename, Detail: p.Name})
	return infoOf(p), nil
}

// DeletePasskey removes the signed-in user's passkey id. It needs a recent
// password, as removing any factor does, and is audited. Another user's
// passkey, or none, matches sesame.ErrNotFound.
func (s *Service) DeletePasskey(ctx context.Context, id int64) error {
	user, err := signedIn(ctx)
	if err != nil {
		return err
	}
	if err := s.RequireRecentAuth(ctx); err != nil {
		return err
	}
	ok, err := s.users.DeletePasskey(ctx, user.ID, id)
	if err != nil {
		return fmt.Errorf("account: delete passkey %d: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("account: passkey %d: %w", id, sesame.ErrNotFound)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionPasskeyDelete, Detail: fmt.Sprintf("passkey %d", id)})
	return nil
}

// PasskeyOrigins returns the origins whose pages may use passkeys: none
// when the server has no relying party.
func (s *Service) PasskeyOrigins() []string {
	if s.webauthn == nil {
		return nil
	}
	return s.webauthn.Config.RPOrigins
}

// PendingMethods returns the second factors that can finish the pending
// sign-in that token names, or sesame.ErrUnauthenticated when it names
// none.
func (s *Service) PendingMethods(ctx context.Context, token string) ([]sesame.Factor, error) {
	user, _, err := s.pendingUser(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.secondFactors(ctx, user.ID)
}

// PruneCeremonies deletes the ceremonies that were never finished and have
// expired, at the service's clock, and returns how many went.
func (s *Service) PruneCeremonies(ctx context.Context) (int, error) {
	n, err := s.users.DeleteExpiredCeremonies(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("account: prune ceremonies: %w", err)
	}
	return n, nil
}
