package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/internal/secretbox"
)

// keyFileName is the secret key file's name beside a SQLite database.
const keyFileName = "sesame.key"

// secretKeyPath is where serve reads the key that seals the TOTP secrets
// (CONTRACT §9): --secret-key-file when given, else sesame.key in the
// directory of a SQLite database. With PostgreSQL there is no default:
// several instances share that database and must share one key too, and a
// key made up by each instance on its own would seal secrets that the
// others cannot open. So there it must be given, and without it second
// factors are off (see openSecrets).
func (c Config) secretKeyPath() string {
	if c.SecretKeyFile != "" {
		return c.SecretKeyFile
	}
	if kind(c.DB) == "sqlite" {
		return filepath.Join(filepath.Dir(strings.TrimPrefix(c.DB, "sqlite:")), keyFileName)
	}
	return ""
}

// openSecrets reads (or, on the first start, creates with mode 0600) the
// secret key file of cfg and returns the Box that seals with it; nil when
// there is no key file to use, which turns TOTP off, as the log says.
func openSecrets(cfg Config, logger *slog.Logger) (*secretbox.Box, error) {
	path := cfg.secretKeyPath()
	if path == "" {
		logger.Warn("second factors are off: with --db postgres://… give every instance the same --secret-key-file")
		return nil, nil
	}
	key, created, err := secretbox.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	if created {
		logger.Info("created the secret key file; back it up with the database, which cannot be read without it", "path", path)
	}
	box, err := secretbox.New(key)
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return box, nil
}

// factorFlags adds the flags of second factors to fs, writing into c.
func factorFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", "", "`file` of the key that encrypts TOTP secrets, created (mode 0600) when absent (default: sesame.key beside a SQLite database; required with PostgreSQL for second factors)")
	fs.Var(roleFlag{&c.RequireSecondFactor}, "require-second-factor", "`roles` (comma-separated) whose users must set up and use a second factor")
}

// roleFlag is a flag of comma-separated role names.
type roleFlag struct{ roles *[]string }

func (l roleFlag) String() string {
	if l.roles == nil {
		return ""
	}
	return strings.Join(*l.roles, ",")
}

func (l roleFlag) Set(v string) error {
	*l.roles = roleList(v)
	return nil
}

// checkRequiredRoles refuses a --require-second-factor that names a role
// the store does not have (a typo would hold nobody to it), or that no
// second factor could meet, for want of a secret key and of passkeys.
func checkRequiredRoles(ctx context.Context, data Data, roles []string, box *secretbox.Box, party *webauthn.WebAuthn) error {
	if len(roles) == 0 {
		return nil
	}
	if box == nil && party == nil {
		return errors.New("--require-second-factor needs --secret-key-file (with PostgreSQL there is no default key file) or passkeys (--passkey-rp-id)")
	}
	have, err := data.Roles(ctx)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if !slices.ContainsFunc(have, func(h sesame.Role) bool { return h.Name == r }) {
			return fmt.Errorf("--require-second-factor: no role %q", r)
		}
	}
	return nil
}
