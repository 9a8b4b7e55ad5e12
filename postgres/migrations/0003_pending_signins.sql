-- A sign-in whose password was right and whose second factor is still to
-- come (CONTRACT §9): keyed by the SHA-256 of the token in the browser's
-- sesame_pending cookie, like sessions, and good for five minutes. The
-- generation is the user's at the password step: a change of the account
-- in between voids it.
CREATE TABLE pending_signins (
	hash       text        PRIMARY KEY,
	user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	generation bigint      NOT NULL,
	remember   boolean     NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX pending_signins_expires ON pending_signins (expires_at);
