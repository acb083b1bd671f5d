package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/check"
	"github.com/keycycle/keycycle/internal/inventory"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Options are what 'keycycle demo' is asked.
type Options struct {
	// Dir is where to build the repository (new or empty), which is then
	// kept; "" builds it in a temporary folder.
	Dir string
	// Keep keeps the temporary folder.
	Keep bool
	// Rotate rotates griefling's key in the repository l built, the
	// host side on this machine (ops.DemoRotation), saying how on out.
	Rotate func(ctx context.Context, l *Layout, out io.Writer) error
}

// Run builds the demo repository, shows on out what check and inventory
// say of it, and rotates host griefling's key through every step
// (o.Rotate), explaining as it goes.
func Run(ctx context.Context, o Options, out io.Writer) (err error) {
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "keycycle-demo-"); err != nil {
			return err
		}
		if !o.Keep {
			defer os.RemoveAll(dir)
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	l, err := Build(dir)
	if err != nil {
		return textutil.Hintf("pass --dir with a new or empty folder", "%v", err)
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
	check.WriteText(out, check.Run(r))
	fmt.Fprintf(out, "\n$ keycycle inventory\n")
	if err := inventory.WriteTable(out, inventory.Build(r), 80); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n$ keycycle rotate start griefling --local   # %s/ stands for griefling's /\n", HostDir)
	if err := o.Rotate(ctx, l, out); err != nil {
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
	if o.Keep || o.Dir != "" {
		fmt.Fprintf(out, "\nThe repository is kept in %s (private demo keys in identities/).\n", dir)
	}
	return nil
}
