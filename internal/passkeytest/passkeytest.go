// Package passkeytest is a software WebAuthn authenticator and client for tests of a relying party.
//
// It plays both halves of a real passkey ceremony: the browser (which parses the relying party's options,
// builds clientDataJSON and serialises the result with PublicKeyCredential.toJSON) and a platform
// authenticator (which holds ECDSA P-256 keys, keeps a signature counter and signs). Tests can then drive
// registration and login end to end against the relying party's real verifier, with no browser and no
// hardware, and can forge the mistakes a relying party must reject (wrong origin, no user verification,
// cloned keys, replays) by changing one input.
//
// It follows WebAuthn Level 3 (https://www.w3.org/TR/webauthn-3/) only as far as such tests need: "none"
// attestation, ES256 only, no extensions. It is not a security boundary and must never be used outside tests.
package passkeytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Authenticator data flag bits (WebAuthn §6.1). BE and BS stay 0: the keys never leave this process, so
// they are neither backup eligible nor backed up, which is what a device-bound platform key reports.
const (
	flagUP = 0x01 // user present
	flagUV = 0x04 // user verified
	flagAT = 0x40 // attested credential data included
)

// coseES256 is the COSE algorithm identifier of ECDSA with SHA-256 (RFC 9053), the only one offered.
const coseES256 = -7

var b64 = base64.RawURLEncoding

// Authenticator is a software passkey authenticator and browser in one: it answers a relying party's
// creation and request options the way navigator.credentials.create/get and PublicKeyCredential.toJSON
// would. The methods are safe for concurrent use; UserVerified may only be changed between calls.
type Authenticator struct {
	// UserVerified sets the UV flag in the answers (default true via New). It is deliberately not checked
	// against the relying party's userVerification requirement, so that a test can prove the relying
	// party itself refuses an answer without user verification.
	UserVerified bool

	mu    sync.Mutex
	creds []*credential // in creation order, so the last match is the most recent
}

// credential is one discoverable credential source (WebAuthn §6.2): everything an authenticator stores
// about a key pair it created.
type credential struct {
	id         []byte
	rpID       string
	userHandle []byte
	key        *ecdsa.PrivateKey
	counter    uint32
}

// New returns an empty authenticator that performs user verification, like a platform authenticator
// whose user unlocks it with a fingerprint or PIN.
func New() *Authenticator {
	return &Authenticator{UserVerified: true}
}

// Clone returns an authenticator holding copies of a's credentials, counters included: a stolen copy,
// for clone-detection tests (after the original signs again, the copy's counter is behind).
func (a *Authenticator) Clone() *Authenticator {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := &Authenticator{UserVerified: a.UserVerified}
	for _, cr := range a.creds {
		cp := *cr // only the counter ever changes, so sharing ID, user handle and key is a faithful copy
		c.creds = append(c.creds, &cp)
	}
	return c
}

// descriptor is a PublicKeyCredentialDescriptorJSON, as found in excludeCredentials and allowCredentials.
// Its type is ignored: "public-key" is the only one defined.
type descriptor struct {
	ID b64bytes `json:"id"`
}

// b64bytes is a binary member of the JSON forms, which carry binary data as unpadded base64url.
type b64bytes []byte

// MarshalJSON encodes b as a base64url string without padding, as toJSON() does.
func (b b64bytes) MarshalJSON() ([]byte, error) { return json.Marshal(b64.EncodeToString(b)) }

// UnmarshalJSON decodes a base64url string. Padding is tolerated because some servers send it and
// browsers accept it.
func (b *b64bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	d, err := b64.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return fmt.Errorf("passkeytest: %q is not base64url: %w", s, err)
	}
	*b = d
	return nil
}

// Create answers options — the JSON the server sends, of the shape {"publicKey":{...}} as go-webauthn's
// protocol.CredentialCreation marshals — as a browser at origin would, and returns the JSON of the new
// credential in the PublicKeyCredential.toJSON() form, with "none" attestation, an ES256 key, transports
// ["internal"] and attachment "platform". The rp.id defaults to the origin's host. It refuses, like a
// browser's InvalidStateError, when an excludeCredentials entry is a credential this authenticator holds.
func (a *Authenticator) Create(options []byte, origin string) ([]byte, error) {
	var opts struct {
		PublicKey struct {
			RP struct {
				ID string `json:"id"`
			} `json:"rp"`
			User struct {
				ID b64bytes `json:"id"`
			} `json:"user"`
			Challenge        b64bytes `json:"challenge"`
			PubKeyCredParams []struct {
				Type string `json:"type"`
				Alg  int    `json:"alg"`
			} `json:"pubKeyCredParams"`
			ExcludeCredentials []descriptor `json:"excludeCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, fmt.Errorf("passkeytest: parse creation options: %w", err)
	}
	o := opts.PublicKey
	rpID, err := relyingPartyID(o.RP.ID, origin)
	if err != nil {
		return nil, err
	}
	if len(o.User.ID) < 1 || len(o.User.ID) > 64 { // §5.4.3: a user handle is 1 to 64 bytes
		return nil, fmt.Errorf("passkeytest: TypeError: user.id is %d bytes, want 1 to 64", len(o.User.ID))
	}
	// §5.1.3: an empty list means the defaults, which include ES256; otherwise ES256 must be asked for.
	es256 := len(o.PubKeyCredParams) == 0
	for _, p := range o.PubKeyCredParams {
		es256 = es256 || (p.Type == "public-key" && p.Alg == coseES256)
	}
	if !es256 {
		return nil, errors.New("passkeytest: NotSupportedError: pubKeyCredParams does not offer ES256 (-7)")
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if len(o.ExcludeCredentials) > 0 && a.find(rpID, o.ExcludeCredentials) != nil {
		return nil, errors.New("passkeytest: InvalidStateError: a credential in excludeCredentials is already registered")
	}
	clientData, err := collectClientData("webauthn.create", o.Challenge, origin)
	if err != nil {
		return nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cred := &credential{id: make([]byte, 32), rpID: rpID, userHandle: o.User.ID, key: key, counter: 1}
	rand.Read(cred.id) // crypto/rand.Read never fails
	point, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}

	// Attested credential data (§6.5.2): a zero AAGUID, as "none" attestation requires, the credential ID
	// behind its 16-bit length, then the public key as a COSE_Key: EC2 (1:2), ES256 (3:-7), P-256 (-1:1),
	// x (-2) and y (-3) taken from the uncompressed point 0x04||x||y.
	attested := bytes.Join([][]byte{make([]byte, 16), binary.BigEndian.AppendUint16(nil, uint16(len(cred.id))), // #nosec G115 -- ids are 32 bytes
		cred.id, cborHead(5, 5), cborInt(1), cborInt(2), cborInt(3), cborInt(coseES256), cborInt(-1), cborInt(1),
		cborInt(-2), cborBytes(point[1:33]), cborInt(-3), cborBytes(point[33:])}, nil)
	authData := authenticatorData(rpID, a.flags()|flagAT, cred.counter, attested)

	// Attestation object (§6.5.4) with the "none" format (§8.7): {"fmt":"none","attStmt":{},"authData":…},
	// keys already in CTAP2 canonical order (shorter first).
	attObj := bytes.Join([][]byte{cborHead(5, 3), cborText("fmt"), cborText("none"), cborText("attStmt"),
		cborHead(5, 0), cborText("authData"), cborBytes(authData)}, nil)

	a.creds = append(a.creds, cred)
	// AuthenticatorAttestationResponseJSON (§5.2.1) also carries authenticatorData, publicKey (SPKI DER)
	// and publicKeyAlgorithm, for relying parties that skip CBOR; a browser's toJSON always sends them.
	return credentialJSON(cred.id, struct {
		ClientDataJSON     b64bytes `json:"clientDataJSON"`
		AuthenticatorData  b64bytes `json:"authenticatorData"`
		Transports         []string `json:"transports"`
		PublicKey          b64bytes `json:"publicKey"`
		PublicKeyAlgorithm int      `json:"publicKeyAlgorithm"`
		AttestationObject  b64bytes `json:"attestationObject"`
	}{clientData, authData, []string{"internal"}, spki, coseES256, attObj})
}

// Get answers request options ({"publicKey":{...}} as protocol.CredentialAssertion marshals) from origin,
// and returns the assertion JSON in the PublicKeyCredential.toJSON() form, user handle included. The
// credential is the most recently created one for the rpId (default: the origin's host) among those in
// allowCredentials, or among all when allowCredentials is empty (a discoverable login). Each Get adds 1 to
// that credential's counter. It fails, like a browser's NotAllowedError, when no credential fits.
func (a *Authenticator) Get(options []byte, origin string) ([]byte, error) {
	var opts struct {
		PublicKey struct {
			Challenge        b64bytes     `json:"challenge"`
			RPID             string       `json:"rpId"`
			AllowCredentials []descriptor `json:"allowCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, fmt.Errorf("passkeytest: parse request options: %w", err)
	}
	o := opts.PublicKey
	rpID, err := relyingPartyID(o.RPID, origin)
	if err != nil {
		return nil, err
	}
	clientData, err := collectClientData("webauthn.get", o.Challenge, origin)
	if err != nil {
		return nil, err
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	cred := a.find(rpID, o.AllowCredentials)
	if cred == nil {
		return nil, fmt.Errorf("passkeytest: NotAllowedError: no credential for %q fits the request", rpID)
	}
	cred.counter++ // before signing, so even an answer the test throws away moves the counter on
	authData := authenticatorData(rpID, a.flags(), cred.counter, nil)
	// §6.3.3: the assertion signature is over authenticatorData || SHA-256(clientDataJSON).
	clientHash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(bytes.Clone(authData), clientHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, cred.key, digest[:])
	if err != nil {
		return nil, err
	}
	return credentialJSON(cred.id, struct {
		ClientDataJSON    b64bytes `json:"clientDataJSON"`
		AuthenticatorData b64bytes `json:"authenticatorData"`
		Signature         b64bytes `json:"signature"`
		UserHandle        b64bytes `json:"userHandle"`
	}{clientData, authData, sig, cred.userHandle})
}

// find returns the most recently created credential for rpID, restricted to the IDs in allow unless
// allow is empty. The caller holds a.mu.
func (a *Authenticator) find(rpID string, allow []descriptor) *credential {
	for i := len(a.creds) - 1; i >= 0; i-- {
		c := a.creds[i]
		if c.rpID == rpID && (len(allow) == 0 || slices.ContainsFunc(allow, func(d descriptor) bool { return bytes.Equal(d.ID, c.id) })) {
			return c
		}
	}
	return nil
}

// flags returns UP, plus UV when the authenticator is set to verify the user. The caller holds a.mu.
func (a *Authenticator) flags() byte {
	if a.UserVerified {
		return flagUP | flagUV
	}
	return flagUP
}

// relyingPartyID returns the RP ID a browser would use at origin: the given one, or else the origin's
// host. Like a browser (§5.1.3 step 8) it refuses an RP ID that is neither the host nor a parent domain of
// it, so a test that misconfigures the relying party fails here rather than with a confusing hash error.
func relyingPartyID(given, origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("passkeytest: origin %q is not scheme://host[:port]", origin)
	}
	host := u.Hostname()
	if given == "" {
		return host, nil
	}
	if host != given && !strings.HasSuffix(host, "."+given) {
		return "", fmt.Errorf("passkeytest: SecurityError: rpId %q is not a registrable suffix of origin %q", given, origin)
	}
	return given, nil
}

// collectClientData builds clientDataJSON (§5.8.1) in the member order browsers emit. The challenge is
// decoded and re-encoded, as a browser does on its way from the options' bytes to the client data.
func collectClientData(typ string, challenge []byte, origin string) ([]byte, error) {
	if len(challenge) == 0 {
		return nil, errors.New("passkeytest: TypeError: options have no challenge")
	}
	return json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{typ, b64.EncodeToString(challenge), origin, false})
}

// authenticatorData lays out §6.1: SHA-256(rpId), flags, a big-endian 32-bit counter, then any attested
// credential data.
func authenticatorData(rpID string, flags byte, counter uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	b := append(h[:], flags)
	b = binary.BigEndian.AppendUint32(b, counter)
	return append(b, attested...)
}

// credentialJSON wraps a response in the PublicKeyCredential toJSON() members shared by both ceremonies.
func credentialJSON(id []byte, response any) ([]byte, error) {
	return json.Marshal(struct {
		ID                      string   `json:"id"`
		RawID                   b64bytes `json:"rawId"`
		Type                    string   `json:"type"`
		Response                any      `json:"response"`
		ClientExtensionResults  struct{} `json:"clientExtensionResults"`
		AuthenticatorAttachment string   `json:"authenticatorAttachment"`
	}{ID: b64.EncodeToString(id), RawID: id, Type: "public-key", Response: response,
		AuthenticatorAttachment: "platform"})
}

// CBOR (RFC 8949) is hand-encoded: the few shapes needed are fixed, and writing them directly keeps them in
// CTAP2 canonical form without a dependency. cborHead encodes a major type with its argument n.
func cborHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n <= 0xff:
		return []byte{m | 24, byte(n)}
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16([]byte{m | 25}, uint16(n))
	default:
		return binary.BigEndian.AppendUint32([]byte{m | 26}, uint32(n)) // #nosec G115 -- the values written here are lengths and small keys, far below 2^32
	}
}

// cborInt encodes a small integer: major type 0 for n >= 0, major type 1 (meaning -1-arg) below.
func cborInt(n int) []byte {
	if n >= 0 {
		return cborHead(0, uint64(n))
	}
	return cborHead(1, uint64(-1-n))
}

// cborBytes encodes a byte string (major type 2).
func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }

// cborText encodes a text string (major type 3).
func cborText(s string) []byte { return append(cborHead(3, uint64(len(s))), s...) }
