package account

import (
	"slices"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/session"
)

// FuzzSnapshot: what a session records of its user reads back as it was
// written, whatever the names hold, and a record that was not written by
// snapshot (truncated, grown, corrupt) is refused, never a panic or a
// different user.
func FuzzSnapshot(f *testing.F) {
	f.Add("alice", "customer", "cart.edit", int64(3), []byte{1, 0})
	f.Add("", "", "", int64(-1), []byte{})
	f.Add("a|b;c", "x,y", "z\x00", int64(1<<40), []byte{1, 6, 5, 'a'})
	f.Fuzz(func(t *testing.T, name, role, perm string, gen int64, junk []byte) {
		u := &sesame.User{ID: 7, Username: name, Roles: []string{role, role + "2"},
			Permissions: []sesame.Permission{sesame.Permission(perm)}, Generation: gen}
		factors := []sesame.Factor{sesame.FactorPassword, sesame.Factor(perm)}
		data, err := snapshot(u, factors)
		if err != nil {
			return // too large for a session
		}
		if got := FactorsOf(session.Session{ID: "s", UserID: "7", Data: data}); !slices.Equal(got, factors) {
			t.Fatalf("factors %v read back as %v", factors, got)
		}
		got, err := UserOf(session.Session{ID: "s", UserID: "7", Data: data})
		if err != nil || got.Username != name || got.Generation != gen || !slices.Equal(got.Roles, u.Roles) ||
			!slices.Equal(got.Permissions, u.Permissions) {
			t.Fatalf("snapshot of %+v read back as %+v, %v", u, got, err)
		}
		if len(junk) > 0 {
			if _, err := UserOf(session.Session{ID: "s", UserID: "7", Data: append(slices.Clone(data), junk...)}); err == nil {
				t.Fatalf("a record with %d bytes more was accepted", len(junk))
			}
		}
		if _, err := UserOf(session.Session{ID: "s", UserID: "7", Data: data[:len(data)-1]}); err == nil {
			t.Fatal("a truncated record was accepted")
		}
		_, _ = UserOf(session.Session{ID: "s", UserID: "7", Data: junk}) // anything: no panic
	})
}

// TestSnapshotV1: a session begun before second factors records a version
// 1 snapshot, which still reads, as a password alone (aal1).
func TestSnapshotV1(t *testing.T) {
	u := &sesame.User{ID: 7, Username: "alice", Roles: []string{"customer"}, Permissions: []sesame.Permission{"cart.edit"}}
	data, err := snapshot(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Version 1 is version 2 without the factor list (its count, 0).
	v1 := append([]byte{snapshotV1}, data[1:len(data)-1]...)
	s := session.Session{ID: "s", UserID: "7", Data: v1}
	got, err := UserOf(s)
	if err != nil || got.Username != "alice" || !slices.Equal(got.Roles, u.Roles) {
		t.Fatalf("UserOf(v1) = %+v, %v", got, err)
	}
	if f := FactorsOf(s); !slices.Equal(f, []sesame.Factor{sesame.FactorPassword}) || sesame.AssuranceOf(f) != sesame.AAL1 {
		t.Fatalf("FactorsOf(v1) = %v", f)
	}
}
