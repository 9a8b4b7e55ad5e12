-- Second factors (CONTRACT §9). A user has at most one TOTP authenticator;
-- its secret is sealed with AES-GCM under the server's key file before it
-- gets here. last_step is the latest time step whose code was accepted, so
-- that no code is accepted twice, by this instance or another.
CREATE TABLE totp_factors (
	user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret     bytea       NOT NULL,
	confirmed  boolean     NOT NULL DEFAULT false,
	last_step  bigint      NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL
);

-- Recovery codes are kept as SHA-256 hashes (they hold 80 random bits, so
-- a fast hash is enough); used_at is NULL until the code is used.
CREATE TABLE recovery_codes (
	user_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash    text        NOT NULL,
	used_at timestamptz,
	PRIMARY KEY (user_id, hash)
);
