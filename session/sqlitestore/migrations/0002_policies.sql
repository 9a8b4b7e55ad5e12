-- Periodic renewal keeps the hash of the token it replaced (found by Get as
-- well as the current one, so a unique index, only over the rows that have
-- one); sessions gain what remembering, re-authentication and the program's
-- own data need. Sessions from before count as authenticated and issued at
-- their sign-in, which they were.
ALTER TABLE sessions ADD COLUMN prev_hash BLOB CHECK (prev_hash IS NULL OR length(prev_hash) = 32);
ALTER TABLE sessions ADD COLUMN prev_valid_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN remember INTEGER NOT NULL DEFAULT 0 CHECK (remember IN (0, 1));
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN token_issued_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN data BLOB;
UPDATE sessions SET authenticated_at = created_at, token_issued_at = created_at, last_ip = ip;

CREATE UNIQUE INDEX sessions_prev_hash ON sessions (prev_hash) WHERE prev_hash IS NOT NULL;

-- Lists are newest first, everyone's or one user's; the user's index also
-- serves revoking all their sessions and evicting the least recently used.
DROP INDEX sessions_user_id;
CREATE INDEX sessions_user_created ON sessions (user_id, created_at, id);
CREATE INDEX sessions_created ON sessions (created_at, id);
