-- What the admin pages and the command line manage: a user may be disabled,
-- their latest sign-in is shown, and every change that ends their sessions
-- (roles, password, disabling) counts in generation, by which a sign-in that
-- raced such a change finds out (account.Service.SignIn). 0 stands for "never"
-- in last_login_at.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
ALTER TABLE users ADD COLUMN last_login_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

-- An admin's change to another user names them as its target; a user's own
-- trail shows what was done to them as well as what they did. target_id has
-- no foreign key, like user_id.
ALTER TABLE audit_events ADD COLUMN target_id INTEGER;
ALTER TABLE audit_events ADD COLUMN target_name TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_events_target ON audit_events (target_id, id) WHERE target_id IS NOT NULL;

-- The admin trail filters by action, and the retention sweep deletes by
-- time: each through an index, never a scan of the whole trail.
CREATE INDEX audit_events_action ON audit_events (action, id);
CREATE INDEX audit_events_time ON audit_events (time);

-- Login throttling counts each attempt before its password is checked and
-- takes it back on success; the attempt's own row is named by its rowid.
-- The time indexes serve the periodic pruning.
CREATE INDEX login_ip_failures_at ON login_ip_failures (at);
CREATE INDEX login_failures_last ON login_failures (last_failure);
