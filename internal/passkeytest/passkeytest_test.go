package passkeytest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// These tests run the answers through go-webauthn's real verifier, so they prove the authenticator
// speaks WebAuthn as a relying party expects, not merely as this package thinks it does.

const (
	origin     = "http://localhost:5000"
	evilOrigin = "http://evil.localhost:5000" // same RP ID suffix, so only the origin check can catch it
)

// user is the relying party's account record: what webauthn.User asks for, plus the stored credentials.
type user struct {
	id    []byte
	name  string
	creds []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.id }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newUser(name string) *user { return &user{id: []byte("id-of-" + name), name: name} }

func newRP(t *testing.T) *webauthn.WebAuthn {
	t.Helper()
	wa, err := webauthn.New(&webauthn.Config{RPID: "localhost", RPDisplayName: "x", RPOrigins: []string{origin}})
	if err != nil {
		t.Fatal(err)
	}
	return wa
}

// register runs a registration ceremony requiring a discoverable credential and user verification,
// answered by a at from, and stores the new credential on u when the relying party accepts it.
func register(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user, from string) (*webauthn.Credential, error) {
	t.Helper()
	creation, session, err := wa.BeginRegistration(u,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{UserVerification: protocol.VerificationRequired}),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	if err != nil {
		t.Fatal(err)
	}
	answer, err := a.Create(mustJSON(t, creation), from)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return nil, err
	}
	cred, err := wa.CreateCredential(u, *session, parsed)
	if err == nil {
		u.creds = append(u.creds, *cred)
	}
	return cred, err
}

func mustRegister(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user) *webauthn.Credential {
	t.Helper()
	cred, err := register(t, wa, a, u, origin)
	if err != nil {
		t.Fatalf("registration refused: %v", err)
	}
	return cred
}

// login runs a login ceremony for u (allowCredentials from u's credentials, user verification required)
// answered by a at from, and stores the updated credential on u, as a relying party must for its counter.
func login(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user, from string) (*webauthn.Credential, error) {
	t.Helper()
	assertion, session, err := wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		t.Fatal(err)
	}
	answer, err := a.Get(mustJSON(t, assertion), from)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, err
	}
	cred, err := wa.ValidateLogin(u, *session, parsed)
	if err == nil {
		store(u, cred)
	}
	return cred, err
}

func store(u *user, cred *webauthn.Credential) {
	for i := range u.creds {
		if bytes.Equal(u.creds[i].ID, cred.ID) {
			u.creds[i] = *cred
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRegisterThenLogin(t *testing.T) {
	wa, a, u := newRP(t), New(), newUser("alice")
	cred := mustRegister(t, wa, a, u)
	if cred.Authenticator.SignCount != 1 || !cred.Flags.UserVerified || cred.Flags.BackupEligible {
		t.Errorf("registered: sign count %d, flags %+v; want count 1, UV, not backup eligible", cred.Authenticator.SignCount, cred.Flags)
	}
	if cred.AttestationFormat != "none" || len(cred.ID) != 32 {
		t.Errorf("registered: format %q, ID length %d; want none, 32", cred.AttestationFormat, len(cred.ID))
	}
	for want := uint32(2); want <= 3; want++ {
		cred, err := login(t, wa, a, u, origin)
		if err != nil {
			t.Fatalf("login refused: %v", err)
		}
		if cred.Authenticator.SignCount != want || cred.Authenticator.CloneWarning {
			t.Errorf("login: sign count %d, clone warning %v; want %d, false", cred.Authenticator.SignCount, cred.Authenticator.CloneWarning, want)
		}
	}
}

func TestDiscoverableLogin(t *testing.T) {
	wa, alice, bob := newRP(t), newUser("alice"), newUser("bob")
	phone, laptop := New(), New()
	mustRegister(t, wa, phone, alice)
	mustRegister(t, wa, laptop, alice)
	mustRegister(t, wa, laptop, bob) // laptop's most recent credential is bob's
	users := map[string]*user{string(alice.id): alice, string(bob.id): bob}
	handler := func(_, userHandle []byte) (webauthn.User, error) {
		if u, ok := users[string(userHandle)]; ok {
			return u, nil
		}
		return nil, errors.New("unknown user handle")
	}

	for _, tc := range []struct {
		name string
		a    *Authenticator
		want *user
	}{{"phone", phone, alice}, {"laptop", laptop, bob}} {
		t.Run(tc.name, func(t *testing.T) {
			assertion, session, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
			if err != nil {
				t.Fatal(err)
			}
			answer, err := tc.a.Get(mustJSON(t, assertion), origin)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
			if err != nil {
				t.Fatal(err)
			}
			got, cred, err := wa.ValidatePasskeyLogin(handler, *session, parsed)
			if err != nil {
				t.Fatalf("passkey login refused: %v", err)
			}
			if got != webauthn.User(tc.want) || cred.Authenticator.SignCount != 2 {
				t.Errorf("got user %q with sign count %d; want %q with 2", got.WebAuthnName(), cred.Authenticator.SignCount, tc.want.name)
			}
		})
	}
}

// TestRelyingPartyRefuses checks answers the relying party must reject, each differing from a good
// ceremony in one way.
func TestRelyingPartyRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, why string // why is part of the refusal, so a refusal for another reason fails the test
		run       func(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user) error
	}{
		{"registration from another origin", "Received: " + evilOrigin, func(t *testing.T, wa *webauthn.WebAuthn, _ *Authenticator, _ *user) error {
			_, err := register(t, wa, New(), newUser("bob"), evilOrigin)
			return err
		}},
		{"registration without user verification", "flag not set", func(t *testing.T, wa *webauthn.WebAuthn, _ *Authenticator, _ *user) error {
			a := New()
			a.UserVerified = false
			_, err := register(t, wa, a, newUser("bob"), origin)
			return err
		}},
		{"login from another origin", "Received: " + evilOrigin, func(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user) error {
			_, err := login(t, wa, a, u, evilOrigin)
			return err
		}},
		{"login without user verification", "flag not set", func(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user) error {
			a.UserVerified = false
			_, err := login(t, wa, a, u, origin)
			return err
		}},
		{"answer replayed in another session", "Error validating challenge", func(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user) error {
			first, firstSession, err := wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
			if err != nil {
				t.Fatal(err)
			}
			_, secondSession, err := wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
			if err != nil {
				t.Fatal(err)
			}
			answer, err := a.Get(mustJSON(t, first), origin)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			validate := func(session *webauthn.SessionData) error {
				parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
				if err != nil {
					return err
				}
				_, err = wa.ValidateLogin(u, *session, parsed)
				return err
			}
			if err := validate(firstSession); err != nil {
				t.Fatalf("the answer was refused in its own session: %v", err)
			}
			return validate(secondSession)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wa, a, u := newRP(t), New(), newUser("alice")
			mustRegister(t, wa, a, u)
			err := tc.run(t, wa, a, u)
			if err == nil {
				t.Fatal("the relying party accepted it")
			}
			why := err.Error()
			if perr := (*protocol.Error)(nil); errors.As(err, &perr) {
				why += " (" + perr.DevInfo + ")"
			}
			if !strings.Contains(why, tc.why) {
				t.Fatalf("refused for the wrong reason: %s; want %q", why, tc.why)
			}
			t.Logf("refused: %s", why)
		})
	}
}

func TestCloneDetected(t *testing.T) {
	wa, a, u := newRP(t), New(), newUser("alice")
	mustRegister(t, wa, a, u)
	stolen := a.Clone()
	if cred, err := login(t, wa, a, u, origin); err != nil || cred.Authenticator.CloneWarning {
		t.Fatalf("original: err %v, cred %+v; want a clean login", err, cred)
	}
	cred, err := login(t, wa, stolen, u, origin)
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	if !cred.Authenticator.CloneWarning {
		t.Errorf("clone signed with count %d after the original's; want CloneWarning", cred.Authenticator.SignCount)
	}
}

// TestAuthenticatorRefuses checks the errors a browser would raise before the relying party sees anything.
func TestAuthenticatorRefuses(t *testing.T) {
	wa, a, u := newRP(t), New(), newUser("alice")
	mustRegister(t, wa, a, u)
	creation, _, err := wa.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	if err != nil {
		t.Fatal(err)
	}
	assertion, _, err := wa.BeginLogin(u)
	if err != nil {
		t.Fatal(err)
	}
	other := New()
	mustRegister(t, wa, other, newUser("bob"))

	for _, tc := range []struct {
		name, want string
		err        error
	}{
		{"excluded credential", "InvalidStateError", errOf(a.Create(mustJSON(t, creation), origin))},
		{"rpId foreign to the origin", "SecurityError", errOf(New().Create(mustJSON(t, creation), "http://example.com"))},
		{"no credentials at all", "NotAllowedError", errOf(New().Get(mustJSON(t, assertion), origin))},
		{"none of allowCredentials", "NotAllowedError", errOf(other.Get(mustJSON(t, assertion), origin))},
		{"credentials only for another rpId", "NotAllowedError", errOf(a.Get([]byte(`{"publicKey":{"challenge":"AAAAAAAAAAAAAAAAAAAAAA"}}`), "http://example.com"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
				t.Errorf("got %v, want a %s", tc.err, tc.want)
			}
		})
	}
}

func errOf(_ []byte, err error) error { return err }

// TestDefaultsAndShape checks the rpId default, and the toJSON members a relying party's JavaScript may
// read without go-webauthn's lenient parsing.
func TestDefaultsAndShape(t *testing.T) {
	wa, a, u := newRP(t), New(), newUser("alice")
	creation, session, err := wa.BeginRegistration(u)
	if err != nil {
		t.Fatal(err)
	}
	creation.Response.RelyingParty.ID = "" // the origin's host, localhost, must stand in
	answer, err := a.Create(mustJSON(t, creation), origin)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID, RawID, Type, AuthenticatorAttachment string
		ClientExtensionResults                   map[string]any
		Response                                 struct {
			ClientDataJSON string
			Transports     []string
		}
	}
	if err := json.Unmarshal(answer, &got); err != nil {
		t.Fatal(err)
	}
	clientData, err := base64.RawURLEncoding.DecodeString(got.Response.ClientDataJSON)
	if err != nil {
		t.Fatal(err)
	}
	wantClientData := `{"type":"webauthn.create","challenge":"` + creation.Response.Challenge.String() + `","origin":"` + origin + `","crossOrigin":false}`
	if string(clientData) != wantClientData {
		t.Errorf("clientDataJSON = %s, want %s", clientData, wantClientData)
	}
	if got.ID != got.RawID || got.Type != "public-key" || got.AuthenticatorAttachment != "platform" ||
		got.ClientExtensionResults == nil || len(got.Response.Transports) != 1 || got.Response.Transports[0] != "internal" {
		t.Errorf("answer has unexpected members: %s", answer)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wa.CreateCredential(u, *session, parsed); err != nil {
		t.Fatalf("registration with the default rpId refused: %v", err)
	}
}
