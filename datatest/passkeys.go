package datatest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// newPasskey returns a passkey of user to add, with a credential id unique
// in the suite, created at when.
func newPasskey(userID int64, name string, when time.Time) account.Passkey {
	n := seq.Add(1)
	return account.Passkey{
		UserID:       userID,
		CredentialID: fmt.Appendf(nil, "credential-id-%d", n),
		Name:         name,
		Credential:   fmt.Appendf(nil, "public-key-and-counter-%d", n),
		CreatedAt:    when,
	}
}

// addPasskey adds p with room for plenty, and returns it as stored.
func addPasskey(t *testing.T, s Store, p account.Passkey) account.Passkey {
	t.Helper()
	got, err := s.AddPasskey(t.Context(), p, 100)
	if err != nil {
		t.Fatalf("AddPasskey(%q of user %d): %v", p.Name, p.UserID, err)
	}
	if got.ID == 0 {
		t.Fatalf("AddPasskey(%q) gave it no ID", p.Name)
	}
	p.ID = got.ID
	if !samePasskey(*got, p) {
		t.Fatalf("AddPasskey returned\n %+v\nwant what was added\n %+v", *got, p)
	}
	utc(t, "AddPasskey CreatedAt", got.CreatedAt)
	return *got
}

// samePasskey reports whether a and b are equal, field by field.
func samePasskey(a, b account.Passkey) bool {
	return a.ID == b.ID && a.UserID == b.UserID && bytes.Equal(a.CredentialID, b.CredentialID) &&
		a.Name == b.Name && bytes.Equal(a.Credential, b.Credential) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.LastUsedAt.Equal(b.LastUsedAt)
}

// passkeysOf returns the passkeys of user, which must be a list.
func passkeysOf(t *testing.T, s Store, userID int64) []account.Passkey {
	t.Helper()
	ps, err := s.Passkeys(t.Context(), userID)
	if err != nil {
		t.Fatalf("Passkeys(%d): %v", userID, err)
	}
	if ps == nil {
		t.Fatalf("Passkeys(%d) is nil; want a list", userID)
	}
	return ps
}

// wantPasskeys fails t unless user has exactly want, in that order.
func wantPasskeys(t *testing.T, s Store, userID int64, want ...account.Passkey) {
	t.Helper()
	got := passkeysOf(t, s, userID)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = samePasskey(got[i], want[i])
	}
	if !ok {
		t.Fatalf("Passkeys(%d) =\n %+v\nwant\n %+v", userID, got, want)
	}
}

// testPasskeyLifecycle: passkeys are listed oldest first, found by their
// credential id, renamed and used only as their ids say, and deleted one
// by one or all of a user's at once, never another user's.
func testPasskeyLifecycle(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := addUser(t, s, "customer"), addUser(t, s, "customer")
	wantPasskeys(t, s, u.ID)
	if got, err := s.PasskeyCounts(ctx, []int64{u.ID, other.ID, 1 << 40}); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("PasskeyCounts before any = %#v, %v; want an empty map", got, err)
	}
	if got, err := s.PasskeyCounts(ctx, nil); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("PasskeyCounts(nil) = %#v, %v; want an empty map", got, err)
	}

	laptop := addPasskey(t, s, newPasskey(u.ID, "laptop", at))
	phone := addPasskey(t, s, newPasskey(u.ID, "phone", at.Add(time.Second)))
	key := addPasskey(t, s, newPasskey(u.ID, "security key", at.Add(2*time.Second)))
	theirs := addPasskey(t, s, newPasskey(other.ID, "theirs", at))
	if ids := map[int64]bool{laptop.ID: true, phone.ID: true, key.ID: true, theirs.ID: true}; len(ids) != 4 {
		t.Fatalf("passkey ids %v; want four different ones", ids)
	}
	wantPasskeys(t, s, u.ID, laptop, phone, key)
	wantPasskeys(t, s, other.ID, theirs)
	for _, want := range []account.Passkey{phone, theirs} {
		got, err := s.PasskeyByCredentialID(ctx, want.CredentialID)
		if err != nil || !samePasskey(*got, want) {
			t.Fatalf("PasskeyByCredentialID(%q) = %+v, %v; want %+v", want.CredentialID, got, err, want)
		}
	}
	if _, err := s.PasskeyByCredentialID(ctx, []byte("no such credential")); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("PasskeyByCredentialID of an unknown id: %v, want ErrNotFound", err)
	}
	if got, err := s.PasskeyCounts(ctx, []int64{u.ID, other.ID, 1 << 40}); err != nil ||
		len(got) != 2 || got[u.ID] != 3 || got[other.ID] != 1 {
		t.Fatalf("PasskeyCounts = %v, %v; want %d: 3 and %d: 1", got, err, u.ID, other.ID)
	}

	renamed, err := s.RenamePasskey(ctx, u.ID, laptop.ID, "work laptop")
	laptop.Name = "work laptop"
	if err != nil || !samePasskey(*renamed, laptop) {
		t.Fatalf("RenamePasskey = %+v, %v; want %+v", renamed, err, laptop)
	}
	if _, err := s.RenamePasskey(ctx, u.ID, theirs.ID, "mine now"); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("RenamePasskey of another user's passkey: %v, want ErrNotFound", err)
	}
	if _, err := s.RenamePasskey(ctx, u.ID, 1<<40, "nothing"); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("RenamePasskey of an unknown passkey: %v, want ErrNotFound", err)
	}
	wantPasskeys(t, s, other.ID, theirs)

	used := at.Add(time.Hour)
	if err := s.UsePasskey(ctx, phone.ID, []byte("counter moved on"), used); err != nil {
		t.Fatalf("UsePasskey: %v", err)
	}
	phone.Credential, phone.LastUsedAt = []byte("counter moved on"), used
	got, err := s.PasskeyByCredentialID(ctx, phone.CredentialID)
	if err != nil || !samePasskey(*got, phone) {
		t.Fatalf("after UsePasskey: %+v, %v; want %+v", got, err, phone)
	}
	utc(t, "Passkey LastUsedAt", got.LastUsedAt)
	if err := s.UsePasskey(ctx, 1<<40, []byte("x"), used); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("UsePasskey of an unknown passkey: %v, want ErrNotFound", err)
	}
	wantPasskeys(t, s, u.ID, laptop, phone, key)

	if ok, err := s.DeletePasskey(ctx, u.ID, theirs.ID); err != nil || ok {
		t.Fatalf("DeletePasskey of another user's passkey = %v, %v; want false", ok, err)
	}
	wantPasskeys(t, s, other.ID, theirs)
	if ok, err := s.DeletePasskey(ctx, u.ID, phone.ID); err != nil || !ok {
		t.Fatalf("DeletePasskey = %v, %v; want true", ok, err)
	}
	if ok, err := s.DeletePasskey(ctx, u.ID, phone.ID); err != nil || ok {
		t.Fatalf("DeletePasskey again = %v, %v; want false", ok, err)
	}
	wantPasskeys(t, s, u.ID, laptop, key)
	if _, err := s.PasskeyByCredentialID(ctx, phone.CredentialID); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("PasskeyByCredentialID of a deleted passkey: %v, want ErrNotFound", err)
	}

	if n, err := s.DeletePasskeys(ctx, u.ID); err != nil || n != 2 {
		t.Fatalf("DeletePasskeys = %d, %v; want 2", n, err)
	}
	if n, err := s.DeletePasskeys(ctx, u.ID); err != nil || n != 0 {
		t.Fatalf("DeletePasskeys again = %d, %v; want 0", n, err)
	}
	wantPasskeys(t, s, u.ID)
	wantPasskeys(t, s, other.ID, theirs)
	if got, err := s.PasskeyCounts(ctx, []int64{u.ID, other.ID}); err != nil || len(got) != 1 || got[other.ID] != 1 {
		t.Fatalf("PasskeyCounts after DeletePasskeys = %v, %v; want only %d: 1", got, err, other.ID)
	}

	if _, err := s.AddPasskey(ctx, newPasskey(1<<40, "nobody's", at), 10); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("AddPasskey for an unknown user: %v, want ErrNotFound", err)
	}
}

// testPasskeyCredentialIDUnique: a credential id is stored once among every
// user's passkeys, also when many users add it at once; the refusal is a
// conflict, not the limit.
func testPasskeyCredentialIDUnique(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := addUser(t, s, "customer"), addUser(t, s, "customer")
	first := addPasskey(t, s, newPasskey(u.ID, "first", at))
	for _, userID := range []int64{u.ID, other.ID} {
		p := newPasskey(userID, "again", at)
		p.CredentialID = first.CredentialID
		_, err := s.AddPasskey(ctx, p, 10)
		if !errors.Is(err, sesame.ErrConflict) || errors.Is(err, account.ErrPasskeyLimit) {
			t.Errorf("AddPasskey of a stored credential id for user %d: %v, want ErrConflict, not ErrPasskeyLimit",
				userID, err)
		}
	}
	wantPasskeys(t, s, u.ID, first)
	wantPasskeys(t, s, other.ID)

	// Many users add one new credential id at once: one of them keeps it.
	shared := newPasskey(0, "shared", at).CredentialID
	users := make([]*sesame.User, 8)
	for i := range users {
		users[i] = addUser(t, s, "customer")
	}
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i, user := range users {
		wg.Go(func() {
			p := newPasskey(user.ID, "shared", at)
			p.CredentialID = shared
			_, errs[i] = s.AddPasskey(ctx, p, 10)
		})
	}
	wg.Wait()
	added := 0
	for _, err := range errs {
		switch {
		case err == nil:
			added++
		case !errors.Is(err, sesame.ErrConflict) || errors.Is(err, account.ErrPasskeyLimit):
			t.Errorf("AddPasskey of one credential id at once: %v, want nil or ErrConflict", err)
		}
	}
	got, err := s.PasskeyByCredentialID(ctx, shared)
	if added != 1 || err != nil {
		t.Fatalf("%d users added one credential id at once (found %+v, %v); want 1", added, got, err)
	}
	owners := 0
	for i, user := range users {
		if n := len(passkeysOf(t, s, user.ID)); n != 0 {
			owners++
			if errs[i] != nil || user.ID != got.UserID {
				t.Errorf("user %d has %d passkeys, the addition said %v, the credential id is user %d's",
					user.ID, n, errs[i], got.UserID)
			}
		}
	}
	if owners != 1 {
		t.Errorf("%d users have the shared credential id, want 1", owners)
	}
}

// testPasskeyLimit: a user with max passkeys gets no more (an error that
// is also a conflict) until one goes; other users have limits of their own.
func testPasskeyLimit(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := addUser(t, s, "customer"), addUser(t, s, "customer")
	var kept []account.Passkey
	for i := range 2 {
		p, err := s.AddPasskey(ctx, newPasskey(u.ID, fmt.Sprint("key ", i), at.Add(time.Duration(i)*time.Second)), 2)
		if err != nil {
			t.Fatalf("AddPasskey #%d of 2: %v", i+1, err)
		}
		kept = append(kept, *p)
	}
	refused := newPasskey(u.ID, "one too many", at.Add(time.Minute))
	_, err := s.AddPasskey(ctx, refused, 2)
	if !errors.Is(err, account.ErrPasskeyLimit) || !errors.Is(err, sesame.ErrConflict) {
		t.Fatalf("AddPasskey beyond the limit: %v, want ErrPasskeyLimit, which is ErrConflict", err)
	}
	if _, err := s.AddPasskey(ctx, refused, 1); !errors.Is(err, account.ErrPasskeyLimit) {
		t.Errorf("AddPasskey with a limit below the count: %v, want ErrPasskeyLimit", err)
	}
	wantPasskeys(t, s, u.ID, kept...)
	if _, err := s.PasskeyByCredentialID(ctx, refused.CredentialID); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("the refused passkey is found: %v, want ErrNotFound", err)
	}
	if _, err := s.AddPasskey(ctx, newPasskey(other.ID, "theirs", at), 2); err != nil {
		t.Errorf("AddPasskey for another user: %v", err)
	}
	if ok, err := s.DeletePasskey(ctx, u.ID, kept[0].ID); err != nil || !ok {
		t.Fatalf("DeletePasskey = %v, %v", ok, err)
	}
	again, err := s.AddPasskey(ctx, refused, 2)
	if err != nil {
		t.Fatalf("AddPasskey after deleting one: %v", err)
	}
	wantPasskeys(t, s, u.ID, kept[1], *again)
}

// testPasskeyLimitConcurrent: of many additions at once for one user, as
// many as the limit allows are kept, and the others are told why.
func testPasskeyLimitConcurrent(t *testing.T, s Store) {
	const tries, limit = 8, 3
	ctx := t.Context()
	u := addUser(t, s, "customer")
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			_, errs[i] = s.AddPasskey(ctx, newPasskey(u.ID, fmt.Sprint("key ", i), at), limit)
		})
	}
	wg.Wait()
	added := 0
	for _, err := range errs {
		switch {
		case err == nil:
			added++
		case !errors.Is(err, account.ErrPasskeyLimit):
			t.Errorf("AddPasskey at once: %v, want nil or ErrPasskeyLimit", err)
		}
	}
	if n := len(passkeysOf(t, s, u.ID)); added != limit || n != limit {
		t.Fatalf("%d additions at once with a limit of %d: %d succeeded and %d are stored, want %d and %d",
			tries, limit, added, n, limit, limit)
	}
}

// sameCeremony reports whether a and b are equal, field by field.
func sameCeremony(a, b account.Ceremony) bool {
	return a.Hash == b.Hash && a.UserID == b.UserID && a.Purpose == b.Purpose && bytes.Equal(a.Data, b.Data) &&
		a.ExpiresAt.Equal(b.ExpiresAt)
}

// testCeremony: a ceremony, with a user or none, is taken once, while it
// lives; an expired one is not given out and goes all the same; the sweep
// deletes those expired at or before its time and only those.
func testCeremony(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	register := account.Ceremony{Hash: "c-register", UserID: u.ID, Purpose: account.CeremonyRegister,
		Data: []byte(`{"challenge":"r"}`), ExpiresAt: at.Add(5 * time.Minute)}
	signIn := account.Ceremony{Hash: "c-sign-in", Purpose: account.CeremonySignIn,
		Data: []byte(`{"challenge":"s"}`), ExpiresAt: at.Add(5 * time.Minute)}
	second := account.Ceremony{Hash: "c-second", UserID: u.ID, Purpose: account.CeremonySecondFactor,
		Data: []byte(`{"challenge":"2"}`), ExpiresAt: at.Add(10 * time.Minute)}
	for _, c := range []account.Ceremony{register, signIn, second} {
		if err := s.CreateCeremony(ctx, c); err != nil {
			t.Fatalf("CreateCeremony(%s): %v", c.Hash, err)
		}
	}
	if err := s.CreateCeremony(ctx, account.Ceremony{Hash: "c-nobody", UserID: 1 << 40,
		Purpose: account.CeremonyRegister, Data: []byte("x"), ExpiresAt: at.Add(time.Minute)}); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("CreateCeremony for an unknown user: %v, want ErrNotFound", err)
	}
	again := signIn
	again.Data = []byte("another")
	if err := s.CreateCeremony(ctx, again); !errors.Is(err, sesame.ErrConflict) {
		t.Errorf("CreateCeremony of a stored hash: %v, want ErrConflict", err)
	}

	for _, want := range []account.Ceremony{register, signIn} {
		got, err := s.TakeCeremony(ctx, want.Hash, at)
		if err != nil || !sameCeremony(*got, want) {
			t.Fatalf("TakeCeremony(%s) = %+v, %v; want %+v", want.Hash, got, err, want)
		}
		utc(t, "Ceremony ExpiresAt", got.ExpiresAt)
		if got, err := s.TakeCeremony(ctx, want.Hash, at); !errors.Is(err, sesame.ErrNotFound) {
			t.Errorf("TakeCeremony(%s) again = %+v, %v; want ErrNotFound", want.Hash, got, err)
		}
	}
	if _, err := s.TakeCeremony(ctx, "c-unknown", at); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("TakeCeremony of an unknown hash: %v, want ErrNotFound", err)
	}

	// An expired ceremony, taken at its expiry, is not given out, and is
	// gone: not even a take with an earlier clock finds it.
	expired := account.Ceremony{Hash: "c-expired", UserID: u.ID, Purpose: account.CeremonyRegister,
		Data: []byte("e"), ExpiresAt: at.Add(time.Minute)}
	if err := s.CreateCeremony(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TakeCeremony(ctx, expired.Hash, expired.ExpiresAt); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("TakeCeremony at its expiry = %+v, %v; want ErrNotFound", got, err)
	}
	if got, err := s.TakeCeremony(ctx, expired.Hash, at); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("TakeCeremony of an expired ceremony, taken once already = %+v, %v; want ErrNotFound", got, err)
	}

	for i, expires := range []time.Time{at.Add(time.Minute), at.Add(2 * time.Minute), at.Add(3 * time.Minute)} {
		c := account.Ceremony{Hash: fmt.Sprint("c-sweep-", i), Purpose: account.CeremonySignIn, Data: []byte("d"),
			ExpiresAt: expires}
		if err := s.CreateCeremony(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteExpiredCeremonies(ctx, at.Add(2*time.Minute)); err != nil || n != 2 {
		t.Fatalf("DeleteExpiredCeremonies = %d, %v; want 2, those expiring at or before its time", n, err)
	}
	if n, err := s.DeleteExpiredCeremonies(ctx, at.Add(2*time.Minute)); err != nil || n != 0 {
		t.Fatalf("DeleteExpiredCeremonies again = %d, %v; want 0", n, err)
	}
	for _, want := range []account.Ceremony{second, {Hash: "c-sweep-2", Purpose: account.CeremonySignIn,
		Data: []byte("d"), ExpiresAt: at.Add(3 * time.Minute)}} {
		if got, err := s.TakeCeremony(ctx, want.Hash, at); err != nil || !sameCeremony(*got, want) {
			t.Errorf("TakeCeremony(%s) after the sweep = %+v, %v; want %+v", want.Hash, got, err, want)
		}
	}
	if _, err := s.TakeCeremony(ctx, "c-sweep-0", at); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("TakeCeremony of a swept ceremony: %v, want ErrNotFound", err)
	}
}

// testCeremonyTakeOnce: of many takes of one ceremony at once, exactly one
// gets it, as a replayed answer to another instance must not.
func testCeremonyTakeOnce(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	c := account.Ceremony{Hash: "c-once", UserID: u.ID, Purpose: account.CeremonySecondFactor,
		Data: []byte("once"), ExpiresAt: at.Add(time.Minute)}
	if err := s.CreateCeremony(ctx, c); err != nil {
		t.Fatal(err)
	}
	onceOfMany(t, "takes of one ceremony", func() (bool, error) {
		got, err := s.TakeCeremony(ctx, c.Hash, at)
		switch {
		case errors.Is(err, sesame.ErrNotFound):
			return false, nil
		case err != nil:
			return false, err
		case !sameCeremony(*got, c):
			return true, fmt.Errorf("TakeCeremony = %+v, want %+v", got, c)
		}
		return true, nil
	})
}
