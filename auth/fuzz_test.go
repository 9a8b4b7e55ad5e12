package auth

import (
	"net/netip"
	"testing"
)

// FuzzVerify: a stored hash of any shape is checked without a panic, and
// one that decodes never asks argon2 for more than the bounds allow (which
// would let a corrupt row take gigabytes at a login).
func FuzzVerify(f *testing.F) {
	good, err := Params{Memory: 64, Iterations: 1, Parallelism: 1}.Hash("correct horse")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, "", "$argon2id$", "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$$", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5"} {
		f.Add(seed, "correct horse")
	}
	f.Fuzz(func(t *testing.T, encoded, password string) {
		p, _, _, err := decode(encoded)
		if err != nil {
			return // refused before any work
		}
		if p.Memory > maxMemory || p.Iterations > maxIterations || p.Parallelism > maxParallelism {
			t.Fatalf("decode accepted %+v from %q", p, encoded)
		}
		if p.Memory > 1024 || p.Iterations > 4 {
			return // valid, but too dear to compute in a fuzz loop
		}
		_, _, _ = Params{Memory: 64, Iterations: 1, Parallelism: 1}.Verify(encoded, password)
	})
}

// FuzzThrottleAddr: the address a limit counts is stable (counting it
// again changes nothing) and an IPv4 client has one spelling only, however
// it was written.
func FuzzThrottleAddr(f *testing.F) {
	for _, seed := range []string{"192.0.2.1", "::ffff:192.0.2.1", "2001:db8::1", "fe80::1%eth0", "", "not an address", "::", "0.0.0.0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ip string) {
		k := ThrottleAddr(ip)
		if again := ThrottleAddr(k); again != k {
			t.Fatalf("ThrottleAddr(%q) = %q, and again %q", ip, k, again)
		}
		if a, err := netip.ParseAddr(ip); err == nil && (a.Is4() || a.Is4In6()) && k != a.Unmap().String() {
			t.Fatalf("ThrottleAddr(%q) = %q, want the IPv4 address %s", ip, k, a.Unmap())
		}
	})
}
