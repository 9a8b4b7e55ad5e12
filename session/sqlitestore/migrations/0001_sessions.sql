-- The sessions table as the first versions of sesame created it, without a
-- versions table: IF NOT EXISTS lets a database from those versions take its
-- place at version 1 as it is.
--
-- The idle deadline is indexed because it is never later than the absolute
-- one, so it alone finds every dead session.
CREATE TABLE IF NOT EXISTS sessions (
	hash            BLOB PRIMARY KEY CHECK (length(hash) = 32),
	id              TEXT NOT NULL UNIQUE,
	user_id         TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	last_seen_at    INTEGER NOT NULL,
	idle_expires_at INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	ip              TEXT NOT NULL,
	user_agent      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_idle_expires_at ON sessions (idle_expires_at);
