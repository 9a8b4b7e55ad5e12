-- Second factors (CONTRACT §9). A user has at most one TOTP authenticator;
-- its secret is sealed with AES-GCM under the server's key file before it
-- gets here. last_step is the latest time step whose code was accepted, so
-- that no code is accepted twice, by this process or another.
CREATE TABLE totp_factors (
	user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret     BLOB    NOT NULL,
	confirmed  INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
	last_step  INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

-- Recovery codes are kept as SHA-256 hashes (they hold 80 random bits, so
-- a fast hash is enough); used_at is 0 until the code is used.
CREATE TABLE recovery_codes (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash    TEXT    NOT NULL,
	used_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, hash)
);
