package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sesamehq/sesame"
)

// selectUser loads a user with their roles and permissions in one
// statement, since it runs on every request. The roles and the union of
// their permissions come as JSON arrays, which need no separator that a
// name could contain; scanUser sorts and de-duplicates them.
const selectUser = `
SELECT u.id, u.username, u.password_hash, u.created_at,
	(SELECT json_group_array(ur.role) FROM user_roles ur WHERE ur.user_id = u.id),
	(SELECT json_group_array(DISTINCT rp.permission)
		FROM user_roles ur JOIN role_permissions rp ON rp.role = ur.role
		WHERE ur.user_id = u.id)
FROM users u`

// scanUser reads one row of selectUser.
func scanUser(row interface{ Scan(...any) error }) (*sesame.User, error) {
	var (
		u            sesame.User
		created      int64
		roles, perms string
	)
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &created, &roles, &perms); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMillis(created)
	// Empty, not nil, so that a user without roles encodes as [] not null.
	u.Roles = []string{}
	u.Permissions = []sesame.Permission{}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return nil, fmt.Errorf("roles of user %d: %w", u.ID, err)
	}
	if err := json.Unmarshal([]byte(perms), &u.Permissions); err != nil {
		return nil, fmt.Errorf("permissions of user %d: %w", u.ID, err)
	}
	slices.Sort(u.Roles)
	u.Roles = slices.Compact(u.Roles)
	slices.Sort(u.Permissions)
	u.Permissions = slices.Compact(u.Permissions)
	return &u, nil
}

func userByID(ctx context.Context, q querier, id int64) (*sesame.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, selectUser+` WHERE u.id = ?`, id))
	return u, notFound(err, fmt.Sprintf("user %d", id))
}

// UserByID returns user id with their roles and permissions, or an error
// matching sesame.ErrNotFound.
func (db *DB) UserByID(ctx context.Context, id int64) (*sesame.User, error) {
	u, err := userByID(ctx, db.db, id)
	if err != nil {
		return nil, db.wrap("user by id", err)
	}
	return u, nil
}

// UserByUsername returns the user called username, whatever its case
// (ASCII letters only: SQLite's NOCASE folds no others), with their roles and
// permissions, or an error matching sesame.ErrNotFound.
func (db *DB) UserByUsername(ctx context.Context, username string) (*sesame.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx, selectUser+` WHERE u.username = ?`, username))
	if err != nil {
		return nil, db.wrap("user by username", notFound(err, "user"))
	}
	return u, nil
}

// SetPasswordHash replaces the stored password hash of user id; an unknown
// id matches sesame.ErrNotFound.
func (db *DB) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
	if err == nil {
		err = oneRow(res, fmt.Sprintf("user %d", id))
	}
	if err != nil {
		return db.wrap("set password hash", err)
	}
	return nil
}

// CreateUser adds a user holding roles, all or nothing, and returns it as
// UserByID would. A taken username (in any case) matches sesame.ErrConflict;
// an unknown role is a *sesame.InvalidError on the field "roles".
func (db *DB) CreateUser(ctx context.Context, username, passwordHash string, roles []string) (*sesame.User, error) {
	var u *sesame.User
	err := db.transact(ctx, func(tx *sql.Tx) error {
		id, err := createUser(ctx, tx, username, passwordHash, roles)
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
func createUser(ctx context.Context, tx *sql.Tx, username, passwordHash string, roles []string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx,
		`INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) RETURNING id`,
		username, passwordHash, millis(time.Now())).Scan(&id)
	if isUniqueViolation(err) {
		return 0, fmt.Errorf("username %q is taken: %w", username, sesame.ErrConflict)
	}
	if err != nil {
		return 0, err
	}
	return id, grantRoles(ctx, tx, id, roles)
}

// grantRoles gives user id the roles, checking each by name first so that an
// unknown one is reported as such rather than as a foreign key violation,
// which would not say which.
func grantRoles(ctx context.Context, tx *sql.Tx, id int64, roles []string) error {
	for _, r := range roles {
		var ok bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM roles WHERE name = ?)`, r).Scan(&ok)
		if err != nil {
			return err
		}
		if !ok {
			return sesame.Invalid("roles", fmt.Sprintf("there is no role %q", r))
		}
		// OR IGNORE: a role named twice is held once.
		if _, err := tx.ExecContext(ctx,
			`INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)`, id, r); err != nil {
			return err
		}
	}
	return nil
}

// CountUsers returns the number of users; the command line seeds the demo
// data only into a database without any.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, db.wrap("count users", err)
	}
	return n, nil
}

// oneRow turns an UPDATE or DELETE that matched no row into an error
// matching sesame.ErrNotFound.
func oneRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, sesame.ErrNotFound)
	}
	return nil
}
