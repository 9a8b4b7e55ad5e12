package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/sesamehq/sesame"
)

// The commands besides serve act on the stores directly, through the same
// services as the server (package account), as the operator "cli": their
// changes are audited with that actor, and they need no re-authentication,
// since whoever runs them can read the database anyway. Every change lands
// in the stores at once, so a server running on the same database sees it
// on its next request: a session revoked here is dead there. SQLite's busy
// timeout lets them run beside a live server.

// operator returns ctx with the command line as its actor.
func operator(ctx context.Context) context.Context {
	return sesame.NewContext(ctx, &sesame.Actor{Operator: sesame.OperatorCLI, UserAgent: "sesame " + version()})
}

// opened are the stores and services a command works on.
type opened struct {
	*Services
	stores *Stores
}

// openForCommand opens the stores of cfg and the services over them, for a
// command other than serve. It refuses a SQLite file that does not exist,
// rather than create an empty database for a command to find nothing in
// (sesame migrate creates one).
func openForCommand(ctx context.Context, cfg Config, e cmdEnv) (*opened, error) {
	if newSQLiteFile(cfg.DB) {
		return nil, fmt.Errorf("there is no database at %s: start sesame serve, or run sesame migrate, first",
			strings.TrimPrefix(cfg.DB, "sqlite:"))
	}
	st, err := OpenStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := newServices(st, wiring{cfg: cfg, logger: logger})
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return &opened{Services: svc, stores: st}, nil
}

func (o *opened) Close() error { return o.stores.Close() }

// commandConfig parses the flags of a command that opens the stores: --db
// and --sessions, and what add adds. It returns the configuration and the
// other arguments.
func commandConfig(e cmdEnv, args []string, command, synopsis, help string, add func(fs *flag.FlagSet)) (Config, []string, error) {
	cfg := DefaultConfig()
	fs := newFlagSet(command, synopsis, help, e.stderr)
	storeFlags(fs, &cfg)
	if add != nil {
		add(fs)
	}
	rest, err := parseFlags(fs, args, e.getenv)
	if err != nil {
		return Config{}, nil, err
	}
	if err := checkStoreURL("--db", cfg.DB, dataKinds, dataURLs); err != nil {
		return Config{}, nil, badUsage{err}
	}
	if cfg.Sessions != "" {
		if err := checkStoreURL("--sessions", cfg.Sessions, sessionKinds, sessionURLs); err != nil {
			return Config{}, nil, badUsage{err}
		}
	}
	return cfg, rest, nil
}

func migrateCmd(ctx context.Context, e cmdEnv, args []string) error {
	cfg, rest, err := commandConfig(e, args, "sesame migrate", "[flags]",
		"Apply the migrations the stores lack (creating a new SQLite file, or the tables in a PostgreSQL database) and print the schema version.", nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return badUsage{fmt.Errorf("unexpected argument %q", rest[0])}
	}
	st, err := OpenStores(ctx, cfg) // opening migrates
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.Data.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "schema version %d\n", v)
	return nil
}

func versionCmd(_ context.Context, e cmdEnv, args []string) error {
	fs := newFlagSet("sesame version", "", "Print the version of sesame, the commit it was built from and the Go version.", e.stderr)
	rest, err := parseFlags(fs, args, e.getenv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return badUsage{fmt.Errorf("unexpected argument %q", rest[0])}
	}
	fmt.Fprintf(e.stdout, "sesame %s\n", versionLine())
	return nil
}

// version is the module version of the build: a tag, a pseudo-version, or
// "(devel)" for a build from a checkout.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// versionLine says the version, the commit (with "+dirty" for a build from
// a changed checkout) and the Go version, from the build information.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown build)"
	}
	commit, dirty := "unknown", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		commit += "+dirty"
	}
	return fmt.Sprintf("%s, commit %s, %s", version(), commit, bi.GoVersion)
}

// readPassword reads a new password: one line of standard input with
// --password-stdin (for scripts), else from the terminal, without echo and
// twice, so that a typo cannot lock the user out.
func readPassword(e cmdEnv, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			return "", errors.New("no password on standard input")
		}
		return line, nil
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("standard input is not a terminal: pass --password-stdin to read the password from it")
	}
	fd := int(f.Fd())
	fmt.Fprint(e.stderr, "New password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	fmt.Fprint(e.stderr, "Again: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if string(first) != string(second) {
		return "", errors.New("the two passwords differ")
	}
	return string(first), nil
}

// explain turns a service's refusal into the one line a command prints.
func explain(err error) error {
	var inv *sesame.InvalidError
	if errors.As(err, &inv) {
		var parts []string
		for _, f := range slices.Sorted(maps.Keys(inv.Fields)) {
			parts = append(parts, f+": "+inv.Fields[f])
		}
		return errors.New(strings.Join(parts, "; "))
	}
	if errors.Is(err, sesame.ErrUnavailable) {
		return fmt.Errorf("the store cannot be reached: %w", err)
	}
	return err
}
