package auth

import (
	"errors"
	"strings"
	"testing"
)

// cheap keeps the tests fast; one test below uses DefaultParams.
var cheap = Params{Memory: 64, Iterations: 1, Parallelism: 1}

func TestHashVerifyRoundTrip(t *testing.T) {
	for _, p := range []Params{cheap, DefaultParams} {
		h, err := p.Hash("correct horse battery staple")
		if err != nil {
			t.Fatalf("Hash(%+v): %v", p, err)
		}
		ok, rehash, err := p.Verify(h, "correct horse battery staple")
		if err != nil || !ok || rehash {
			t.Errorf("Verify(own hash) with %+v = ok %v, rehash %v, err %v; want true, false, nil", p, ok, rehash, err)
		}
		ok, rehash, err = p.Verify(h, "correct horse battery stapler")
		if err != nil || ok || rehash {
			t.Errorf("Verify(wrong password) with %+v = ok %v, rehash %v, err %v; want false, false, nil", p, ok, rehash, err)
		}
	}
}

func TestHashFormat(t *testing.T) {
	h, err := DefaultParams.Hash("pässwörd")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(h, prefix) {
		t.Errorf("hash %q does not start with %q", h, prefix)
	}
	parts := strings.Split(h, "$")
	// 16-byte salt and 32-byte key in unpadded base64: 22 and 43 characters.
	if len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Errorf("hash %q: want a 22-character salt and a 43-character key", h)
	}
}

func TestHashesOfOnePasswordDiffer(t *testing.T) {
	a, err := cheap.Hash("same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := cheap.Hash("same password")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

func TestVerifyReportsRehash(t *testing.T) {
	old := Params{Memory: 64, Iterations: 1, Parallelism: 1}
	h, err := old.Hash("hunter2hunter2")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Params{
		{Memory: 128, Iterations: 1, Parallelism: 1},
		{Memory: 64, Iterations: 2, Parallelism: 1},
		{Memory: 64, Iterations: 1, Parallelism: 2},
	} {
		ok, rehash, err := p.Verify(h, "hunter2hunter2")
		if err != nil || !ok || !rehash {
			t.Errorf("Verify of a %+v hash with %+v = ok %v, rehash %v, err %v; want true, true, nil", old, p, ok, rehash, err)
		}
		// A wrong password never asks for a rehash: there is nothing to hash.
		if ok, rehash, _ := p.Verify(h, "wrong"); ok || rehash {
			t.Errorf("Verify(wrong) with %+v = ok %v, rehash %v; want false, false", p, ok, rehash)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	good, err := cheap.Hash("password")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	with := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"bcrypt", "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"version 16", strings.Replace(good, "v=19", "v=16", 1)},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"too few fields", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"too many fields", good + "$x"},
		{"missing param", with("m=64,t=1")},
		{"params out of order", with("t=1,m=64,p=1")},
		{"negative memory", with("m=-64,t=1,p=1")},
		{"memory with sign", with("m=+64,t=1,p=1")},
		{"memory with leading zero", with("m=064,t=1,p=1")},
		{"memory overflows uint32", with("m=4294967360,t=1,p=1")},
		{"memory in GiB", with("m=4194304,t=1,p=1")},
		{"memory too small for lanes", with("m=8,t=1,p=2")},
		{"zero iterations", with("m=64,t=0,p=1")},
		{"iterations in thousands", with("m=64,t=5000,p=1")},
		{"zero parallelism", with("m=64,t=1,p=0")},
		{"parallelism overflows uint8", with("m=4096,t=1,p=257")},
		{"parallelism absurd", with("m=4096,t=1,p=255")},
		{"bad salt base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA"},
		{"empty key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := cheap.Verify(tt.encoded, "password")
			if !errors.Is(err, ErrMalformedHash) || ok || rehash {
				t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrMalformedHash", tt.encoded, ok, rehash, err)
			}
		})
	}
}

func TestTamperedKeyDoesNotVerify(t *testing.T) {
	h, err := cheap.Hash("password")
	if err != nil {
		t.Fatal(err)
	}
	// Flip one character of the key to another valid base64 digit.
	b := []byte(h)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	if ok, _, err := cheap.Verify(string(b), "password"); ok || err != nil {
		t.Errorf("Verify(tampered key) = %v, %v; want false, nil", ok, err)
	}
}

func TestHashRefusesBadParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Iterations: 0, Parallelism: 1},
		{Memory: 64, Iterations: 1, Parallelism: 0},
		{Memory: 4, Iterations: 1, Parallelism: 1},
		{Memory: 1 << 30, Iterations: 1, Parallelism: 1},
		{Memory: 64, Iterations: 1000, Parallelism: 1},
	} {
		if h, err := p.Hash("password"); err == nil {
			t.Errorf("Hash with %+v = %q, nil; want an error", p, h)
		}
	}
}
