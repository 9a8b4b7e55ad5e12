-- Passkeys (WebAuthn credentials): a sign-in without a password, or the
-- second factor after one, as the SQLite schema keeps them after its
-- seventh migration. A user may have several (one per authenticator), up
-- to the account service's limit, which AddPasskey enforces under a lock
-- of the user's row, so that instances adding at once never pass it.
--
-- credential_id is the authenticator's id of the credential, by which a
-- sign-in finds it: unique among every user's passkeys, since a sign-in
-- with a passkey alone names no user. credential is what the WebAuthn
-- checks need (public key, signature counter, flags), encoded by the
-- account service and kept as it is; a sign-in rewrites it with the new
-- counter. last_used_at is NULL until the passkey first signs a user in.
CREATE TABLE passkeys (
	id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	credential_id bytea       NOT NULL CHECK (length(credential_id) > 0),
	name          text        NOT NULL,
	credential    bytea       NOT NULL,
	created_at    timestamptz NOT NULL,
	last_used_at  timestamptz,
	CONSTRAINT passkeys_credential_id_unique UNIQUE (credential_id)
);

-- A user's passkeys are listed, counted and deleted through this index.
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A WebAuthn ceremony between its two halves: the server's challenge and
-- what the answer must match, kept in the database rather than in one
-- instance's memory so that any instance can finish a ceremony another
-- began. Keyed by the SHA-256 of the challenge, which the answer carries
-- back, and taken (read and deleted) once. user_id is NULL for a sign-in
-- with a passkey alone, whose user the answer names; otherwise it must
-- name a user, and goes with them. data is the WebAuthn library's session
-- data, encoded by the account service.
CREATE TABLE webauthn_ceremonies (
	hash       text        PRIMARY KEY,
	user_id    bigint      REFERENCES users (id) ON DELETE CASCADE,
	purpose    text        NOT NULL CHECK (purpose IN ('register', 'sign_in', 'second_factor')),
	data       bytea       NOT NULL,
	expires_at timestamptz NOT NULL
);

-- The periodic sweep of abandoned ceremonies is one range of this index.
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies (expires_at);
