// Command keycycle manages the life of the age keys behind SOPS-encrypted
// secrets. All the work is in internal/cli; main only wires it and exits.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/keycycle/keycycle/internal/cli"
	"github.com/keycycle/keycycle/internal/initgc"
)

func main() {
	// The collector was off while the packages initialised.
	initgc.Restore()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
