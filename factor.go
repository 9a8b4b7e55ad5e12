package sesame

import "fmt"

// Factor names one way a user proved who they are in a session.
type Factor string

// The factors sesame knows. A password is the first factor; the others are
// second factors (CONTRACT §9).
const (
	FactorPassword     Factor = "password"
	FactorTOTP         Factor = "totp"
	FactorRecoveryCode Factor = "recovery_code"
	// FactorPasskey is a WebAuthn credential. Alone, it is a sign-in with
	// user verification (a PIN or biometric on the device): two factors
	// in one, so it gives aal2 by itself.
	FactorPasskey Factor = "passkey"
)

// Assurance is the authenticator assurance level of a session, in the sense
// of NIST SP 800-63B: aal1 for one factor, aal2 for two.
type Assurance string

// The assurance levels a session may have.
const (
	AAL1 Assurance = "aal1"
	AAL2 Assurance = "aal2"
)

// AssuranceOf returns the assurance that factors give together: aal2 when
// a second factor is among them.
func AssuranceOf(factors []Factor) Assurance {
	for _, f := range factors {
		if f != FactorPassword {
			return AAL2
		}
	}
	return AAL1
}

var (
	// ErrBadSecondFactor is the answer to a wrong one-time or recovery
	// code at sign-in. It matches ErrUnauthenticated.
	ErrBadSecondFactor = fmt.Errorf("%w: invalid code", ErrUnauthenticated)
	// ErrBadPasskey is the answer to a passkey that does not sign the
	// user in: unknown, not made for this site, not signed over the
	// challenge, or a clone. It matches ErrUnauthenticated.
	ErrBadPasskey = fmt.Errorf("%w: the passkey was refused", ErrUnauthenticated)
	// ErrSecondFactorRequired refuses a request of a user whose role must
	// use a second factor (serve --require-second-factor) in a session
	// begun without one. It matches ErrForbidden.
	ErrSecondFactorRequired = fmt.Errorf("%w: enrol a second factor first", ErrForbidden)
)
