package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/textutil"
)

type rotateDueOptions struct {
	mutateFlags
	req ops.DueRequest
}

func newRotateDueCmd(e *env) *cobra.Command {
	opts := &rotateDueOptions{mutateFlags: mutateFlags{noExclude: true}}
	cmd := &cobra.Command{
		Use:   "due",
		Short: "Rotate every key past its policy age, several hosts at a time",
		Long: `Rotate due finds every key of .keycycle/keys.yaml that keycycle.yaml's
policy says is overdue (with --due-soon, also those inside the warning
window) and rotates each as 'rotate start' would, up to --max-parallel
hosts at a time (the keys of one host one after the other). A rotation that fails stops at its last recorded step
without stopping the others; one already open for a due key is resumed
(unless it waits for you to deploy). Progress goes to stderr; the summary
table (or --format json) to stdout.

The changes to the repository take turns; what happens on the hosts and
the deploy commands run side by side. An admin key's rotation waits for
your confirmation (rotate resume). Backup keys are listed as skipped:
rotate them by hand.

It exits 0 when every due key is rotated (or waits for your deployment),
1 when a rotation failed (the summary says where; 'keycycle rotate due'
again resumes it).`,
		Example: `  keycycle rotate due --dry-run
  keycycle rotate due --max-parallel 4 --deploy 'nixos-rebuild switch --flake .#{host} --target-host {ssh}'
  keycycle rotate due --format json > rotations.json`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRotateDue(cmd.Context(), opts, e.stdout)
		},
	}
	opts.register(cmd, e)
	f := cmd.Flags()
	f.IntVar(&opts.req.MaxParallel, "max-parallel", 4, "how many hosts rotate at once")
	f.BoolVar(&opts.req.Soon, "due-soon", false, "also rotate keys inside the policy's warning window")
	registerReach(cmd, &opts.req.Base.Deploy, &opts.req.Base.Remote, "", "")
	return cmd
}

func runRotateDue(ctx context.Context, opts *rotateDueOptions, out io.Writer) error {
	res, err := ops.RotateDue(ctx, opts.options(), opts.req)
	if res == nil {
		return err
	}
	if err := res.Write(out, opts.format); err != nil {
		return err
	}
	if res.Failed() {
		return textutil.Findingsf("fix the causes, then run 'keycycle rotate due' again: it resumes them ('keycycle rotate status' lists them)",
			"some rotations failed (see the summary)")
	}
	return err
}
