// Command sesame serves the sesame shop: secure session management shown
// working. See the README for its flags and subcommands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sesamehq/sesame/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.MainWithInput(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
