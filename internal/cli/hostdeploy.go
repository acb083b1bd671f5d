package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/deploy"
	"github.com/keycycle/keycycle/internal/policy"
)

// deployFlags bring a host command's change to the hosts whose files it
// changed: the deploy command (--deploy, else keycycle.yaml's deploy:)
// for each, several at a time.
type deployFlags struct {
	command     string
	noDeploy    bool
	maxParallel int
}

func (d *deployFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&d.command, "deploy", "", "deploy command run for every host whose files changed ({host}, {ssh}); default keycycle.yaml's deploy:")
	f.BoolVar(&d.noDeploy, "no-deploy", false, "do not run the deploy command")
	f.IntVar(&d.maxParallel, "max-parallel", 4, "with a deploy command: how many hosts deploy at once")
}

// deployAfter runs the deploy for the hosts whose files the applied
// change req altered (with --dry-run: says which it would); without a
// deploy command it names the hosts to deploy. A host that fails does
// not stop the others; the result is an error when one failed.
func deployAfter(ctx context.Context, out io.Writer, m *mutateFlags, d *deployFlags, req change.Request) error {
	if d.noDeploy {
		return nil
	}
	if d.maxParallel < 1 {
		return errorf("pass --max-parallel 1 or more", "--max-parallel %d: at least one host must deploy at a time", d.maxParallel)
	}
	root := filepath.Dir(req.ConfigPath)
	pol, err := policy.Load(root)
	if err != nil {
		return err
	}
	hosts, err := deploy.HostsFor(req, pol)
	if err != nil || len(hosts) == 0 {
		return err
	}
	command := d.command
	if command == "" && pol.Config != nil {
		command = pol.Config.Deploy.Command
	}
	w := out
	if m.format == "json" {
		w = m.stderr
	}
	switch {
	case command == "":
		fmt.Fprintf(w, "deploy these hosts so that they get the changed files: %s\n"+
			"(with a deploy: command in keycycle.yaml, or --deploy CMD, keycycle runs it for each)\n", strings.Join(hosts, ", "))
		return nil
	case m.dryRun:
		fmt.Fprintf(w, "would deploy %s: %s\n", strings.Join(hosts, ", "), command)
		return nil
	}
	results := deploy.RunAll(ctx, root, command, deploy.TargetsOf(hosts, pol), d.maxParallel, m.stderr)
	var failed []string
	for _, r := range results {
		if r.OK {
			fmt.Fprintf(w, "deployed %s\n", r.Host)
		} else {
			fmt.Fprintf(w, "deploy failed on %s: %s\n", r.Host, r.Error)
			failed = append(failed, r.Host)
		}
	}
	fmt.Fprintf(w, "deploy: %d host(s), %d ok, %d failed\n", len(results), len(results)-len(failed), len(failed))
	if len(failed) > 0 {
		return &userError{code: ExitFindings, msg: fmt.Sprintf("the change is written, but deploying %s failed", strings.Join(failed, ", ")),
			hint: "fix the cause and deploy those hosts again (their output is above)"}
	}
	return nil
}
