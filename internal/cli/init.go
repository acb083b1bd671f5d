package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/policy"
)

type initOptions struct {
	mutateFlags
	force bool
}

func newInitCmd(e *env) *cobra.Command {
	opts := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Adopt an existing secrets repository: write .keycycle/keys.yaml and a keycycle.yaml skeleton",
		Long: `Init reads .sops.yaml and records every key in .keycycle/keys.yaml: its
kind (host, user, admin, backup), guessed from the keys: groups and the
anchor names (&hostname, &user_hostname), its owner host, and its creation
date, taken from the version control history: the oldest commit that
added the recipient to .sops.yaml (git, or jj where the repository has
.jj/). A key no history knows is recorded as created: unknown.

It also writes a commented keycycle.yaml skeleton with the hosts it found,
when there is none; an existing keycycle.yaml is never touched.

Running it again changes nothing. When .keycycle/keys.yaml exists and
differs from what init would write, init refuses unless --force, which
keeps every entry the file has and adds the keys it lacks.`,
		Example: `  keycycle init
  keycycle init --dry-run
  keycycle init --force --commit`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(cmd.Context(), opts, e.stdout)
		},
	}
	opts.register(cmd, e)
	cmd.Flags().BoolVar(&opts.force, "force", false, "merge into an existing .keycycle/keys.yaml that differs")
	return cmd
}

func runInit(ctx context.Context, opts *initOptions, out io.Writer) error {
	a, err := ops.Init(ctx, opts.options(), opts.force)
	if a != nil {
		writeInitReport(out, a, opts.dryRun)
	}
	return err
}

func writeInitReport(out io.Writer, a *ops.Adopted, dryRun bool) {
	if g := a.Grace; g.Overdue > 0 {
		day := g.Until.Format("2006-01-02")
		switch g.Kind {
		case ops.GraceSet:
			fmt.Fprintf(out, "%d key(s) are past the policy's maximum age; KC301 is a warning until policy.enforce_from (%s)\n", g.Overdue, day)
		case ops.GraceSuggested:
			fmt.Fprintf(out, "%d key(s) are past the policy's maximum age: 'keycycle check' fails on them (KC301); "+
				"to phase the policy in, set policy.enforce_from: %s in keycycle.yaml\n", g.Overdue, day)
		case ops.GraceNew:
			fmt.Fprintf(out, "%d key(s) are past the policy's maximum age: keycycle.yaml gets policy.enforce_from: %s, "+
				"until which 'keycycle check' reports them as warnings (KC301); rotate them before: 'keycycle rotate due'\n", g.Overdue, day)
		}
	}
	for _, k := range a.Keys.Keys {
		owner := ""
		if k.Owner != "" && k.Owner != k.Name {
			owner = " (on " + k.Owner + ")"
		}
		fmt.Fprintf(out, "%-20s %-8s created %s%s\n", k.Name, k.Kind, policy.FormatTime(k.Created), owner)
	}
	fmt.Fprintf(out, "%s: %s\n%s: %s\n", policy.KeysFile, a.KeysState, policy.ConfigFile, a.ConfigState)
	if !dryRun {
		fmt.Fprintln(out, "next: give each host its role in keycycle.yaml, then run 'keycycle check'")
	}
}
