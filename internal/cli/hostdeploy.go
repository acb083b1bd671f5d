package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/deploy"
)

// deployFlags add the flags of a host command's deploy step, which brings
// its change to the hosts whose files it changed: the deploy command
// (--deploy, else keycycle.yaml's deploy:) for each, several at a time.
func deployFlags(cmd *cobra.Command, d *deploy.Step) {
	f := cmd.Flags()
	f.StringVar(&d.Command, "deploy", "", "deploy command run for every host whose files changed ({host}, {ssh}); default keycycle.yaml's deploy:")
	f.BoolVar(&d.Skip, "no-deploy", false, "do not run the deploy command")
	f.IntVar(&d.MaxParallel, "max-parallel", 4, "with a deploy command: how many hosts deploy at once")
}

// writeDeployed renders what the deploy step did (nil: nothing) on out,
// or on stderr with --format json.
func writeDeployed(out io.Writer, m *mutateFlags, d *deploy.Outcome) {
	if d == nil {
		return
	}
	w := out
	if m.format == "json" {
		w = m.stderr
	}
	switch {
	case d.Command == "":
		fmt.Fprintf(w, "deploy these hosts so that they get the changed files: %s\n"+
			"(with a deploy: command in keycycle.yaml, or --deploy CMD, keycycle runs it for each)\n", strings.Join(d.Hosts, ", "))
		return
	case d.DryRun:
		fmt.Fprintf(w, "would deploy %s: %s\n", strings.Join(d.Hosts, ", "), d.Command)
		return
	}
	for _, r := range d.Results {
		if r.OK {
			fmt.Fprintf(w, "deployed %s\n", r.Host)
		} else {
			fmt.Fprintf(w, "deploy failed on %s: %s\n", r.Host, r.Error)
		}
	}
	failed := len(d.Failed())
	fmt.Fprintf(w, "deploy: %d host(s), %d ok, %d failed\n", len(d.Results), len(d.Results)-failed, failed)
}
