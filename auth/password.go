package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the cost parameters of argon2id. Raising them makes every
// guess of an attacker who stole the password hashes dearer, and every login
// dearer too; Verify reports hashes made with other parameters so that they
// are upgraded at the next successful login (CONTRACT §6).
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
}

// DefaultParams are OWASP's recommended minimum for argon2id (19 MiB, two
// passes, one lane): about 20–50 ms on a server core, which a login can
// afford and an offline attacker feels.
var DefaultParams = Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1}

// Fixed parts of every hash this package makes.
const (
	saltLen = 16 // bytes, from crypto/rand
	keyLen  = 32 // bytes of derived key
)

// Bounds on parameters, whether configured or read from a stored hash. The
// upper bounds are what keeps a tampered or corrupt row (say m=4194304 or
// t=100000) from making one login allocate gigabytes or spin for minutes:
// such a hash is refused as malformed before any work is done. They sit far
// above anything sensible for an interactive login.
const (
	maxMemory      = 256 * 1024 // KiB: 256 MiB
	maxIterations  = 64
	maxParallelism = 16
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 64
)

// ErrMalformedHash reports a stored password hash that this package cannot
// read or refuses to compute: not argon2id, another version, parameters out
// of bounds, or bad base64. It is a fault in the data, not a wrong password.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// validate refuses parameters that argon2 cannot use (it panics on zero
// passes or lanes) or that exceed the bounds above.
func (p Params) validate() error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("auth: argon2 iterations %d: want 1 to %d", p.Iterations, maxIterations)
	case p.Parallelism < 1 || p.Parallelism > maxParallelism:
		return fmt.Errorf("auth: argon2 parallelism %d: want 1 to %d", p.Parallelism, maxParallelism)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemory:
		// argon2 needs at least 8 KiB per lane.
		return fmt.Errorf("auth: argon2 memory %d KiB: want %d to %d", p.Memory, 8*uint32(p.Parallelism), maxMemory)
	}
	return nil
}

// Hash returns the argon2id hash of password with a fresh random salt, in
// the PHC string format other argon2 libraries read:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in unpadded standard base64. Two hashes of one password
// differ, so equal passwords cannot be spotted in a stolen table.
func (p Params) Hash(password string) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, keyLen)
	return encode(p, salt, key), nil
}

func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches encoded, a hash made by Hash with
// any parameters. When it matches, rehash reports whether encoded was made
// with other parameters (or salt or key lengths) than p, so that the caller
// can store a fresh p.Hash(password) while it holds the password in hand.
//
// The comparison takes the same time wherever the keys differ. A malformed
// or out-of-bounds encoding is an error matching ErrMalformedHash, never a
// panic, and costs no hashing.
func (p Params) Verify(encoded, password string) (ok, rehash bool, err error) {
	hp, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, hp.Iterations, hp.Memory, hp.Parallelism, uint32(len(key))) // #nosec G115 -- decode bounds len(key) to 16..64
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, hp != p || len(salt) != saltLen || len(key) != keyLen, nil
}

// decode parses a PHC argon2id string strictly: exactly the fields Hash
// writes, in its order, decimal numbers without signs or padding, and
// canonical unpadded base64.
func decode(encoded string) (Params, []byte, []byte, error) {
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformedHash)
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok || v != strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, fmt.Errorf("%w: argon2 version %q", ErrMalformedHash, parts[2])
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return Params{}, nil, nil, fmt.Errorf("%w: parameters %q", ErrMalformedHash, parts[3])
	}
	m, err1 := field(fields[0], "m=", 32)
	t, err2 := field(fields[1], "t=", 32)
	par, err3 := field(fields[2], "p=", 8)
	if err := errors.Join(err1, err2, err3); err != nil {
		return Params{}, nil, nil, err
	}
	p := Params{Memory: uint32(m), Iterations: uint32(t), Parallelism: uint8(par)} // #nosec G115 -- field parsed m and t with bitSize 32 and p with 8: each fits
	if err := p.validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return Params{}, nil, nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return Params{}, nil, nil, fmt.Errorf("%w: key", ErrMalformedHash)
	}
	return p, salt, key, nil
}

// field reads "name=<decimal>" into an unsigned integer of bits bits.
// ParseUint refuses signs, spaces and overflow, so "m=-1" or
// "m=99999999999" cannot wrap around into something that passes validate.
func field(s, name string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, fmt.Errorf("%w: parameter %q", ErrMalformedHash, s)
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: parameter %q", ErrMalformedHash, s)
	}
	return n, nil
}
