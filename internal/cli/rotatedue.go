package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/rotation"
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
	if err := writeDue(out, opts.format, opts, res); err != nil {
		return err
	}
	if res.Failed() {
		return textutil.Findingsf("fix the causes, then run 'keycycle rotate due' again: it resumes them ('keycycle rotate status' lists them)",
			"some rotations failed (see the summary)")
	}
	return err
}

func writeDue(out io.Writer, format string, opts *rotateDueOptions, res *ops.DueResult) error {
	keys := res.Keys
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema      string             `json:"schema"`
			AsOf        time.Time          `json:"as_of"`
			DryRun      bool               `json:"dry_run"`
			MaxParallel int                `json:"max_parallel"`
			Keys        []*rotation.DueKey `json:"keys"`
		}{"keycycle.rotate-due/v1", res.AsOf, opts.dryRun, opts.req.MaxParallel, append([]*rotation.DueKey{}, keys...)})
	}
	if len(keys) == 0 {
		_, err := fmt.Fprintln(out, "no key is past its policy age")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tKIND\tHOST\tDUE\tRESULT\tSTATE\tNOTE")
	count := map[string]int{}
	for _, k := range keys {
		count[k.Result]++
		note := k.Note
		if note == "" && k.New != "" {
			note = "now " + k.New
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Key, k.Kind, dash(k.Host), k.Due.Format("2006-01-02"),
			k.Result, dash(string(k.State)), textutil.OneLine(note))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "%d key(s) due: %d done, %d waiting, %d failed, %d skipped, %d planned\n",
		len(keys), count[rotation.DueDone], count[rotation.DueWaiting], count[rotation.DueFailed], count[rotation.DueSkipped], count[rotation.DuePlanned])
	if opts.dryRun && err == nil {
		_, err = fmt.Fprintln(out, "dry run: nothing written")
	}
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
