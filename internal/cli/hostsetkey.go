package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/ops"
)

type hostSetKeyOptions struct {
	mutateFlags
	req ops.HostSetKeyRequest
}

func newHostSetKeyCmd(e *env) *cobra.Command {
	opts := &hostSetKeyOptions{}
	cmd := &cobra.Command{
		Use:   "set-key NAME",
		Short: "Give a registered host a new key (a reinstalled host): its files re-keyed with new data keys",
		Long: `Host set-key replaces the key of a host that is registered already — a
reinstalled host with a new SSH host key, say. The new key comes from
exactly one of --ssh-pubkey FILE, --ssh-keyscan ADDR[:PORT], --age
RECIPIENT or --new-ssh-key DIR. Then:
  1. the value of &NAME under keys: is replaced in place (its comments and
     every *NAME stay, so every rule that listed the host lists the new key),
  2. every file the host reads is re-keyed with a new data key: the old key
     is presumed lost or leaked, and must open nothing written from now on,
  3. the host's own file and its secrets (user keys under keys/age too)
     are kept,
  4. .keycycle/keys.yaml, when there is one: the old key retired (replaced
     by NAME), the new one created now,
  5. the deploy command (--deploy, else keycycle.yaml's deploy:) runs for
     every host whose files changed.
Everything is verified in memory first, with your own identity opening
the files (the host's old key is not needed).

The secrets the old key could read are listed: change them at the source
if the old key may have leaked.

For a planned replacement of a key the host still has, 'keycycle rotate
start NAME' keeps the host able to decrypt at every step.`,
		Example: `  keycycle host set-key ghost --ssh-keyscan 192.0.2.10 --dry-run
  keycycle host set-key ghost --ssh-pubkey ssh_host_ed25519_key.pub --commit
  keycycle host set-key ghost --new-ssh-key /tmp/extra   # then nixos-anywhere --extra-files /tmp/extra`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostSetKey(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	keySourceFlags(cmd, &opts.req.Key, "new ")
	deployFlags(cmd, &opts.req.Deploy)
	return cmd
}

func runHostSetKey(ctx context.Context, opts *hostSetKeyOptions, out io.Writer, args []string) error {
	opts.req.Name = args[0]
	res, err := ops.HostSetKey(ctx, opts.options(), opts.req)
	return writeRevoked(out, &opts.mutateFlags, args[0], res, err)
}
