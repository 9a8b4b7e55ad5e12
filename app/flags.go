package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageError is a mistake on the command line that the flag package has
// reported already, with the usage: exit status 2, and nothing more to say.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// badUsage is a mistake on the command line still to report: an argument
// too many or too few, a value the flag package took but the command
// refuses. Exit status 2.
type badUsage struct{ error }

func (e badUsage) Unwrap() error { return e.error }

// newFlagSet returns the flag set of command ("sesame user add", say),
// whose usage line is synopsis and whose help says what it does. Its
// -h/--help prints that help, with the flags spelt --name as the README
// spells them.
func newFlagSet(command, synopsis, help string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s %s\n\n%s\n", command, synopsis, help)
		if hasFlags(fs) {
			fmt.Fprintf(fs.Output(), "\nFlags (each can also be set with SESAME_<NAME>, e.g. SESAME_DB):\n")
			printFlags(fs.Output(), fs)
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// printFlags lists the flags of fs as "--name value" with their help and
// default, one after another.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "0s" {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

// parseFlags parses args into fs, then fills each flag not given from the
// environment variable SESAME_<NAME> (upper case, dashes as underscores) as
// getenv reports it, and returns the arguments left. Errors the flag
// package reported itself (with the usage) are usageErrors; -h and --help
// are flag.ErrHelp.
//
// Flags may stand before, between or after the other arguments ("sesame
// user add alice --role customer"), which the flag package alone does not
// allow; "--" ends the flags.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) ([]string, error) {
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err} // the flag package has told the user
		}
		left := fs.Args()
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			rest = append(rest, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		rest, args = append(rest, left[0]), left[1:]
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SESAME_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && !given[f.Name] && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = badUsage{fmt.Errorf("invalid value %q for %s: %w", v, name, err)}
			}
		}
	})
	return rest, envErr
}

// storeFlags adds --db and --sessions to fs, as every command that opens
// the stores takes them.
func storeFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.DB, "db", c.DB, "app data `store`: sqlite:PATH or postgres://USER@HOST/DB (postgresql:// too)")
	fs.StringVar(&c.Sessions, "sessions", c.Sessions, "session `store`: sqlite:PATH, postgres://…, redis://HOST:PORT/N[?prefix=P] (rediss:// for TLS) or memory\n"+
		"(default: the same store as --db)")
}
