-- Address failures count in a sliding window (auth.IPWindow) instead of a
-- fixed one opened by the first failure: a fixed window let an address fail
-- 20 times at the end of one window and 20 more at the start of the next.
-- Counting "the failures of the last minute" needs the time of each, so
-- the table keeps one row per failure instead of a count.
--
-- The old counts cannot say when their failures happened and are dropped:
-- at the upgrade an address loses at most the one minute of failures it
-- had, once.
DROP TABLE login_ip_failures;

-- No key: several failures from one address in the same millisecond are
-- several failures. Rows that have left the window no longer count; the
-- periodic cleanup deletes them (auth.Service.PruneLoginFailures).
CREATE TABLE login_ip_failures (
	ip TEXT    NOT NULL,
	at INTEGER NOT NULL
) STRICT;

-- Counting an address's failures after a time, and finding the oldest of
-- them, is one range of this index.
CREATE INDEX login_ip_failures_ip_at ON login_ip_failures (ip, at);
