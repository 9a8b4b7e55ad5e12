-- A sign-in whose password was right and whose second factor is still to
-- come (CONTRACT §9): keyed by the SHA-256 of the token in the browser's
-- sesame_pending cookie, like sessions, and good for five minutes. The
-- generation is the user's at the password step: a change of the account
-- in between voids it.
CREATE TABLE pending_signins (
	hash       TEXT    PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	generation INTEGER NOT NULL,
	remember   INTEGER NOT NULL CHECK (remember IN (0, 1)),
	expires_at INTEGER NOT NULL
);
CREATE INDEX pending_signins_expires ON pending_signins (expires_at);
