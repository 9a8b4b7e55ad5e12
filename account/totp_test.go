package account_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/session"
)

// codeAt is the code of secret (base32) at t, as the user's app shows it.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a code that is not secret's at t, nor a step either side.
func wrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !slices.Contains([]string{codeAt(t, secret, at.Add(-30*time.Second)), codeAt(t, secret, at),
			codeAt(t, secret, at.Add(30*time.Second))}, c) {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func (b *browser) beginTOTP() (account.TOTPEnrolment, error) {
	b.e.t.Helper()
	var en account.TOTPEnrolment
	err := b.call(func(ctx context.Context) (err error) { en, err = b.e.acct.BeginTOTP(ctx); return err })
	return en, err
}

func (b *browser) confirmTOTP(code string) ([]string, error) {
	b.e.t.Helper()
	var codes []string
	err := b.call(func(ctx context.Context) (err error) { codes, err = b.e.acct.ConfirmTOTP(ctx, code); return err })
	return codes, err
}

// enrol signs username in at b and sets up TOTP; it returns the secret
// and the recovery codes.
func (b *browser) enrol(username string) (string, []string) {
	b.e.t.Helper()
	b.mustSignIn(username)
	en, err := b.beginTOTP()
	if err != nil {
		b.e.t.Fatalf("BeginTOTP: %v", err)
	}
	codes, err := b.confirmTOTP(codeAt(b.e.t, en.Secret, b.e.clock.Now()))
	if err != nil {
		b.e.t.Fatalf("ConfirmTOTP: %v", err)
	}
	return en.Secret, codes
}

// TestTOTPEnrol: an enrolment gives a secret and its otpauth URL, and a QR
// code; the secret is stored sealed; the first right code confirms it,
// gives ten distinct recovery codes and a new session that used both
// factors; then the factor shows, and a new enrolment is refused.
func TestTOTPEnrol(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	before := b.mustSignIn("alice")
	en, err := b.beginTOTP()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(en.URL)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != en.Secret ||
		u.Query().Get("issuer") != "sesame" || u.Query().Get("digits") != "6" || u.Query().Get("period") != "30" ||
		u.Query().Get("algorithm") != "SHA1" || !strings.HasSuffix(u.Path, ":alice") {
		t.Fatalf("otpauth URL %q", en.URL)
	}
	stored, err := e.db.TOTP(t.Context(), alice.ID)
	if err != nil || stored.Confirmed || strings.Contains(string(stored.Secret), en.Secret) {
		t.Fatalf("stored factor %+v, %v: want it unconfirmed and sealed", stored, err)
	}
	png, err := en.QRCode(256)
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("QRCode: %d bytes, %v", len(png), err)
	}
	var f account.Factors
	_ = b.call(func(ctx context.Context) (err error) { f, err = e.acct.MyFactors(ctx); return err })
	if !reflect.DeepEqual(f, account.Factors{PendingTOTP: true, Passkeys: []account.PasskeyInfo{}, PasskeysOn: true}) {
		t.Errorf("factors while pending: %+v", f)
	}

	codes, err := b.confirmTOTP(codeAt(t, en.Secret, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != account.RecoveryCodes || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != len(codes) {
		t.Errorf("recovery codes %v: want %d distinct", codes, account.RecoveryCodes)
	}
	_, now := b.whoami()
	if now == before.ID || now == "" {
		t.Errorf("session after confirming %q, before %q: want a new one", now, before.ID)
	}
	var factors []sesame.Factor
	b.do(func(ctx context.Context) { s, _ := e.sessions.FromContext(ctx); factors = account.FactorsOf(s) })
	if !slices.Equal(factors, []sesame.Factor{sesame.FactorPassword, sesame.FactorTOTP}) || sesame.AssuranceOf(factors) != sesame.AAL2 {
		t.Errorf("factors of the new session %v; want password and totp (aal2)", factors)
	}
	_ = b.call(func(ctx context.Context) (err error) { f, err = e.acct.MyFactors(ctx); return err })
	if !reflect.DeepEqual(f, account.Factors{TOTP: true, RecoveryCodesLeft: 10, Passkeys: []account.PasskeyInfo{}, PasskeysOn: true}) {
		t.Errorf("factors when on: %+v", f)
	}
	if _, err := b.beginTOTP(); !errors.Is(err, account.ErrTOTPEnabled) {
		t.Errorf("BeginTOTP when on: %v, want ErrTOTPEnabled", err)
	}
	if got := e.actions(alice.ID, sesame.ActionTOTPEnrol, sesame.ActionTOTPConfirm); len(got) != 2 {
		t.Errorf("audited %v; want the enrolment and its confirmation", got)
	}
}

// TestTOTPConfirmCodes: the code of the current step and of the steps
// either side confirm; an older or a later one, a wrong one and one that
// is not six digits do not; wrong codes are throttled like passwords.
func TestTOTPConfirmCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset time.Duration // of the code's time from now
		ok     bool
	}{
		{"current step", 0, true},
		{"previous step", -30 * time.Second, true},
		{"next step", 30 * time.Second, true},
		{"expired, two steps old", -60 * time.Second, false},
		{"two steps ahead", 60 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, session.Config{})
			e.user("alice", "customer")
			b := e.browser("192.0.2.1")
			b.mustSignIn("alice")
			en, err := b.beginTOTP()
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.confirmTOTP(codeAt(t, en.Secret, e.clock.Now().Add(tc.offset)))
			if tc.ok && err != nil {
				t.Fatalf("ConfirmTOTP: %v", err)
			}
			if !tc.ok {
				wantInvalid(t, err, map[string]string{"code": "is not the code your app shows now"})
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		e := newEnv(t, session.Config{})
		e.user("alice", "customer")
		b := e.browser("192.0.2.1")
		b.mustSignIn("alice")
		if _, err := b.beginTOTP(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"", "12345", "1234567", "12a456", "١٢٣٤٥٦"} {
			_, err := b.confirmTOTP(c)
			wantInvalid(t, err, map[string]string{"code": "must be the 6 digits your authenticator app shows"})
		}
		if f := e.failures("2fa:alice", "192.0.2.1"); f.UserFailures != 0 {
			t.Errorf("malformed codes counted: %+v", f)
		}
	})
	t.Run("throttled", func(t *testing.T) {
		e := newEnv(t, session.Config{})
		e.user("alice", "customer")
		b := e.browser("192.0.2.1")
		b.mustSignIn("alice")
		en, err := b.beginTOTP()
		if err != nil {
			t.Fatal(err)
		}
		wrong := wrongCode(t, en.Secret, e.clock.Now())
		for range 5 {
			_, err := b.confirmTOTP(wrong)
			wantInvalid(t, err, map[string]string{"code": "is not the code your app shows now"})
		}
		_, err = b.confirmTOTP(codeAt(t, en.Secret, e.clock.Now()))
		wantRateLimited(t, err, time.Second)
		e.clock.Advance(time.Second)
		if _, err := b.confirmTOTP(codeAt(t, en.Secret, e.clock.Now())); err != nil {
			t.Fatalf("the right code once the lock is over: %v", err)
		}
	})
}

// TestTOTPNeedsRecentPassword: beginning, confirming and turning TOTP off
// all need a password entered in the last ReauthWindow.
func TestTOTPNeedsRecentPassword(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	secret, _ := b.enrol("alice")
	e.clock.Advance(account.ReauthWindow + time.Second)
	if err := b.call(e.acct.DisableTOTP); !errors.Is(err, sesame.ErrReauthenticationRequired) {
		t.Fatalf("DisableTOTP without a recent password: %v", err)
	}
	if _, err := b.confirmTOTP(codeAt(t, secret, e.clock.Now())); !errors.Is(err, sesame.ErrReauthenticationRequired) {
		t.Fatalf("ConfirmTOTP without a recent password: %v", err)
	}
	if err := b.reauth(password); err != nil {
		t.Fatal(err)
	}
	if err := b.call(e.acct.DisableTOTP); err != nil {
		t.Fatalf("DisableTOTP: %v", err)
	}
	if err := b.call(e.acct.DisableTOTP); !errors.Is(err, sesame.ErrNotFound) {
		t.Fatalf("DisableTOTP again: %v, want ErrNotFound", err)
	}
	if n, _ := e.db.RecoveryCodesLeft(t.Context(), alice.ID); n != 0 {
		t.Errorf("%d recovery codes left after turning TOTP off", n)
	}
	if got := e.actions(alice.ID, sesame.ActionTOTPDisable); len(got) != 1 {
		t.Errorf("audited %v; want one totp.disable", got)
	}
	e.clock.Advance(account.ReauthWindow + time.Second)
	if _, err := b.beginTOTP(); !errors.Is(err, sesame.ErrReauthenticationRequired) {
		t.Fatalf("BeginTOTP without a recent password: %v", err)
	}
}
