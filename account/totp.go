package account

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sesamehq/sesame"
)

// The TOTP of CONTRACT §9 (RFC 6238): what every authenticator app
// accepts by default. A code is accepted in its own 30-second step and in
// the steps either side, for clocks a little off and codes typed as the
// step turns.
const (
	totpPeriod = 30
	totpSkew   = 1
	totpDigits = otp.DigitsSix
	// TOTPIssuer names sesame in the user's authenticator app.
	TOTPIssuer = "sesame"
	// RecoveryCodes is how many recovery codes a confirmation gives.
	RecoveryCodes = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: totpSkew, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// ErrNoSecretKey refuses TOTP on a server started without a secret key
// (serve --secret-key-file): it could neither seal a new secret nor open a
// stored one. It matches sesame.ErrUnavailable.
var ErrNoSecretKey = fmt.Errorf("%w: second factors need the server's --secret-key-file", sesame.ErrUnavailable)

// ErrTOTPEnabled refuses to begin an enrolment, or to confirm one, when the
// user's TOTP is already on: turn it off first. It matches
// sesame.ErrConflict.
var ErrTOTPEnabled = fmt.Errorf("%w: an authenticator app is already set up", sesame.ErrConflict)

// TOTPEnrolment is what a user copies into their authenticator app: the
// secret in base32, and the otpauth:// URL that a QR code carries.
type TOTPEnrolment struct {
	Secret string
	URL    string
}

// Factors is what a user has of second factors, for their security page.
type Factors struct {
	TOTP bool // a confirmed authenticator app
	// PendingTOTP says that an enrolment was begun and not confirmed.
	PendingTOTP       bool
	RecoveryCodesLeft int
	// Passkeys are the user's passkeys, oldest first; PasskeysOn says
	// that this server can register and check them (Config.WebAuthn).
	Passkeys   []PasskeyInfo
	PasskeysOn bool
}

// ad is what a user's sealed secret is bound to: a row copied onto another
// user does not open.
func ad(userID int64) []byte { return []byte("sesame totp user " + strconv.FormatInt(userID, 10)) }

// MyFactors returns the second factors of the signed-in user.
func (s *Service) MyFactors(ctx context.Context) (Factors, error) {
	user, err := signedIn(ctx)
	if err != nil {
		return Factors{}, err
	}
	var out Factors
	if out.Passkeys, err = s.MyPasskeys(ctx); err != nil {
		return Factors{}, err
	}
	out.PasskeysOn = s.webauthn != nil
	f, err := s.users.TOTP(ctx, user.ID)
	switch {
	case errors.Is(err, sesame.ErrNotFound):
		return out, nil
	case err != nil:
		return Factors{}, fmt.Errorf("account: factors: %w", err)
	}
	out.TOTP, out.PendingTOTP = f.Confirmed, !f.Confirmed
	if f.Confirmed {
		if out.RecoveryCodesLeft, err = s.users.RecoveryCodesLeft(ctx, user.ID); err != nil {
			return Factors{}, fmt.Errorf("account: factors: %w", err)
		}
	}
	return out, nil
}

// BeginTOTP starts the signed-in user's enrolment of an authenticator app:
// a new random secret (160 bits, RFC 4226's recommendation), stored sealed
// and unconfirmed until ConfirmTOTP, replacing an enrolment begun before.
// It needs a recent password (RequireRecentAuth), as adding any factor
// does, and is audited.
func (s *Service) BeginTOTP(ctx context.Context) (TOTPEnrolment, error) {
	user, err := signedIn(ctx)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if err := s.RequireRecentAuth(ctx); err != nil {
		return TOTPEnrolment{}, err
	}
	if s.secrets == nil {
		return TOTPEnrolment{}, ErrNoSecretKey
	}
	secret := make([]byte, 20)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails
	key, err := totpKey(user.Username, secret)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	err = s.users.BeginTOTP(ctx, user.ID, s.secrets.Seal(secret, ad(user.ID)), s.now())
	if errors.Is(err, sesame.ErrConflict) {
		return TOTPEnrolment{}, ErrTOTPEnabled
	}
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("account: begin totp: %w", err)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionTOTPEnrol})
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

func totpKey(username string, secret []byte) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: username, Period: totpPeriod,
		Secret: secret, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("account: totp key: %w", err)
	}
	return key, nil
}

// PendingTOTP returns the enrolment the signed-in user began and has not
// confirmed, for the page that shows it again (and its QR code); without
// one, an error matching sesame.ErrNotFound. Showing it needs the same
// recent password as beginning it.
func (s *Service) PendingTOTP(ctx context.Context) (TOTPEnrolment, error) {
	user, err := signedIn(ctx)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if err := s.RequireRecentAuth(ctx); err != nil {
		return TOTPEnrolment{}, err
	}
	f, secret, err := s.totpSecret(ctx, user.ID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if f.Confirmed {
		return TOTPEnrolment{}, fmt.Errorf("account: no totp enrolment under way: %w", sesame.ErrNotFound)
	}
	key, err := totpKey(user.Username, secret)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// QRCode returns e's URL as a QR code in PNG, size pixels square, drawn
// here so that the secret never goes to another service.
func (e TOTPEnrolment) QRCode(size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(e.URL)
	if err != nil {
		return nil, fmt.Errorf("account: qr code: %w", err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("account: qr code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("account: qr code: %w", err)
	}
	return b.Bytes(), nil
}

// totpSecret returns the factor of user id and its secret, opened.
func (s *Service) totpSecret(ctx context.Context, userID int64) (*TOTPFactor, []byte, error) {
	if s.secrets == nil {
		return nil, nil, ErrNoSecretKey
	}
	f, err := s.users.TOTP(ctx, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("account: totp: %w", err)
	}
	secret, err := s.secrets.Open(f.Secret, ad(userID))
	if err != nil {
		// The key file is not the one the secret was sealed with: an
		// operator's mistake that must be seen, not a wrong code.
		return nil, nil, fmt.Errorf("account: totp secret of user %d: %w", userID, err)
	}
	return f, secret, nil
}

// ConfirmTOTP completes the signed-in user's enrolment with a first code
// from their app, which proves that it holds the secret, and returns their
// new recovery codes, shown this once and stored only as hashes. Wrong
// codes are throttled and counted like passwords; the code's step counts as
// used. The session is then begun again, with a new id, as one that used
// both factors (aal2). It needs a recent password, as BeginTOTP does.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	user, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.RequireRecentAuth(ctx); err != nil {
		return nil, err
	}
	code, err = totpCode("code", code)
	if err != nil {
		return nil, err
	}
	f, secret, err := s.totpSecret(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	if f.Confirmed {
		return nil, ErrTOTPEnabled
	}
	codes, hashes := newRecoveryCodes()
	err = s.auth.CheckSecondFactor(ctx, user, sesame.ActionTOTPConfirm, "wrong code", func(ctx context.Context) (bool, error) {
		step, ok := matchTOTP(secret, code, s.now())
		if !ok {
			return false, nil
		}
		if err := s.users.ConfirmTOTP(ctx, user.ID, step, hashes); errors.Is(err, sesame.ErrConflict) {
			return false, ErrTOTPEnabled
		} else if err != nil {
			return false, err
		}
		return true, nil
	})
	if errors.Is(err, sesame.ErrBadSecondFactor) {
		return nil, sesame.Invalid("code", "is not the code your app shows now")
	}
	if err != nil {
		return nil, err
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionTOTPConfirm})
	if err := s.beginAgain(ctx, user, []sesame.Factor{sesame.FactorPassword, sesame.FactorTOTP}); err != nil {
		return nil, err
	}
	return codes, nil
}

// beginAgain replaces the request's session by a new one of user that
// records factors: a new id whenever what the session stands for changes
// (CONTRACT §6), as it does when it gains a factor.
func (s *Service) beginAgain(ctx context.Context, user *sesame.User, factors []sesame.Factor) error {
	cur, _ := s.sessions.FromContext(ctx)
	full, err := s.users.UserByID(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("account: renew session: %w", err)
	}
	data, err := snapshot(full, factors)
	if err != nil {
		return err
	}
	if _, err := s.sessions.Login(ctx, sessionUser(user.ID), loginOptions(cur.Remember, data)); err != nil {
		return fmt.Errorf("account: renew session: %w", err)
	}
	return nil
}

// DisableTOTP removes the signed-in user's authenticator app and recovery
// codes. It needs a recent password and is audited; without a factor the
// answer matches sesame.ErrNotFound.
func (s *Service) DisableTOTP(ctx context.Context) error {
	user, err := signedIn(ctx)
	if err != nil {
		return err
	}
	if err := s.RequireRecentAuth(ctx); err != nil {
		return err
	}
	ok, err := s.users.DeleteTOTP(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("account: disable totp: %w", err)
	}
	if !ok {
		return fmt.Errorf("account: no authenticator app is set up: %w", sesame.ErrNotFound)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionTOTPDisable})
	return nil
}

// totpCode returns code without the spaces people type into it, or an
// *sesame.InvalidError for field unless it is six digits.
func totpCode(field, code string) (string, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", sesame.Invalid(field, "must be the 6 digits your authenticator app shows")
	}
	return code, nil
}

// matchTOTP returns the time step, of the one at now and those either
// side, whose code is code. The comparison takes the same time whatever
// the digits.
func matchTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	cur := now.Unix() / totpPeriod
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(b32, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// newRecoveryCodes returns RecoveryCodes new codes and their hashes. Each
// is 80 random bits in base32, as four groups of four, so that a fast hash
// (SHA-256) is enough to keep them: nobody can try 2^80 of them.
func newRecoveryCodes() (codes, hashes []string) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for range RecoveryCodes {
		b := make([]byte, 10)
		_, _ = rand.Read(b)
		c := strings.ToLower(enc.EncodeToString(b))
		code := c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
		codes = append(codes, code)
		hashes = append(hashes, recoveryHash(code))
	}
	return codes, hashes
}

// recoveryHash is the hash a recovery code is kept and looked up by, of
// the code as typed in any case, with or without its dashes and spaces.
func recoveryHash(code string) string {
	norm := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
	h := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(h[:])
}
