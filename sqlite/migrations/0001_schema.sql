-- The app data of sesame: users, the shop, the audit trail and login
-- throttling. Sessions live in the same file but in tables that the session
-- store creates itself.
--
-- Every table is STRICT so that SQLite refuses a value of the wrong type
-- instead of storing it; times are INTEGER Unix milliseconds in UTC.

-- AUTOINCREMENT on users: an id is never given out twice, so a new user can
-- never inherit the audit trail, which keeps user ids without a foreign key.
CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	username      TEXT    NOT NULL UNIQUE COLLATE NOCASE CHECK (username <> ''),
	password_hash TEXT    NOT NULL CHECK (password_hash <> ''),
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE roles (
	name TEXT PRIMARY KEY CHECK (name <> '')
) STRICT;

CREATE TABLE role_permissions (
	role       TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
	permission TEXT NOT NULL CHECK (permission <> ''),
	PRIMARY KEY (role, permission)
) STRICT;

-- A role still held by a user cannot be deleted (no cascade): that would
-- silently take permissions away.
CREATE TABLE user_roles (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role    TEXT    NOT NULL REFERENCES roles (name),
	PRIMARY KEY (user_id, role)
) STRICT;
CREATE INDEX user_roles_role ON user_roles (role);

-- The bounds mirror sesame.MaxStock and sesame.MaxLineQuantity: the code
-- checks them first, the database is the last line.
CREATE TABLE products (
	id          INTEGER PRIMARY KEY,
	sku         TEXT    NOT NULL UNIQUE CHECK (sku <> ''),
	name        TEXT    NOT NULL CHECK (name <> ''),
	description TEXT    NOT NULL DEFAULT '',
	price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
	stock       INTEGER NOT NULL CHECK (stock BETWEEN 0 AND 1000000)
) STRICT;

CREATE TABLE cart_items (
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
	quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 100),
	PRIMARY KEY (user_id, product_id)
) STRICT;
CREATE INDEX cart_items_product ON cart_items (product_id);

-- Orders are records of sales: a user or product with orders cannot be
-- deleted. AUTOINCREMENT keeps order ids from ever being reused, so an old
-- link to an order can never show a different one. A NULL idempotency_key
-- (none given) is distinct from every other, so UNIQUE only binds real keys.
CREATE TABLE orders (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id         INTEGER NOT NULL REFERENCES users (id),
	total_cents     INTEGER NOT NULL CHECK (total_cents >= 0),
	created_at      INTEGER NOT NULL,
	idempotency_key TEXT CHECK (idempotency_key <> ''),
	UNIQUE (user_id, idempotency_key)
) STRICT;
CREATE INDEX orders_user ON orders (user_id, id);

-- name and unit_price_cents are copied at checkout: an order shows what was
-- paid, whatever the product becomes later.
CREATE TABLE order_items (
	order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	product_id       INTEGER NOT NULL REFERENCES products (id),
	name             TEXT    NOT NULL,
	unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
	quantity         INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 100),
	PRIMARY KEY (order_id, product_id)
) STRICT;
CREATE INDEX order_items_product ON order_items (product_id);

-- The audit trail outlives what it talks about, so user_id has no foreign
-- key: recording an event must never fail because a user is gone, and a
-- deleted user's trail stays readable. NULL means no known user.
CREATE TABLE audit_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	time       INTEGER NOT NULL,
	user_id    INTEGER,
	username   TEXT    NOT NULL DEFAULT '',
	action     TEXT    NOT NULL,
	outcome    TEXT    NOT NULL,
	session_id TEXT    NOT NULL DEFAULT '',
	ip         TEXT    NOT NULL DEFAULT '',
	user_agent TEXT    NOT NULL DEFAULT '',
	detail     TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_events_user ON audit_events (user_id, id);

-- NOCASE so that "Alice" and "alice" share one counter, as they share one
-- account: otherwise changing case would dodge the throttle.
CREATE TABLE login_failures (
	username     TEXT    PRIMARY KEY COLLATE NOCASE,
	failures     INTEGER NOT NULL CHECK (failures >= 0),
	last_failure INTEGER NOT NULL
) STRICT;

CREATE TABLE login_ip_failures (
	ip           TEXT    PRIMARY KEY,
	window_start INTEGER NOT NULL,
	failures     INTEGER NOT NULL CHECK (failures >= 0)
) STRICT;
