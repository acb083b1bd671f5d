package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/check"
	"github.com/keycycle/keycycle/internal/demo"
	"github.com/keycycle/keycycle/internal/inventory"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

type demoOptions struct {
	dir  string
	keep bool
}

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
			return runDemo(cmd.Context(), opts, e.stdout, args)
		},
	}
	cmd.Flags().StringVar(&opts.dir, "dir", "", "build the repository in DIR (new or empty) and keep it")
	cmd.Flags().BoolVar(&opts.keep, "keep", false, "keep the temporary folder and print its path")
	return cmd
}

func runDemo(ctx context.Context, opts *demoOptions, out io.Writer, args []string) (err error) {
	dir := opts.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "keycycle-demo-"); err != nil {
			return err
		}
		if !opts.keep {
			defer os.RemoveAll(dir)
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	l, err := demo.Build(dir)
	if err != nil {
		return errorf("pass --dir with a new or empty folder", "%v", err)
	}
	fmt.Fprintf(out, "keycycle demo: a nix-secrets repository in %s\n\n", dir)
	fmt.Fprintln(out, "  .sops.yaml           3 hosts (griefling, malphas, sorrow), users rain and rain_griefling")
	fmt.Fprintln(out, "  sops/shared.yaml     secrets every host reads")
	fmt.Fprintln(out, "  sops/<host>.yaml     one file per host (griefling's holds rain's user age key)")
	fmt.Fprintln(out, "\nPlanted on purpose:")
	for _, p := range l.Planted {
		fmt.Fprintf(out, "  - %s\n", p)
	}
	r, err := repo.Load(ctx, dir+"/.sops.yaml", sopsfile.Backend{}, repo.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n$ keycycle check\n")
	writeCheckText(out, check.Run(r))
	fmt.Fprintf(out, "\n$ keycycle inventory\n")
	if err := inventory.WriteTable(out, inventory.Build(r), 80); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n$ keycycle rotate start griefling --local   # %s/ stands for griefling's /\n", demoHost)
	if err := demoRotation(ctx, dir, l, out); err != nil {
		return fmt.Errorf("demo rotation: %w", err)
	}
	fmt.Fprintln(out, `
What next: in your own secrets repository run 'keycycle check' (exit 1 when
it finds errors, so it fits CI), then 'keycycle rekey --dry-run' and
'keycycle rekey' to bring drifted files in line. 'keycycle host add NAME
--ssh-pubkey FILE' and 'keycycle host remove NAME' replace hand edits of
.sops.yaml; every command that changes files takes --dry-run. 'keycycle
init' records key ages; 'keycycle rotate due' then rotates every key past
the age keycycle.yaml allows, over ssh.`)
	if opts.keep || opts.dir != "" {
		fmt.Fprintf(out, "\nThe repository is kept in %s (private demo keys in identities/).\n", dir)
	}
	return nil
}
