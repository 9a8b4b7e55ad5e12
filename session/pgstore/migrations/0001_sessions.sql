-- Sessions, keyed by the SHA-256 of their token.
--
-- Times are timestamptz: microseconds, finer than the millisecond the
-- Store contract asks for, and an operator can read and compare them with
-- now() in psql. NULL stands for a zero time ("none"): no previous token,
-- say.
--
-- id is compared byte by byte (COLLATE "C") whatever the database's
-- collation: List pages by (created_at, id) and must order ids the way Go
-- compares strings, which a linguistic collation does not.
CREATE TABLE sessions (
	hash             bytea PRIMARY KEY CHECK (octet_length(hash) = 32),
	prev_hash        bytea CHECK (octet_length(prev_hash) = 32),
	prev_valid_until timestamptz,
	id               text COLLATE "C" NOT NULL UNIQUE,
	user_id          text NOT NULL,
	created_at       timestamptz NOT NULL,
	last_seen_at     timestamptz NOT NULL,
	idle_expires_at  timestamptz NOT NULL,
	expires_at       timestamptz NOT NULL,
	ip               text NOT NULL,
	user_agent       text NOT NULL,
	last_ip          text NOT NULL,
	remember         boolean NOT NULL,
	authenticated_at timestamptz,
	token_issued_at  timestamptz,
	data             bytea
);

-- Get finds a session by its previous token too, until the next renewal.
CREATE UNIQUE INDEX sessions_prev_hash ON sessions (prev_hash) WHERE prev_hash IS NOT NULL;

-- Lists are newest first, everyone's or one user's; the user's index also
-- serves revoking all their sessions and finding the ones to evict.
CREATE INDEX sessions_user_created ON sessions (user_id, created_at, id);
CREATE INDEX sessions_created ON sessions (created_at, id);

-- The idle deadline is never later than the absolute one, so it alone
-- finds every dead session: Count and the sweep read this index only.
CREATE INDEX sessions_idle_expires_at ON sessions (idle_expires_at);
