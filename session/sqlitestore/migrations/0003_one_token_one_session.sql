-- A token opens at most one session: a hash may not be both one session's
-- current hash and another's previous one (Get would have to guess). The
-- primary key and the unique index each cover one column; these triggers
-- cover the pair, in the same statement that writes, so no race can slip
-- between a check and the write.
CREATE TRIGGER sessions_hash_unique_insert BEFORE INSERT ON sessions
WHEN EXISTS (SELECT 1 FROM sessions WHERE prev_hash = NEW.hash)
	OR (NEW.prev_hash IS NOT NULL AND EXISTS (SELECT 1 FROM sessions WHERE hash = NEW.prev_hash))
BEGIN
	SELECT RAISE(ABORT, 'session hash already in use');
END;

CREATE TRIGGER sessions_hash_unique_update BEFORE UPDATE OF hash, prev_hash ON sessions
WHEN EXISTS (SELECT 1 FROM sessions WHERE prev_hash = NEW.hash AND id <> NEW.id)
	OR (NEW.prev_hash IS NOT NULL AND EXISTS (SELECT 1 FROM sessions WHERE hash = NEW.prev_hash AND id <> NEW.id))
BEGIN
	SELECT RAISE(ABORT, 'session hash already in use');
END;
