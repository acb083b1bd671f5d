package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
)

func newHostCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "host",
		Short: "Bring hosts in and take them out of the secrets repository",
		Long: `Host commands change who can decrypt what, host by host, replacing the
hand edits of .sops.yaml and the 'sops updatekeys' loop:

  keycycle host add NAME …     register a host's key, its rules and its file
  keycycle host remove NAME    revoke a host: out of every rule, files re-keyed
  keycycle host set-key NAME … a reinstalled host's new key, files re-keyed

On the host itself:

  keycycle host check          what check-sops.sh did, and more (--fix, --metrics)
  keycycle host units          systemd units for hosts without NixOS
  keycycle host keygen         a new age key for rotation; only the recipient is printed
  keycycle host verify         prove a key alone opens a sops file (stdin)
  keycycle host install-key    swap the sops-nix key file, keeping the old one
  keycycle host restore-key    swap back (rotation abort)
  keycycle host retire-key     delete the kept key once rotation is done`,
	}
	cmd.AddCommand(newHostAddCmd(e), newHostRemoveCmd(e), newHostSetKeyCmd(e), newHostCheckCmd(e), newHostUnitsCmd(e))
	cmd.AddCommand(newHostKeyCmds(e)...)
	return cmd
}

type hostAddOptions struct {
	mutateFlags
	req ops.HostAddRequest
}

func newHostAddCmd(e *env) *cobra.Command {
	opts := &hostAddOptions{}
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Register a host: its key, its per-host rule, the shared rules, its file",
		Long: `Host add does what the bootstrap helpers did by hand:
  1. converts the host's SSH ed25519 key to its age recipient (ssh-to-age),
  2. adds &NAME under keys: (in the hosts group when there is one),
  3. adds a rule for DIR/NAME.yaml (the admins every host file lists, and NAME),
     before any catch-all rule,
  4. adds *NAME to the shared rule(s) (the one for DIR/shared.yaml, and any
     rule that lists every host), unless --no-shared,
  5. creates DIR/NAME.yaml if missing, and with --user-key USER a new user
     age key whose private half is stored encrypted there under keys/age,
     registered as &USER_NAME,
  6. adds NAME under hosts: of keycycle.yaml, when there is one, with
     --role and --ssh (comments and order kept; --no-policy leaves it),
  7. rekeys every file that changed — all verified in memory first; nothing
     is written unless every file verified,
  8. runs the deploy command (--deploy, else keycycle.yaml's deploy:) for
     every host whose files changed, --max-parallel at a time; without one
     it names the hosts to deploy (--no-deploy: nothing).

--new-ssh-key DIR generates the host's SSH key pair into DIR/etc/ssh
(DIR/persist/etc/ssh with --persist) for 'nixos-anywhere --extra-files DIR',
so the host can decrypt on its first boot.`,
		Example: `  keycycle host add griefling --ssh-keyscan 192.0.2.10 --dry-run
  keycycle host add griefling --ssh-pubkey ssh_host_ed25519_key.pub --user-key rain --role desktop --ssh root@griefling.lan
  keycycle host add griefling --new-ssh-key /tmp/extra --persist`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostAdd(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e)
	r := &opts.req
	f := cmd.Flags()
	keySourceFlags(cmd, &r.Key, "")
	f.StringVar(&r.UserKey, "user-key", "", "also make a user age key USER_NAME stored in the host's file")
	f.StringVar(&r.Dir, "dir", "sops", "folder of the secrets files, relative to the repository")
	f.BoolVar(&r.NoShared, "no-shared", false, "do not add the host to the shared rules")
	f.StringVar(&r.Policy.Role, "role", "", "the host's role, written to keycycle.yaml's hosts:")
	f.StringVar(&r.Policy.SSH, "ssh", "", "the host's ssh target (user@addr), written to keycycle.yaml's hosts:")
	f.BoolVar(&r.NoPolicy, "no-policy", false, "leave keycycle.yaml as it is")
	deployFlags(cmd, &r.Deploy)
	return cmd
}

func runHostAdd(ctx context.Context, opts *hostAddOptions, out io.Writer, args []string) error {
	opts.req.Name = args[0]
	res, err := ops.HostAdd(ctx, opts.options(), opts.req)
	if res != nil {
		writeAdded(out, &opts.mutateFlags, opts.req.Name, res)
		writeDeployed(out, &opts.mutateFlags, res.Deployed)
	}
	return err
}

// keySourceFlags adds the flags that give a host's key (one of them is
// needed); what is "" or "new " (host set-key).
func keySourceFlags(cmd *cobra.Command, k *hostkey.Source, what string) {
	f := cmd.Flags()
	f.StringVar(&k.Age, "age", "", "the host's "+what+"age recipient")
	f.StringVar(&k.SSHPubkey, "ssh-pubkey", "", "the host's "+what+"SSH public key file")
	f.StringVar(&k.Keyscan, "ssh-keyscan", "", "ask the host for its "+what+"key with ssh-keyscan")
	f.StringVar(&k.NewSSHKey, "new-ssh-key", "", "generate the host's "+what+"SSH key pair into this folder")
	f.BoolVar(&k.Persist, "persist", false, "with --new-ssh-key: under persist/etc/ssh (impermanence)")
}
