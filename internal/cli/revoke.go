package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/ops"
)

type hostRemoveOptions struct {
	mutateFlags
	req ops.HostRemoveRequest
}

func newHostRemoveCmd(e *env) *cobra.Command {
	opts := &hostRemoveOptions{}
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Revoke a host: out of every rule and keys:, its files re-keyed with new data keys",
		Long: `Host remove decommissions a host. It removes &NAME and the host's user keys
(&USER_NAME) from keys: and from every rule, removes the host's own rule
and deletes its file DIR/NAME.yaml (it stays in the VCS history) — or with
--keep-file keeps both, re-encrypted for the remaining keys. The host leaves
hosts: in keycycle.yaml too (--no-policy keeps it there).

Every file the host could read gets a new data key and all its values are
encrypted again, so the removed key opens nothing written from now on. The
secrets it could read are listed: their values are known to the host and
must be changed at their source.

Everything is verified in memory first; nothing is written unless every
file verified. It refuses to leave any file with no recipient. Then the
deploy command (--deploy, else keycycle.yaml's deploy:) runs for every
remaining host whose files changed.`,
		Example: `  keycycle host remove sorrow --dry-run
  keycycle host remove sorrow`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostRemove(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	f := cmd.Flags()
	f.BoolVar(&opts.req.KeepFile, "keep-file", false, "keep the host's file and rule, re-encrypted for the remaining keys")
	f.BoolVar(&opts.req.NoPolicy, "no-policy", false, "leave the host under hosts: in keycycle.yaml")
	deployFlags(cmd, &opts.req.Deploy)
	f.StringVar(&opts.req.Dir, "dir", "sops", "folder of the secrets files, relative to the repository")
	return cmd
}

func runHostRemove(ctx context.Context, opts *hostRemoveOptions, out io.Writer, args []string) error {
	opts.req.Name = args[0]
	res, err := ops.HostRemove(ctx, opts.options(), opts.req)
	return writeRevoked(out, &opts.mutateFlags, args[0], res, err)
}

type userAddOptions struct {
	mutateFlags
	req ops.UserAddRequest
}

func newUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Give a person's age key access, or revoke it",
		Long: `User commands add or remove a person's age key:

  keycycle user add NAME --age RECIPIENT [--host HOST]
  keycycle user remove NAME`,
	}
	cmd.AddCommand(newUserAddCmd(e), newUserRemoveCmd(e))
	return cmd
}

func newUserAddCmd(e *env) *cobra.Command {
	opts := &userAddOptions{}
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Register a user key and add it to the shared rules (and a host's rule)",
		Long: `User add puts &NAME under keys: (in the users group when there is one),
adds *NAME to the shared rule(s) — and with --host HOST to HOST's own rule —
and rekeys the files that changed, verified in memory before anything is
written.`,
		Example: `  keycycle user add rain_laptop --age age1… --host laptop --dry-run`,
		Args:    argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUserAdd(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	f := cmd.Flags()
	f.StringVar(&opts.req.Age, "age", "", "the user's age recipient (age-keygen -y KEYFILE)")
	f.StringVar(&opts.req.Host, "host", "", "also add the key to this host's own rule")
	f.StringVar(&opts.req.Dir, "dir", "sops", "folder of the secrets files, relative to the repository")
	return cmd
}

func runUserAdd(ctx context.Context, opts *userAddOptions, out io.Writer, args []string) error {
	opts.req.Name = args[0]
	res, err := ops.UserAdd(ctx, opts.options(), opts.req)
	if res != nil {
		writeAdded(out, &opts.mutateFlags, opts.req.Name, res)
	}
	return err
}

// writeAdded says that an add had been done already (on stderr with
// --format json, whose stdout stays a document or nothing).
func writeAdded(out io.Writer, m *mutateFlags, name string, res *ops.AccessResult) {
	if !res.AlreadyAdded {
		return
	}
	if m.format == "json" {
		out = m.stderr
	}
	fmt.Fprintf(out, "&%s is registered already with this key: nothing to do ('keycycle check' shows whether every file is in line)\n", name)
}

func newUserRemoveCmd(e *env) *cobra.Command {
	opts := &mutateFlags{}
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Revoke a user key: out of every rule, its files re-keyed with new data keys",
		Long: `User remove deletes &NAME and every alias to it, gives every file the key
could read a new data key, and lists the secrets it could read: change
their values at the source. It refuses to leave a file with no recipient.`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUserRemove(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	return cmd
}

func runUserRemove(ctx context.Context, opts *mutateFlags, out io.Writer, args []string) error {
	res, err := ops.UserRemove(ctx, opts.options(), args[0])
	return writeRevoked(out, opts, args[0], res, err)
}

// writeRevoked renders what a revocation (host remove, host set-key,
// user remove) did, after its plan: a revocation done already, or the
// deploy step and what to do next about the exposed secrets.
func writeRevoked(out io.Writer, m *mutateFlags, name string, res *ops.AccessResult, err error) error {
	switch {
	case res == nil:
		return err
	case res.AlreadyRemoved:
		fmt.Fprintf(out, "&%s was removed already (the audit log records it) and no file lists its key: nothing to do\n", name)
		return err
	}
	writeDeployed(out, m, res.Deployed)
	regenerateHint(out, m, name)
	return err
}
