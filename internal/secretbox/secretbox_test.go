package secretbox_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sesamehq/sesame/internal/secretbox"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, secretbox.KeySize)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := box.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user 1"))
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("the sealed secret holds the plain text")
	}
	got, err := box.Open(sealed, []byte("user 1"))
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := secretbox.New(bytes.Repeat([]byte{8}, secretbox.KeySize))
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	for _, tc := range []struct {
		name   string
		box    *secretbox.Box
		sealed []byte
		ad     string
	}{
		{"other user", box, sealed, "user 2"},
		{"other key", other, sealed, "user 1"},
		{"changed byte", box, flipped, "user 1"},
		{"too short", box, sealed[:5], "user 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.box.Open(tc.sealed, []byte(tc.ad)); !errors.Is(err, secretbox.ErrOpen) {
				t.Fatalf("Open = %v, want ErrOpen", err)
			}
		})
	}
	if _, err := secretbox.New(key[:16]); err == nil {
		t.Fatal("New took a 16-byte key")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sesame.key")
	key, created, err := secretbox.LoadOrCreateKey(path)
	if err != nil || !created || len(key) != secretbox.KeySize {
		t.Fatalf("first start: %d bytes, created %v, %v", len(key), created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	again, created, err := secretbox.LoadOrCreateKey(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Fatalf("second start: created %v, same key %v, %v", created, bytes.Equal(again, key), err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := secretbox.LoadOrCreateKey(path); err == nil {
		t.Fatal("a world-readable key file was taken")
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	if err := os.WriteFile(bad, []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := secretbox.LoadOrCreateKey(bad); err == nil {
		t.Fatal("a key file without a key was taken")
	}
}

// TestLoadOrCreateKeyRace: processes that start at once on a new database
// all end with the one key that one of them made, never half a key.
func TestLoadOrCreateKeyRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sesame.key")
	const n = 8
	keys := make([][]byte, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			keys[i], created[i], err = secretbox.LoadOrCreateKey(path)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	makers := 0
	for i := range n {
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("start %d read another key", i)
		}
		if created[i] {
			makers++
		}
	}
	if makers != 1 {
		t.Errorf("%d starts made the key, want 1", makers)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only the key", len(entries))
	}
}
