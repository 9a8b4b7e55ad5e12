package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sesamehq/sesame"
)

// The SQLSTATE codes this package acts on, from PostgreSQL's Appendix A.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// outageCodes are the SQLSTATE codes, or their two-character classes, that
// say the server cannot serve just now, as opposed to a mistake in the
// request or the program: the request may succeed if tried again later.
var outageCodes = map[string]bool{
	"08":    true, // connection exception
	"53":    true, // insufficient resources: too many connections, disk full, out of memory
	"58":    true, // system error: I/O error
	"57014": true, // query_canceled: statement_timeout ran out
	"57P01": true, // admin_shutdown
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now: starting up, or in recovery
	"57P05": true, // idle_session_timeout
	"55P03": true, // lock_not_available: lock_timeout ran out
	"40001": true, // serialization_failure
	"40P01": true, // deadlock_detected: the other transaction went on
	"25006": true, // read_only_sql_transaction: a standby after a failover
	"25P03": true, // idle_in_transaction_session_timeout
}

// wrap names the operation that failed and marks an outage (see
// unavailable) as matching sesame.ErrUnavailable, so that the front ends
// answer "try again later" rather than "bug". Errors that already match a
// domain error pass with the name added.
func (db *DB) wrap(op string, err error) error {
	if db.closed.Load() || unavailable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, sesame.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailable reports whether err says that the database could not be
// reached or could not serve in time: a SQLSTATE of outageCodes, a failed
// connection attempt, a connection that broke or timed out, or a deadline
// that passed. (A pool closed by Close is an outage too: see wrap.)
func unavailable(err error) bool {
	if code := sqlState(err); code != "" {
		return outageCodes[code] || len(code) == 5 && outageCodes[code[:2]]
	}
	var (
		connectErr *pgconn.ConnectError
		netErr     net.Error
	)
	return errors.As(err, &connectErr) ||
		errors.As(err, &netErr) ||
		pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed)
}

// sqlState returns the SQLSTATE of an error the server sent, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// violates reports whether err is the violation, of kind code, of the
// constraint named constraint (any, when it is ""). Constraints are named
// in the migrations, so a name is a stable part of the schema.
func violates(err error, code, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code && (constraint == "" || pe.ConstraintName == constraint)
}

// notFound maps pgx.ErrNoRows to an error matching sesame.ErrNotFound, and
// passes any other error through.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, sesame.ErrNotFound)
	}
	return err
}

// asciiFold lowercases the ASCII letters of s and nothing else: the key by
// which usernames are unique, as the users.username_key column computes it
// with translate() (see the first migration).
func asciiFold(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}
