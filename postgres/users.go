package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sesamehq/sesame"
)

// querier is what the pool and a transaction have in common, so that a
// read can run alone or inside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// userColumns are a user with their roles and the union of their
// permissions, each as an array (empty, never NULL), for a row of users
// named u: one statement reads all of it. scanUser sorts the names byte by
// byte, as Go and SQLite do, which the database's collation need not.
const userColumns = `u.id, u.username, u.password_hash, u.created_at, u.disabled, u.last_login_at, u.generation,
	array(SELECT ur.role FROM user_roles ur WHERE ur.user_id = u.id),
	array(SELECT DISTINCT rp.permission
		FROM user_roles ur JOIN role_permissions rp ON rp.role = ur.role
		WHERE ur.user_id = u.id)`

// scanUser reads one row of userColumns.
func scanUser(row pgx.Row) (*sesame.User, error) {
	var (
		u         sesame.User
		lastLogin *time.Time // NULL: never
		perms     []string
	)
	err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.CreatedAt, &u.Disabled, &lastLogin, &u.Generation,
		&u.Roles, &perms)
	if err != nil {
		return nil, err
	}
	u.CreatedAt = fromDB(u.CreatedAt)
	if lastLogin != nil {
		u.LastLoginAt = fromDB(*lastLogin)
	}
	// Empty, not nil, so that a user without roles encodes as [] not null.
	slices.Sort(u.Roles)
	u.Roles = append([]string{}, slices.Compact(u.Roles)...)
	u.Permissions = []sesame.Permission{}
	for _, p := range perms {
		u.Permissions = append(u.Permissions, sesame.Permission(p))
	}
	slices.Sort(u.Permissions)
	u.Permissions = slices.Compact(u.Permissions)
	return &u, nil
}

func userByID(ctx context.Context, q querier, id int64) (*sesame.User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	return u, notFound(err, fmt.Sprintf("user %d", id))
}

// UserByID returns user id with their roles and permissions, or an error
// matching sesame.ErrNotFound.
func (db *DB) UserByID(ctx context.Context, id int64) (*sesame.User, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	u, err := userByID(ctx, db.pool, id)
	if err != nil {
		return nil, db.wrap("user by id", err)
	}
	return u, nil
}

// UserByUsername returns the user called username, whatever the case of
// its ASCII letters, with their roles and permissions, or an error matching
// sesame.ErrNotFound. The lookup is one range of the unique index on the
// folded name.
func (db *DB) UserByUsername(ctx context.Context, username string) (*sesame.User, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username_key = $1`,
		asciiFold(username)))
	if err != nil {
		return nil, db.wrap("user by username", notFound(err, "user"))
	}
	return u, nil
}

// Users returns every user, by id, at most p.Limit after p.Cursor (an id),
// and the cursor of what follows.
func (db *DB) Users(ctx context.Context, p sesame.Paging) ([]sesame.User, string, error) {
	p = p.Bounded()
	after, err := p.AfterID()
	if err != nil {
		return nil, "", db.wrap("users", err)
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id > $1 ORDER BY u.id LIMIT $2`,
		after, p.Limit+1)
	if err != nil {
		return nil, "", db.wrap("users", err)
	}
	users, err := collectUsers(rows)
	if err != nil {
		return nil, "", db.wrap("users", err)
	}
	users, next := sesame.Cut(p, users, func(u sesame.User) int64 { return u.ID })
	return users, next, nil
}

func collectUsers(rows pgx.Rows) ([]sesame.User, error) {
	defer rows.Close()
	users := []sesame.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, *u)
	}
	return users, rows.Err()
}

// RehashPassword replaces the stored hash of user id with another hash of
// the same password, keeping its generation.
func (db *DB) RehashPassword(ctx context.Context, id int64, hash string) error {
	return db.updateUser(ctx, "rehash password", id, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, id)
}

// SetPassword replaces the password hash of user id, which ends its
// sessions' generation.
func (db *DB) SetPassword(ctx context.Context, id int64, hash string) error {
	return db.updateUser(ctx, "set password", id,
		`UPDATE users SET password_hash = $1, generation = generation + 1 WHERE id = $2`, hash, id)
}

// SetLastLogin records a sign-in of user id at t.
func (db *DB) SetLastLogin(ctx context.Context, id int64, t time.Time) error {
	return db.updateUser(ctx, "set last login", id, `UPDATE users SET last_login_at = $1 WHERE id = $2`, ms(t), id)
}

// updateUser runs an UPDATE of user id that must match one row.
func (db *DB) updateUser(ctx context.Context, op string, id int64, query string, args ...any) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, query, args...)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("user %d: %w", id, sesame.ErrNotFound)
	}
	if err != nil {
		return db.wrap(op, err)
	}
	return nil
}

// SetDisabled disables or enables user id and returns the user, in one
// statement. Disabling starts a new generation; enabling does not, since it
// ends no session.
func (db *DB) SetDisabled(ctx context.Context, id int64, disabled bool) (*sesame.User, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	u, err := scanUser(db.pool.QueryRow(ctx, `
		UPDATE users u SET disabled = $1, generation = u.generation + CASE WHEN $1 THEN 1 ELSE 0 END
		WHERE u.id = $2
		RETURNING `+userColumns, disabled, id))
	if err != nil {
		return nil, db.wrap("set disabled", notFound(err, fmt.Sprintf("user %d", id)))
	}
	return u, nil
}

// SetRoles replaces the roles of user id, all or nothing, and returns the
// user. An unknown role matches sesame.ErrNotFound (the account service
// checks them first).
func (db *DB) SetRoles(ctx context.Context, id int64, roles []string) (*sesame.User, error) {
	var u *sesame.User
	err := db.transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET generation = generation + 1 WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("user %d: %w", id, sesame.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_roles WHERE user_id = $1`, id); err != nil {
			return err
		}
		if err := grantRoles(ctx, tx, id, roles); err != nil {
			return err
		}
		u, err = userByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, db.wrap("set roles", err)
	}
	return u, nil
}

// CreateUser adds a user holding roles, created at at, all or nothing, and
// returns it as UserByID would. A taken username (in any ASCII case)
// matches sesame.ErrConflict; an unknown role, sesame.ErrNotFound.
func (db *DB) CreateUser(ctx context.Context, username, passwordHash string, roles []string, at time.Time) (*sesame.User, error) {
	var u *sesame.User
	err := db.transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		id, err := createUser(ctx, tx, username, passwordHash, roles, at)
		if err != nil {
			return err
		}
		u, err = userByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, db.wrap("create user", err)
	}
	return u, nil
}

// createUser inserts a user with roles inside tx and returns the new id.
func createUser(ctx context.Context, tx pgx.Tx, username, passwordHash string, roles []string, at time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx,
		`INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id`,
		username, passwordHash, ms(at)).Scan(&id)
	if violates(err, codeUniqueViolation, "users_username_key_unique") {
		return 0, fmt.Errorf("username %q is taken: %w", username, sesame.ErrConflict)
	}
	if err != nil {
		return 0, err
	}
	return id, grantRoles(ctx, tx, id, roles)
}

// grantRoles gives user id the roles, each once, in one statement that
// inserts only the roles that exist; a name it did not insert is reported
// as unknown by name, which a foreign key violation would not say.
func grantRoles(ctx context.Context, tx pgx.Tx, id int64, roles []string) error {
	if len(roles) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO user_roles (user_id, role)
		SELECT $1, name FROM roles WHERE name = ANY($2)
		RETURNING role`, id, roles)
	if err != nil {
		return err
	}
	granted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, r := range roles {
		if !slices.Contains(granted, r) {
			return fmt.Errorf("role %q: %w", r, sesame.ErrNotFound)
		}
	}
	return nil
}

// Roles returns every role with its permissions, by name.
func (db *DB) Roles(ctx context.Context) ([]sesame.Role, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, `
		SELECT r.name, array(SELECT p.permission FROM role_permissions p WHERE p.role = r.name)
		FROM roles r`)
	if err != nil {
		return nil, db.wrap("roles", err)
	}
	roles, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sesame.Role, error) {
		var (
			r     sesame.Role
			perms []string
		)
		err := row.Scan(&r.Name, &perms)
		r.Permissions = []sesame.Permission{}
		for _, p := range perms {
			r.Permissions = append(r.Permissions, sesame.Permission(p))
		}
		slices.Sort(r.Permissions)
		return r, err
	})
	if err != nil {
		return nil, db.wrap("roles", err)
	}
	// By name byte by byte, whatever the database's collation.
	slices.SortFunc(roles, func(a, b sesame.Role) int { return strings.Compare(a.Name, b.Name) })
	return roles, nil
}

// CountUsers returns the number of users; the command line seeds the demo
// data only into a database without any.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, db.wrap("count users", err)
	}
	return n, nil
}
