-- The app data of sesame on PostgreSQL: users, roles, the shop, the audit
-- trail and login throttling, as the SQLite schema keeps them after its
-- fourth migration. The session store (package session/pgstore) keeps its
-- tables beside these and migrates them itself.
--
-- Times are timestamptz, written by the program in whole milliseconds of
-- UTC so that they read back as SQLite's do. Ids are identity columns
-- (bigserial in spirit): never given out twice, so a new user can never
-- inherit an old user's audit trail, which keeps user ids without a
-- foreign key, and an old link to an order can never show another.

-- username_key is the name with ASCII letters lowercased and nothing else
-- changed: usernames are unique, and found, without regard to ASCII case
-- only, as SQLite's NOCASE compares them. lower() would fold every
-- letter of the database's locale, so that a name SQLite keeps apart from
-- another would collide with it here. translate() is immutable, as a
-- generated column needs; the program folds names it looks up the same way.
CREATE TABLE users (
	id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username      text        NOT NULL CHECK (username <> ''),
	username_key  text        NOT NULL GENERATED ALWAYS AS (
		translate(username, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED,
	password_hash text        NOT NULL CHECK (password_hash <> ''),
	created_at    timestamptz NOT NULL,
	disabled      boolean     NOT NULL DEFAULT false,
	last_login_at timestamptz,
	generation    bigint      NOT NULL DEFAULT 0,
	CONSTRAINT users_username_key_unique UNIQUE (username_key)
);

CREATE TABLE roles (
	name text PRIMARY KEY CHECK (name <> '')
);

CREATE TABLE role_permissions (
	role       text NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
	permission text NOT NULL CHECK (permission <> ''),
	PRIMARY KEY (role, permission)
);

-- A role still held by a user cannot be deleted (no cascade): that would
-- silently take permissions away.
CREATE TABLE user_roles (
	user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role    text   NOT NULL REFERENCES roles (name),
	PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);

-- The roles and permissions that sesame ships: reference data that the
-- code relies on (sesame.Perm*), not demo data.
INSERT INTO roles (name) VALUES ('customer'), ('privileged'), ('admin');
INSERT INTO role_permissions (role, permission) VALUES
	('customer',   'products.view'),
	('customer',   'cart.edit'),
	('privileged', 'checkout'),
	('privileged', 'task.perform'),
	('admin',      'products.view'),
	('admin',      'cart.edit'),
	('admin',      'checkout'),
	('admin',      'task.perform'),
	('admin',      'admin');

-- The bounds mirror sesame.MaxStock and sesame.MaxLineQuantity: the code
-- checks them first, the database is the last line.
CREATE TABLE products (
	id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sku         text    NOT NULL UNIQUE CHECK (sku <> ''),
	name        text    NOT NULL CHECK (name <> ''),
	description text    NOT NULL DEFAULT '',
	price_cents bigint  NOT NULL CHECK (price_cents >= 0),
	stock       integer NOT NULL CHECK (stock BETWEEN 0 AND 1000000)
);

CREATE TABLE cart_items (
	user_id    bigint  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	product_id bigint  NOT NULL REFERENCES products (id) ON DELETE CASCADE,
	quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
	PRIMARY KEY (user_id, product_id)
);
CREATE INDEX cart_items_product ON cart_items (product_id);

-- Orders are records of sales: a user or product with orders cannot be
-- deleted. A NULL idempotency_key (none given) is distinct from every
-- other, so the unique constraint binds only real keys, per user, across
-- every instance on the database.
CREATE TABLE orders (
	id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id         bigint      NOT NULL REFERENCES users (id),
	total_cents     bigint      NOT NULL CHECK (total_cents >= 0),
	created_at      timestamptz NOT NULL,
	idempotency_key text        CHECK (idempotency_key <> ''),
	CONSTRAINT orders_user_idempotency_key UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_user ON orders (user_id, id);

-- name and unit_price_cents are copied at checkout: an order shows what was
-- paid, whatever the product becomes later.
CREATE TABLE order_items (
	order_id         bigint  NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	product_id       bigint  NOT NULL REFERENCES products (id),
	name             text    NOT NULL,
	unit_price_cents bigint  NOT NULL CHECK (unit_price_cents >= 0),
	quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
	PRIMARY KEY (order_id, product_id)
);
CREATE INDEX order_items_product ON order_items (product_id);

-- The audit trail outlives what it talks about, so user_id and target_id
-- have no foreign key: recording an event must never fail because a user
-- is gone, and a deleted user's trail stays readable. NULL means no known
-- user. Pages are read by id, newest first, through these indexes.
CREATE TABLE audit_events (
	id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time        timestamptz NOT NULL,
	user_id     bigint,
	username    text        NOT NULL DEFAULT '',
	target_id   bigint,
	target_name text        NOT NULL DEFAULT '',
	action      text        NOT NULL,
	outcome     text        NOT NULL,
	session_id  text        NOT NULL DEFAULT '',
	ip          text        NOT NULL DEFAULT '',
	user_agent  text        NOT NULL DEFAULT '',
	detail      text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_target ON audit_events (target_id, id) WHERE target_id IS NOT NULL;
CREATE INDEX audit_events_action ON audit_events (action, id);
CREATE INDEX audit_events_time ON audit_events (time);

-- Login throttling. The auth service hands the store usernames already
-- lowercased, so the name is the key as it comes. A username's run of
-- consecutive failures is one row; an address's failures are one row each,
-- so that the sliding window can count those of the last minute. Both are
-- pruned by time (auth.Service.PruneLoginFailures) through these indexes.
CREATE TABLE login_failures (
	username     text        PRIMARY KEY,
	failures     integer     NOT NULL CHECK (failures >= 0),
	last_failure timestamptz NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_failure);

CREATE TABLE login_ip_failures (
	id bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ip text        NOT NULL,
	at timestamptz NOT NULL
);
CREATE INDEX login_ip_failures_ip_at ON login_ip_failures (ip, at);
CREATE INDEX login_ip_failures_at ON login_ip_failures (at);
