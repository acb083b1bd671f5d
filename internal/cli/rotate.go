package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/rotation"
)

func newRotateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate host and user keys through a journaled, resumable state machine",
		Long: `Rotate replaces a host's age key, or a user key kept in a host's secrets
file, without a moment where the host (or user) cannot decrypt its secrets:

  1 planned      the rotation is journaled in .keycycle/rotations/ID.json
  2 new-key      a host key: the host makes it ('keycycle host keygen' over ssh);
                 a user key: made here, kept encrypted in the host's file (keys/age)
  3 added        the new key listed beside the old one, files rekeyed
  4 deployed     a host key: installed on the host (the old one kept); then
                 the deploy: command of keycycle.yaml run, or you deploy and resume
  5 verified     the host proves the new key alone opens each of its files
  6 old-removed  the old key out of .sops.yaml, files rekeyed with new data keys
  7 done         the old key retired in .keycycle/keys.yaml and on the host

Each step is recorded before the next starts and can be repeated, so after a
crash, a lost SSH link or Ctrl-C 'rotate resume' continues; 'rotate abort'
before step 6 puts back the old key and the exact recipients. 'rotate due'
rotates every key past its policy age, several hosts at a time.

A rotation that stops at a step exits 1: resume or abort it.`,
	}
	cmd.AddCommand(newRotateStartCmd(e), newRotateResumeCmd(e), newRotateAbortCmd(e), newRotateStatusCmd(e), newRotateDueCmd(e))
	return cmd
}

type rotateStartOptions struct {
	mutateFlags
	st rotation.Start
}

func newRotateStartCmd(e *env) *cobra.Command {
	opts := &rotateStartOptions{mutateFlags: mutateFlags{noExclude: true}}
	cmd := &cobra.Command{
		Use:   "start KEY",
		Short: "Start rotating a host's key or a user key (the .sops.yaml anchor KEY)",
		Long: `Rotate start plans the rotation of the key &KEY, journals it and runs it
through every step it can. The host is reached with the system ssh at
keycycle.yaml's hosts.NAME.ssh (or --ssh, or the host's name), where
'keycycle host …' must be installed. A second rotation of a key with one
open is refused.

KEY is a host's key, or a user key whose private half its host's file
keeps under keys/age (kind and owner from .keycycle/keys.yaml, else a
USER_HOST name), or an admin key (every rule lists it, or keys.yaml says
so): its new identity is made here, into --key-file or appended to
~/.config/sops/age/keys.txt, and the rotation waits for you to confirm
(resume) before the old key leaves. Backup keys are rotated by hand.`,
		Example: `  keycycle rotate start griefling
  keycycle rotate start griefling --ssh root@192.0.2.10 --deploy 'nixos-rebuild switch --flake .#{host} --target-host {ssh}'
  keycycle rotate start rain_griefling
  keycycle rotate start rain            # an admin key: made here, then 'rotate resume'`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRotateStart(cmd.Context(), opts, args[0])
		},
	}
	opts.register(cmd, e, "text")
	f := cmd.Flags()
	f.StringVar(&opts.st.Host, "host", "", "the host holding the key (default: from keycycle.yaml, or KEY)")
	f.StringVar(&opts.st.KeyFile, "key-file", "", "the key file on the host (default "+hostcheck.DefaultKeyFile+"; a user key: ~USER/.config/sops/age/keys.txt)")
	registerReach(cmd, &opts.st.Deploy, &opts.st.Remote, "ssh destination of the host (default keycycle.yaml's hosts.NAME.ssh, or NAME)", "the host is this machine: no ssh")
	return cmd
}

func runRotateStart(ctx context.Context, opts *rotateStartOptions, key string) error {
	opts.st.Key = key
	return ops.RotateStart(ctx, opts.options(), opts.st)
}

// registerReach registers the flags that say how rotations reach and
// deploy the hosts (rotate start, resume, abort and due; due has no --ssh
// or --local: ssh and local say what these are for); each defaults to
// keycycle.yaml's deploy: settings.
func registerReach(cmd *cobra.Command, deploy *string, remote *rotation.Remote, ssh, local string) {
	f := cmd.Flags()
	if ssh != "" {
		f.StringVar(&remote.SSH, "ssh", "", ssh)
		f.BoolVar(&remote.Local, "local", false, local)
	}
	f.StringVar(deploy, "deploy", "", "deploy command ({host}, {ssh}); default keycycle.yaml's deploy:")
	f.StringVar(&remote.SSHConfig, "ssh-config", "", "ssh_config file to use (ssh -F; default keycycle.yaml's deploy.ssh_config)")
	f.StringVar(&remote.Binary, "remote-keycycle", "", "keycycle on the host (default keycycle.yaml's deploy.remote_keycycle, else keycycle)")
	f.BoolVar(&remote.Sudo, "sudo", false, "run keycycle on the host with 'sudo -n' (or deploy.sudo in keycycle.yaml)")
}

// newRotateFixCmd is rotate resume or abort: the rotation named (or the
// only open one) and corrections of how it reaches its host, recorded in
// the journal and the audit log.
func newRotateFixCmd(e *env, cmd *cobra.Command, force *bool, op func(context.Context, ops.Options, ops.RotateRequest) error) *cobra.Command {
	m := &mutateFlags{noExclude: true}
	var remote rotation.Remote
	var deploy string
	cmd.Args = argsHint(cobra.MaximumNArgs(1))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		reach, err := rotation.ReachOf(remote, deploy, cmd.Flags().Changed)
		if err != nil {
			return err
		}
		return op(cmd.Context(), m.options(), ops.RotateRequest{ID: firstArg(args), Reach: reach, Force: force != nil && *force})
	}
	m.register(cmd, e, "text")
	registerReach(cmd, &deploy, &remote, "correct the ssh destination of the host (recorded in the journal)",
		"the host is this machine: no ssh (recorded in the journal)")
	if force != nil {
		cmd.Flags().BoolVar(force, "force", false, "abort without reaching the host (only at planned or new-key)")
	}
	return cmd
}

func newRotateResumeCmd(e *env) *cobra.Command {
	return newRotateFixCmd(e, &cobra.Command{
		Use:   "resume [ID]",
		Short: "Continue an open rotation from its last recorded step",
		Long: `Resume repeats the step where the rotation stopped and continues.
--ssh, --ssh-config, --remote-keycycle, --sudo, --local and --deploy
correct how the host is reached and deployed (a wrong --ssh at start, a
moved host): the journal and the audit log record the change.`,
		Example: `  keycycle rotate resume griefling-20261127T090000Z --ssh root@192.0.2.11`,
	}, nil, ops.RotateResume)
}

func newRotateAbortCmd(e *env) *cobra.Command {
	return newRotateFixCmd(e, &cobra.Command{
		Use:   "abort [ID]",
		Short: "Roll back an open rotation: the host's old key and the exact recipients",
		Long: `Abort puts the host's old key back and takes the new key out of
.sops.yaml and the files, before step 6 (old-removed).

--ssh, --ssh-config, --remote-keycycle, --sudo and --local correct how the
host is reached (recorded in the journal and the audit log). --force
closes a rotation whose host cannot be reached at all, only while nothing
depends on the host (planned, new-key: the new key is in no file and the
host's key file untouched); it says what may be left on the host.`,
		Example: `  keycycle rotate abort griefling-20261127T090000Z --ssh root@192.0.2.11
  keycycle rotate abort griefling-20261127T090000Z --force`,
	}, new(bool), ops.RotateAbort)
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

type rotateStatusOptions struct {
	repo, format string
	all          bool
}

func newRotateStatusCmd(e *env) *cobra.Command {
	opts := &rotateStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List open rotations (with --all, finished and aborted ones too)",
		Args:  argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRotateStatus(opts, e.stdout)
		},
	}
	repoFlag(cmd, &opts.repo)
	formatFlag(cmd, &opts.format, "text", "json")
	cmd.Flags().BoolVar(&opts.all, "all", false, "also list finished and aborted rotations")
	return cmd
}

func runRotateStatus(opts *rotateStatusOptions, out io.Writer) error {
	list, err := ops.Rotations(opts.repo, opts.all)
	if err != nil {
		return err
	}
	return rotation.WriteStatus(out, opts.format, list)
}
