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
// statement. The roles and the union of their permissions come as JSON
// arrays, which need no separator that a name could contain; scanUser sorts
// and de-duplicates them.
const selectUser = `
SELECT u.id, u.username, u.password_hash, u.created_at, u.disabled, u.last_login_at, u.generation,
	(SELECT json_group_array(ur.role) FROM user_roles ur WHERE ur.user_id = u.id),
	(SELECT json_group_array(DISTINCT rp.permission)
		FROM user_roles ur JOIN role_permissions rp ON rp.role = ur.role
		WHERE ur.user_id = u.id)
FROM users u`

// scanUser reads one row of selectUser.
func scanUser(row interface{ Scan(...any) error }) (*sesame.User, error) {
	var (
		u                  sesame.User
		created, lastLogin int64
		roles, perms       string
	)
	err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &created, &u.Disabled, &lastLogin, &u.Generation, &roles, &perms)
	if err != nil {
		return nil, err
	}
	u.CreatedAt = fromMillis(created)
	if lastLogin != 0 {
		u.LastLoginAt = fromMillis(lastLogin)
	}
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
	u, err := userByID(ctx, db.q, id)
	if err != nil {
		return nil, db.wrap("user by id", err)
	}
	return u, nil
}

// UserByUsername returns the user called username, whatever its case
// (ASCII letters only: SQLite's NOCASE folds no others), with their roles and
// permissions, or an error matching sesame.ErrNotFound.
func (db *DB) UserByUsername(ctx context.Context, username string) (*sesame.User, error) {
	u, err := scanUser(db.q.QueryRowContext(ctx, selectUser+` WHERE u.username = ?`, username))
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
	rows, err := db.q.QueryContext(ctx, selectUser+` WHERE u.id > ? ORDER BY u.id LIMIT ?`, after, p.Limit+1)
	if err != nil {
		return nil, "", db.wrap("users", err)
	}
	defer rows.Close()
	users := []sesame.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, "", db.wrap("users", err)
		}
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", db.wrap("users", err)
	}
	users, next := sesame.Cut(p, users, func(u sesame.User) int64 { return u.ID })
	return users, next, nil
}

// RehashPassword replaces the stored hash of user id with another hash of
// the same password, keeping its generation.
func (db *DB) RehashPassword(ctx context.Context, id int64, hash string) error {
	return db.updateUser(ctx, "rehash password", id, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
}

// SetPassword replaces the password hash of user id, which ends its
// sessions' generation.
func (db *DB) SetPassword(ctx context.Context, id int64, hash string) error {
	return db.updateUser(ctx, "set password", id,
		`UPDATE users SET password_hash = ?, generation = generation + 1 WHERE id = ?`, hash, id)
}

// SetLastLogin records a sign-in of user id at t.
func (db *DB) SetLastLogin(ctx context.Context, id int64, t time.Time) error {
	return db.updateUser(ctx, "set last login", id, `UPDATE users SET last_login_at = ? WHERE id = ?`, millis(t), id)
}

// SetDisabled disables or enables user id and returns the user. Disabling
// starts a new generation; enabling does not, since it ends no session.
func (db *DB) SetDisabled(ctx context.Context, id int64, disabled bool) (*sesame.User, error) {
	var u *sesame.User
	err := db.transact(ctx, func(tx querier) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ?1,
			generation = generation + CASE WHEN ?1 THEN 1 ELSE 0 END WHERE id = ?2`, disabled, id)
		if err == nil {
			err = oneRow(res, fmt.Sprintf("user %d", id))
		}
		if err != nil {
			return err
		}
		u, err = userByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, db.wrap("set disabled", err)
	}
	return u, nil
}

// SetRoles replaces the roles of user id, all or nothing, and returns the
// user. An unknown role matches sesame.ErrNotFound (the account service
// checks them first).
func (db *DB) SetRoles(ctx context.Context, id int64, roles []string) (*sesame.User, error) {
	var u *sesame.User
	err := db.transact(ctx, func(tx querier) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET generation = generation + 1 WHERE id = ?`, id)
		if err == nil {
			err = oneRow(res, fmt.Sprintf("user %d", id))
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = ?`, id); err != nil {
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

func (db *DB) updateUser(ctx context.Context, op string, id int64, query string, args ...any) error {
	res, err := db.q.ExecContext(ctx, query, args...)
	if err == nil {
		err = oneRow(res, fmt.Sprintf("user %d", id))
	}
	if err != nil {
		return db.wrap(op, err)
	}
	return nil
}

// CreateUser adds a user holding roles, created at at, all or nothing, and
// returns it as UserByID would. A taken username (in any case) matches
// sesame.ErrConflict; an unknown role, sesame.ErrNotFound.
func (db *DB) CreateUser(ctx context.Context, username, passwordHash string, roles []string, at time.Time) (*sesame.User, error) {
	var u *sesame.User
	err := db.transact(ctx, func(tx querier) error {
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
func createUser(ctx context.Context, tx querier, username, passwordHash string, roles []string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx,
		`INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) RETURNING id`,
		username, passwordHash, millis(now)).Scan(&id)
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
func grantRoles(ctx context.Context, tx querier, id int64, roles []string) error {
	for _, r := range roles {
		var ok bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM roles WHERE name = ?)`, r).Scan(&ok)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("role %q: %w", r, sesame.ErrNotFound)
		}
		// OR IGNORE: a role named twice is held once.
		if _, err := tx.ExecContext(ctx,
			`INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)`, id, r); err != nil {
			return err
		}
	}
	return nil
}

// Roles returns every role with its permissions, by name.
func (db *DB) Roles(ctx context.Context) ([]sesame.Role, error) {
	rows, err := db.q.QueryContext(ctx, `
		SELECT r.name, (SELECT json_group_array(p.permission) FROM role_permissions p WHERE p.role = r.name)
		FROM roles r ORDER BY r.name`)
	if err != nil {
		return nil, db.wrap("roles", err)
	}
	defer rows.Close()
	var roles []sesame.Role
	for rows.Next() {
		var (
			r     sesame.Role
			perms string
		)
		if err := rows.Scan(&r.Name, &perms); err != nil {
			return nil, db.wrap("roles", err)
		}
		if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
			return nil, db.wrap("roles", err)
		}
		slices.Sort(r.Permissions)
		roles = append(roles, r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("roles", err)
	}
	return roles, nil
}

// CountUsers returns the number of users; the command line seeds the demo
// data only into a database without any.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.q.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
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
