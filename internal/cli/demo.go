package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/demo"
	"github.com/keycycle/keycycle/internal/ops"
)

type demoOptions struct{ demo.Options }

func newDemoCmd(e *env) *cobra.Command {
	opts := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a throwaway secrets repository and show check, inventory and a key rotation on it",
		Long: `Demo builds a small nix-secrets repository in a temporary folder — three
hosts, two users, sops/shared.yaml and one file per host, really encrypted
with the sops library — with four problems planted in it, then runs
'keycycle check' and 'keycycle inventory' on it and explains what they say,
and rotates host griefling's key through every step of 'keycycle rotate'
(the host side run by this binary on this machine, a folder of the demo
standing for griefling's /).

The folder is removed afterwards unless --keep or --dir is given; its
identities/ folder holds the demo's private keys (0600), so you can try
'SOPS_AGE_KEY_FILE=identities/rain.txt sops -d sops/shared.yaml' there.

Demo exits 0 when it ran, whatever the checks found.`,
		Example: `  keycycle demo
  keycycle demo --dir /tmp/nix-secrets-demo
  cd /tmp/nix-secrets-demo && keycycle check`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), opts, e.stdout)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "build the repository in DIR (new or empty) and keep it")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "keep the temporary folder and print its path")
	return cmd
}

func runDemo(ctx context.Context, opts *demoOptions, out io.Writer) error {
	opts.Rotate = ops.DemoRotation
	return demo.Run(ctx, opts.Options, out)
}
