-- Passkeys (WebAuthn credentials): a sign-in without a password, or the
-- second factor after one. A user may have several (one per authenticator),
-- up to the account service's limit, which AddPasskey enforces inside its
-- write transaction. AUTOINCREMENT, as for users and orders: a passkey id
-- is never given out twice, so that a page left open on a deleted passkey
-- can never rename or delete the user's next one.
--
-- credential_id is the authenticator's id of the credential, by which a
-- sign-in finds it: unique among every user's passkeys, since a sign-in
-- with a passkey alone names no user. credential is what the WebAuthn
-- checks need (public key, signature counter, flags), encoded by the
-- account service and kept as it is; a sign-in rewrites it with the new
-- counter. last_used_at is NULL until the passkey first signs a user in.
CREATE TABLE passkeys (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	credential_id BLOB    NOT NULL UNIQUE CHECK (length(credential_id) > 0),
	name          TEXT    NOT NULL,
	credential    BLOB    NOT NULL,
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER
) STRICT;

-- A user's passkeys are listed, counted and deleted through this index.
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A WebAuthn ceremony between its two halves: the server's challenge and
-- what the answer must match, kept here rather than in one process's memory
-- so that any instance can finish a ceremony another began. Keyed by the
-- SHA-256 of the challenge, which the answer carries back, and taken (read
-- and deleted) once. user_id is NULL for a sign-in with a passkey alone,
-- whose user the answer names; otherwise it must name a user, and goes
-- with them. data is the WebAuthn library's session data, encoded by the
-- account service.
CREATE TABLE webauthn_ceremonies (
	hash       TEXT    NOT NULL PRIMARY KEY,
	user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
	purpose    TEXT    NOT NULL CHECK (purpose IN ('register', 'sign_in', 'second_factor')),
	data       BLOB    NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;

-- The periodic sweep of abandoned ceremonies is one range of this index.
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies (expires_at);
