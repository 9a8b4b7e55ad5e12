package app

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/go-webauthn/webauthn/webauthn"
)

// The relying party of passkeys (CONTRACT §9): the domain a passkey is made
// for (its RP id) and the origins whose pages may use one. A browser signs,
// inside every answer, the origin of the page that asked; an answer signed
// for any origin not listed here is refused, so a look-alike site cannot
// relay a passkey's signature.

// passkeyFlags adds the flags of passkeys to fs, writing into c.
func passkeyFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.PasskeyRPID, "passkey-rp-id", "", "`domain` passkeys are made for (default: the host of the first --passkey-origin; localhost when serving on loopback)")
	fs.Var(listFlag{&c.PasskeyOrigins}, "passkey-origin", "`origins` (comma-separated, scheme://host[:port]) whose pages may use passkeys (default: https://RP-ID; http://localhost:PORT when serving on loopback)")
}

// listFlag is a flag of comma-separated values.
type listFlag struct{ list *[]string }

func (l listFlag) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(*l.list, ",")
}

func (l listFlag) Set(v string) error {
	*l.list = roleList(v)
	return nil
}

// passkeyParty returns the relying party of cfg, for a server whose
// listener is on port and that speaks scheme ("http" or "https"), or nil
// when passkeys are off: not configured, on a server that does not listen
// on loopback only, where no default can guess the name its users type.
func passkeyParty(cfg Config, scheme, port string, logger *slog.Logger) (*webauthn.WebAuthn, error) {
	rpID, origins, err := cfg.passkeyNames()
	switch {
	case err != nil:
		return nil, err
	case rpID == "" && !loopback(cfg.Addr):
		logger.Warn("passkeys are off: give --passkey-rp-id and --passkey-origin with the name users open")
		return nil, nil
	case rpID == "":
		// A browser refuses passkeys to a page at an IP address: the
		// default names localhost, which every browser counts as secure.
		host := net.JoinHostPort("localhost", port)
		if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
			host = "localhost" // as a browser writes the origin
		}
		rpID, origins = "localhost", []string{scheme + "://" + host}
		logger.Info("passkeys work at " + origins[0] + "/ (a browser refuses them at 127.0.0.1)")
	}
	wa, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "sesame", RPOrigins: origins})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return wa, nil
}

// passkeyNames returns the RP id and origins that the flags give, the one
// filled in from the other, checked; both empty when neither flag is given.
func (c Config) passkeyNames() (rpID string, origins []string, err error) {
	rpID, origins = c.PasskeyRPID, c.PasskeyOrigins
	switch {
	case rpID == "" && len(origins) == 0:
		return "", nil, nil
	case rpID == "":
		u, err := url.Parse(origins[0])
		if err != nil {
			return "", nil, fmt.Errorf("--passkey-origin %q: %w", origins[0], err)
		}
		rpID = u.Hostname()
	case len(origins) == 0:
		origins = []string{"https://" + rpID}
	}
	if err := checkPasskeyParty(rpID, origins); err != nil {
		return "", nil, err
	}
	// The library's own checks too, at the flags rather than at the start.
	if _, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "sesame", RPOrigins: origins}); err != nil {
		return "", nil, fmt.Errorf("--passkey-rp-id %q, --passkey-origin %s: %w", rpID, strings.Join(origins, ","), err)
	}
	return rpID, origins, nil
}

// checkPasskeyParty refuses what no browser would accept: an RP id that is
// an address or not a name, an origin that is not scheme://host[:port], or
// whose host is neither the RP id nor a name under it, or plain http
// anywhere but localhost (passkeys need a secure context).
func checkPasskeyParty(rpID string, origins []string) error {
	if rpID != strings.ToLower(rpID) || net.ParseIP(rpID) != nil || strings.ContainsAny(rpID, ":/ ") {
		return fmt.Errorf("--passkey-rp-id %q: must be a domain name in lower case, not an address", rpID)
	}
	for _, o := range origins {
		u, err := url.Parse(o)
		switch {
		case err != nil:
			return fmt.Errorf("--passkey-origin %q: %w", o, err)
		case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.Path != "", u.RawQuery != "", u.Fragment != "", u.User != nil:
			return fmt.Errorf("--passkey-origin %q: must be scheme://host[:port], with nothing after", o)
		case o != strings.ToLower(o):
			return fmt.Errorf("--passkey-origin %q: must be in lower case, as browsers send it", o)
		case u.Hostname() != rpID && !strings.HasSuffix(u.Hostname(), "."+rpID):
			return fmt.Errorf("--passkey-origin %q: its host is not %s nor a name under it", o, rpID)
		case u.Scheme == "http" && u.Hostname() != "localhost":
			return errors.New("--passkey-origin " + o + ": passkeys need https, but for localhost")
		}
	}
	return nil
}
