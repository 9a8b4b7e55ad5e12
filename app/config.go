package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is how sesame serve is set up: CONTRACT §1, from flags and
// SESAME_* environment variables (a flag given on the command line wins).
type Config struct {
	Addr               string        // listen address
	DB                 string        // app data: "sqlite:PATH"
	Sessions           string        // session store: "sqlite:PATH", "memory", or "" for the same store as DB
	IdleTimeout        time.Duration // a session unused this long is dead
	Lifetime           time.Duration // a session this old is dead, however active
	Demo               *bool         // seed demo data into an empty database; nil: only into a new SQLite file
	AllowDemoOnNetwork bool          // listen beyond loopback though a demo password still works
}

// DefaultConfig returns the configuration of a plain `sesame serve`.
func DefaultConfig() Config {
	return Config{
		Addr:        "127.0.0.1:5000",
		DB:          "sqlite:sesame.db",
		IdleTimeout: 30 * time.Minute,
		Lifetime:    12 * time.Hour,
	}
}

// ParseServeFlags reads the flags of sesame serve from args, then fills each
// flag not given from the environment variable SESAME_<NAME> (upper case,
// dashes as underscores) as getenv reports it.
func ParseServeFlags(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("sesame serve", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen `address`")
	fs.StringVar(&c.DB, "db", c.DB, "app data: sqlite:`PATH`")
	fs.StringVar(&c.Sessions, "sessions", c.Sessions, "session `store`: sqlite:PATH or memory (default: the same store as --db)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "a session unused this long is dead")
	fs.DurationVar(&c.Lifetime, "lifetime", c.Lifetime, "absolute session lifetime, however active")
	fs.Var(optionalBool{&c.Demo}, "demo", "seed the demo users and products into an empty database (default: true for a new SQLite file)")
	fs.BoolVar(&c.AllowDemoOnNetwork, "allow-demo-on-network", false, "listen beyond loopback even while a demo account has its demo password")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: sesame [serve] [flags]\n\nEach flag can also be set with SESAME_<NAME>, e.g. SESAME_IDLE_TIMEOUT=10m.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, usageError{err} // the flag package has told the user
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SESAME_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && !given[f.Name] && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("invalid value %q for %s: %w", v, name, err)
			}
		}
	})
	if envErr != nil {
		return Config{}, envErr
	}
	return c, c.validate()
}

// usageError is a mistake on the command line that has been reported.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if _, err := sqlitePath(c.DB); err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	if c.Sessions != "" && c.Sessions != "memory" {
		if _, err := sqlitePath(c.Sessions); err != nil {
			return fmt.Errorf("--sessions: %w", err)
		}
	}
	if c.IdleTimeout <= 0 || c.Lifetime <= 0 {
		return errors.New("--idle-timeout and --lifetime must be positive")
	}
	return nil
}

// sqlitePath returns the file of a "sqlite:PATH" store.
func sqlitePath(store string) (string, error) {
	path, ok := strings.CutPrefix(store, "sqlite:")
	switch {
	case !ok && strings.HasPrefix(store, "postgres"):
		return "", fmt.Errorf("%q: PostgreSQL is not supported by this version", store)
	case !ok && strings.HasPrefix(store, "redis"):
		return "", fmt.Errorf("%q: Redis is not supported by this version", store)
	case !ok:
		return "", fmt.Errorf("%q: want sqlite:PATH", store)
	case path == "":
		return "", fmt.Errorf("%q: the path is empty", store)
	}
	return path, nil
}

// loopback reports whether addr listens on the loopback interface only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && loopbackHost(host)
}

// loopbackHost reports whether host (a name or an address, without a port)
// names this machine's loopback interface.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// optionalBool is a boolean flag that remembers whether it was set.
type optionalBool struct{ p **bool }

func (o optionalBool) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.FormatBool(**o.p)
}

func (o optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*o.p = &v
	return nil
}

func (o optionalBool) IsBoolFlag() bool { return true }
