package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// cmdEnv is what a command runs with: its streams and the environment.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// A commandFunc runs one command with its arguments (after its name) and
// returns nil, a usageError (exit status 2), flag.ErrHelp (0), or another
// error (1), which Main prints as one line.
type commandFunc func(ctx context.Context, e cmdEnv, args []string) error

// commands are sesame's commands, by name, with the one line that says what
// each does in the usage.
var commands = []struct {
	name, summary string
	run           commandFunc
}{
	{"serve", "serve the shop over HTTP (the default)", serve},
	{"migrate", "apply the migrations the stores lack and print the schema version", migrateCmd},
	{"user", "add, change, disable, enable and list users (sesame user --help)", userCmd},
	{"sessions", "list and revoke sessions (sesame sessions --help)", sessionsCmd},
	{"version", "print the version, the commit and the Go version", versionCmd},
}

// Main runs the sesame command with args (without the program name) until
// ctx is done, and returns its exit status: 0 after a clean stop, 1 when it
// could not start or failed, 2 for a usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return MainWithInput(ctx, args, nil, stdout, stderr, getenv)
}

// MainWithInput is Main with a standard input, which the commands that read
// a password use.
func MainWithInput(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	name := "serve"
	switch {
	case len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-help"):
		fmt.Fprint(stdout, topUsage())
		return 0
	case len(args) > 0 && (args[0] == "-h"):
		fmt.Fprint(stderr, topUsage())
		return 0
	case len(args) > 0 && (args[0] == "--version" || args[0] == "-version"):
		name, args = "version", args[1:]
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		name, args = args[0], args[1:]
	}
	for _, c := range commands {
		if c.name == name {
			return exitStatus(c.name, c.run(ctx, e, args), stderr)
		}
	}
	fmt.Fprintf(stderr, "sesame: unknown command %q\n\n%s", name, topUsage())
	return 2
}

// exitStatus turns the error of command name into its exit status, saying
// what went wrong in one line on stderr (unless the flag package has said
// it): a usage mistake is the command's ("sesame serve: …"), a failure the
// program's ("sesame: …").
func exitStatus(name string, err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		return 2
	case errors.As(err, new(badUsage)):
		fmt.Fprintf(stderr, "sesame %s: %s\n", name, oneLine(err))
		return 2
	}
	fmt.Fprintf(stderr, "sesame: %s\n", oneLine(err))
	return 1
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// topUsage is what sesame --help prints: the commands, and the flags of
// serve, the default one.
func topUsage() string {
	var b strings.Builder
	b.WriteString("Usage: sesame [command] [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("  help      show this help\n\nRun \"sesame COMMAND --help\" for the flags of a command. ")
	c := DefaultConfig()
	fs := newFlagSet("sesame serve", "[flags]", serveHelp, io.Discard)
	serveFlags(fs, &c)
	b.WriteString("The flags of serve:\n\n")
	b.WriteString(usage(fs))
	return b.String()
}

// usage renders the usage of fs.
func usage(fs *flag.FlagSet) string {
	var b strings.Builder
	out := fs.Output()
	fs.SetOutput(&b)
	fmt.Fprintf(&b, "Usage: sesame serve [flags]\n\n%s\n\nEach flag can also be set with SESAME_<NAME>, e.g. SESAME_IDLE_TIMEOUT=10m.\n\nFlags:\n", serveHelp)
	printFlags(&b, fs)
	fs.SetOutput(out)
	return b.String()
}

func serve(ctx context.Context, e cmdEnv, args []string) error {
	cfg, err := ParseServeFlags(args, e.getenv, e.stderr)
	if err != nil {
		if errors.As(err, new(usageError)) || errors.Is(err, flag.ErrHelp) {
			return err
		}
		return badUsage{err}
	}
	s := &Server{Config: cfg, Stdout: e.stdout, Logger: newLogger(cfg.LogFormat, e.stderr)}
	if err := s.Open(ctx); err != nil {
		return err
	}
	defer s.Close()
	return s.Run(ctx)
}

// newLogger returns the log of --log-format format ("text" or "json",
// which validate has checked) on w, at info level.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
