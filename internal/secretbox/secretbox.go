// Package secretbox seals small secrets for storage (the TOTP secrets of
// CONTRACT §9) with AES-256-GCM under a key kept outside the database, so
// that a copy of the database alone does not give them away.
package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// Box seals and opens secrets under one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns the Box of key, which must be KeySize bytes.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: the key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal returns plain encrypted and authenticated together with ad, which is
// not stored but must be given again to Open: binding a secret to what it
// belongs to (a user id) means a row copied onto another user does not
// open. The nonce is random and comes first.
func (b *Box) Seal(plain, ad []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	return b.aead.Seal(nonce, nonce, plain, ad)
}

// ErrOpen says that a sealed secret did not open: the key is not the one it
// was sealed with, ad differs, or the bytes were changed.
var ErrOpen = errors.New("secretbox: the secret does not open under this key")

// Open returns the secret that Seal sealed with ad, or ErrOpen.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// LoadOrCreateKey reads the key in the file at path: KeySize bytes in hex,
// on one line. When there is no such file it creates one, mode 0600, with a
// new random key, and reports so. A file that others than its owner may
// read or write is refused, as ssh refuses such a private key: the key is
// what keeps the secrets secret.
//
// Several processes may start at once on a new database and so race to
// make its key file: the key is written in full to a file of its own
// first, then linked into place, which only one of them can do; the others
// read the winner's key. So no process reads half a key, and all end with
// the same one.
func LoadOrCreateKey(path string) (key []byte, created bool, err error) {
	key, err = readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key = make([]byte, KeySize)
	_, _ = rand.Read(key)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sesame-key-*") // mode 0600
	if err != nil {
		return nil, false, fmt.Errorf("secret key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return nil, false, fmt.Errorf("secret key file %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		key, err = readKey(path) // another process made it first
		return key, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("secret key file: %w", err)
	}
	return key, true, nil
}

// readKey reads the key file at path; a missing file matches
// fs.ErrNotExist.
func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the operator names the key file
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s: mode %04o lets others read it; chmod 600 it", path, info.Mode().Perm())
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("secret key file %s: want %d bytes in hex on one line", path, KeySize)
	}
	return key, nil
}
