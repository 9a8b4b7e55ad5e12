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

	"github.com/sesamehq/sesame/internal/clientip"
)

// Config is how sesame serve is set up: CONTRACT §1, from flags and
// SESAME_* environment variables (a flag given on the command line wins).
type Config struct {
	Addr               string        // listen address
	DB                 string        // app data: "sqlite:PATH" or a postgres:// URL
	Sessions           string        // session store: "sqlite:PATH", a postgres:// or redis:// URL, "memory", or "" for the same store as DB
	IdleTimeout        time.Duration // a session unused this long is dead
	Lifetime           time.Duration // a session this old is dead, however active
	RenewInterval      time.Duration // a token this old is renewed; 0: never during a session
	RenewGrace         time.Duration // a renewed token still works this long
	MaxSessions        int           // live sessions per user; 0: no limit
	RememberLifetime   time.Duration // lifetime of a remembered session
	RememberIdle       time.Duration // idle timeout of a remembered session
	AuditRetention     time.Duration // audit events older than this are removed; 0: kept for ever
	Demo               *bool         // seed demo data into an empty database; nil: only into a new SQLite file
	AllowDemoOnNetwork bool          // listen beyond loopback though a demo password still works
	TLSCert, TLSKey    string        // PEM files: serve HTTPS only; both or neither
	TrustProxy         string        // CIDRs of the reverse proxies whose X-Forwarded-For/-Proto are believed
	MetricsAddr        string        // listen address of /metrics; "": no metrics
	LogFormat          string        // "text" or "json"

	// Second factors (see factorFlags).
	SecretKeyFile       string   // key that seals TOTP secrets; "": sesame.key beside a SQLite database
	RequireSecondFactor []string // roles whose users must use a second factor
	PasskeyRPID         string   // domain passkeys are made for; "": see passkeyParty
	PasskeyOrigins      []string // origins whose pages may use passkeys

	// StoreTimeout bounds each call to a PostgreSQL or Redis store, so that
	// one that does not answer makes requests answer 503 instead of hang;
	// zero means 5 seconds. It has no flag: programs that embed the server
	// (tests) set it.
	StoreTimeout time.Duration
}

// DefaultConfig returns the configuration of a plain `sesame serve`.
func DefaultConfig() Config {
	return Config{
		Addr:             "127.0.0.1:5000",
		DB:               "sqlite:sesame.db",
		IdleTimeout:      30 * time.Minute,
		Lifetime:         12 * time.Hour,
		RenewInterval:    15 * time.Minute,
		RenewGrace:       time.Minute,
		RememberLifetime: 30 * 24 * time.Hour,
		RememberIdle:     7 * 24 * time.Hour,
		AuditRetention:   90 * 24 * time.Hour,
		LogFormat:        "text",
	}
}

// ParseServeFlags reads the flags of sesame serve from args, then fills each
// flag not given from the environment variable SESAME_<NAME> (upper case,
// dashes as underscores) as getenv reports it.
func ParseServeFlags(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := newFlagSet("sesame serve", "[flags]", serveHelp, output)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage(fs)) }
	serveFlags(fs, &c)
	rest, err := parseFlags(fs, args, getenv)
	if err != nil {
		return Config{}, err
	}
	if len(rest) > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", rest[0])
	}
	return c, c.validate()
}

const serveHelp = "Serve the shop over HTTP (HTTPS with --tls-cert), by default on http://127.0.0.1:5000/ with the SQLite file ./sesame.db."

// serveFlags adds the flags of sesame serve to fs, writing into c.
func serveFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen `address`")
	storeFlags(fs, c)
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "a session unused this long is dead")
	fs.DurationVar(&c.Lifetime, "lifetime", c.Lifetime, "absolute session lifetime, however active")
	fs.DurationVar(&c.RenewInterval, "renew-interval", c.RenewInterval, "a session's token this old is replaced by a new one (0: only at sign-in)")
	fs.DurationVar(&c.RenewGrace, "renew-grace", c.RenewGrace, "a replaced token still works this long; later it is taken as stolen and ends the session")
	fs.IntVar(&c.MaxSessions, "max-sessions", c.MaxSessions, "live sessions per user; a sign-in past it ends the least recently used (0: no limit)")
	fs.DurationVar(&c.RememberLifetime, "remember-lifetime", c.RememberLifetime, "lifetime of a remembered (\"keep me signed in\") session")
	fs.DurationVar(&c.RememberIdle, "remember-idle-timeout", c.RememberIdle, "idle timeout of a remembered session")
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention, "audit events older than this are removed by the periodic sweep (0: keep every event)")
	fs.Var(optionalBool{&c.Demo}, "demo", "seed the demo users and products into an empty database (default: true for a new SQLite file)")
	fs.BoolVar(&c.AllowDemoOnNetwork, "allow-demo-on-network", false, "listen beyond loopback even while a demo account has its demo password")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "serve HTTPS only (TLS 1.2+) with this PEM certificate `file` (chain first); needs --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "the PEM private key `file` of --tls-cert")
	fs.StringVar(&c.TrustProxy, "trust-proxy", c.TrustProxy, "`CIDRs` (comma-separated) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "serve Prometheus /metrics on this separate listen `address` (never on --addr)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log `format`: text or json")
	factorFlags(fs, c)
	passkeyFlags(fs, c)
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if err := checkStoreURL("--db", c.DB, dataKinds, dataURLs); err != nil {
		return err
	}
	if c.Sessions != "" {
		if err := checkStoreURL("--sessions", c.Sessions, sessionKinds, sessionURLs); err != nil {
			return err
		}
	}
	if c.IdleTimeout <= 0 || c.Lifetime <= 0 || c.RememberIdle <= 0 || c.RememberLifetime <= 0 {
		return errors.New("--idle-timeout, --lifetime, --remember-idle-timeout and --remember-lifetime must be positive")
	}
	if c.IdleTimeout > c.Lifetime {
		return fmt.Errorf("--idle-timeout %v is longer than --lifetime %v: a session would never idle out", c.IdleTimeout, c.Lifetime)
	}
	if c.RememberIdle > c.RememberLifetime {
		return fmt.Errorf("--remember-idle-timeout %v is longer than --remember-lifetime %v", c.RememberIdle, c.RememberLifetime)
	}
	if c.RenewInterval < 0 || c.RenewGrace < 0 || c.MaxSessions < 0 || c.AuditRetention < 0 {
		return errors.New("--renew-interval, --renew-grace, --max-sessions and --audit-retention must not be negative")
	}
	if c.RenewInterval > 0 && c.RenewGrace >= c.RenewInterval {
		return fmt.Errorf("--renew-grace %v must be shorter than --renew-interval %v", c.RenewGrace, c.RenewInterval)
	}
	return c.validateServing()
}

// validateServing checks the flags of how sesame is reached and watched:
// TLS, proxies, metrics and the log. The certificate itself is loaded when
// the server opens, before anything is written.
func (c Config) validateServing() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both, or neither")
	}
	if _, _, err := c.passkeyNames(); err != nil {
		return err
	}
	if _, err := clientip.ParseProxies(c.TrustProxy); err != nil {
		return fmt.Errorf("--trust-proxy: %w", err)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr %q: %w", c.MetricsAddr, err)
		}
		if c.MetricsAddr == c.Addr {
			return fmt.Errorf("--metrics-addr %q is --addr: the metrics need a listener of their own", c.MetricsAddr)
		}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	return nil
}

// proxies returns the parsed --trust-proxy, which validate has checked.
func (c Config) proxies() clientip.Proxies {
	p, _ := clientip.ParseProxies(c.TrustProxy)
	return p
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
