package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// Main runs the sesame command with args (without the program name) until
// ctx is done, and returns its exit status: 0 after a clean stop, 1 when it
// could not start or failed, 2 for a usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr, getenv)
	case "help":
		fmt.Fprintln(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "sesame: unknown command %q\n\n%s\n", cmd, usage)
	return 2
}

const usage = `Usage: sesame [command] [flags]

Commands:
  serve    serve the shop over HTTP (the default)
  help     show this help

Run "sesame serve -h" for the flags of serve.`

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := ParseServeFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if !errors.As(err, new(usageError)) {
			fmt.Fprintf(stderr, "sesame serve: %v\n", err)
		}
		return 2
	}
	s := &Server{Config: cfg, Stdout: stdout, Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	if err := s.Open(ctx); err != nil {
		fmt.Fprintf(stderr, "sesame: %v\n", err)
		return 1
	}
	defer s.Close()
	if err := s.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "sesame: %v\n", err)
		return 1
	}
	return 0
}
