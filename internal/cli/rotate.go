package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/pipeline"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/vcs"
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
	host, keyFile, deploy string
	remote                rotation.Remote
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
			return runRotateStart(cmd.Context(), opts, e.stdout, args[0])
		},
	}
	opts.register(cmd, e, "text")
	f := cmd.Flags()
	f.StringVar(&opts.host, "host", "", "the host holding the key (default: from keycycle.yaml, or KEY)")
	f.StringVar(&opts.keyFile, "key-file", "", "the key file on the host (default "+hostcheck.DefaultKeyFile+"; a user key: ~USER/.config/sops/age/keys.txt)")
	f.StringVar(&opts.remote.SSH, "ssh", "", "ssh destination of the host (default keycycle.yaml's hosts.NAME.ssh, or NAME)")
	f.BoolVar(&opts.remote.Local, "local", false, "the host is this machine: no ssh")
	registerReach(cmd, &opts.deploy, &opts.remote)
	return cmd
}

// registerReach registers the flags that say how rotations reach and
// deploy the hosts (rotate start and rotate due); each defaults to
// keycycle.yaml's deploy: settings.
func registerReach(cmd *cobra.Command, deploy *string, remote *rotation.Remote) {
	f := cmd.Flags()
	f.StringVar(deploy, "deploy", "", "deploy command ({host}, {ssh}); default keycycle.yaml's deploy:")
	f.StringVar(&remote.SSHConfig, "ssh-config", "", "ssh_config file to use (ssh -F; default keycycle.yaml's deploy.ssh_config)")
	f.StringVar(&remote.Binary, "remote-keycycle", "", "keycycle on the host (default keycycle.yaml's deploy.remote_keycycle, else keycycle)")
	f.BoolVar(&remote.Sudo, "sudo", false, "run keycycle on the host with 'sudo -n' (or deploy.sudo in keycycle.yaml)")
}

func runRotateStart(ctx context.Context, opts *rotateStartOptions, out io.Writer, key string) (err error) {
	s, err := begin(ctx, &opts.mutateFlags)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := s.ConfigPath
	store := rotation.Store{Root: s.Root}
	if open, err := store.OpenFor(key); err != nil {
		return err
	} else if open != nil {
		return errorf("'keycycle rotate resume "+open.ID+"' continues it, 'keycycle rotate abort "+open.ID+"' rolls it back",
			"&%s is already being rotated (%s, %s)", key, open.ID, open.State)
	}
	st, err := opts.startFor(cfgPath, key)
	if err != nil {
		return err
	}
	j, err := rotation.Plan(cfgPath, st)
	if err != nil {
		return errorf("'keycycle inventory' lists the keys and the files they open", "cannot rotate &%s: %v", key, err)
	}
	fmt.Fprintf(out, "rotation %s: &%s on %s (%s), %d file(s): %v\n", j.ID, j.Key, j.Host, j.Target(), len(j.Files), j.Files)
	if st.FromSSHHostKey {
		fmt.Fprintf(out, "note: &%s is %s's SSH host key converted (ssh-to-age). The new key is an age key file\n"+
			"(%s), which sops-nix must read (sops.age.keyFile); the SSH host key stays and still\n"+
			"converts to the old key, which keeps opening old versions of the files until you replace it.\n", j.Key, j.Host, j.KeyFile)
	}
	if opts.dryRun {
		fmt.Fprintln(out, "dry run: nothing written")
		return nil
	}
	r, err := newRotationRunner(s, cfgPath, out)
	if err != nil {
		return err
	}
	if err := r.Save(j, "planned"); err != nil {
		return err
	}
	return runRotation(ctx, r, j, out)
}

// newRotationRunner wires a rotation runner to the session: its changes,
// audit entries and commits go through the pipeline. A dry-run session
// has no runner: a rotation always acts (on the host too).
func newRotationRunner(s *ops.Session, cfgPath string, out io.Writer) (*rotation.Runner, error) {
	if s.DryRun() {
		return nil, pipeline.ErrDryRun
	}
	return &rotation.Runner{
		ConfigPath: cfgPath,
		Store:      rotation.Store{Root: s.Root},
		Transport:  rotation.TransportOf,
		Identities: s.Identities(),
		Record: func(ctx context.Context, e audit.Entry, subject string, paths []string) error {
			return s.Log(ctx, e, subject, paths)
		},
		Apply: s.Write,
		// The journal's last state goes in a commit of its own, when the
		// steps' commits did not carry it already.
		Settle: func(ctx context.Context, j *rotation.Journal) error {
			if s.VCS == vcs.None {
				return nil
			}
			return ops.PipelineError(s.CommitPaths(ctx, s.VCS, "keycycle: rotate "+j.Key+": journal ("+string(j.State)+")",
				[]string{rotation.JournalRel(j.ID)}, false))
		},
		Out: out,
	}, nil
}

// runRotation runs j and turns its outcome into the command's result.
func runRotation(ctx context.Context, r *rotation.Runner, j *rotation.Journal, out io.Writer) error {
	err := r.Run(ctx, j)
	switch {
	case err == nil:
		fmt.Fprintf(out, "rotation %s done: &%s is %s\n", j.ID, j.Key, j.New)
		return nil
	case errors.Is(err, rotation.ErrWaiting):
		return nil
	}
	return &userError{code: ExitFindings, msg: fmt.Sprintf("rotation %s stopped at %s: %v", j.ID, j.State, err),
		hint: "fix the cause, then 'keycycle rotate resume " + j.ID + "' (or 'keycycle rotate abort " + j.ID + "')"}
}

func newRotateResumeCmd(e *env) *cobra.Command {
	m := &mutateFlags{noExclude: true}
	reach := &reachFlags{}
	cmd := &cobra.Command{
		Use:   "resume [ID]",
		Short: "Continue an open rotation from its last recorded step",
		Long: `Resume repeats the step where the rotation stopped and continues.
--ssh, --ssh-config, --remote-keycycle, --sudo, --local and --deploy
correct how the host is reached and deployed (a wrong --ssh at start, a
moved host): the journal and the audit log record the change.`,
		Example: `  keycycle rotate resume griefling-20261127T090000Z --ssh root@192.0.2.11`,
		Args:    argsHint(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			describe := reach.describe(describeResume)
			return withRotation(cmd.Context(), m, e.stdout, args, describe, func(r *rotation.Runner, j *rotation.Journal) error {
				if !j.State.Open() {
					return errorf("'keycycle rotate status --all' lists the rotations", "rotation %s is %s", j.ID, j.State)
				}
				if err := applyReach(cmd.Context(), r, j, reach, e.stdout); err != nil {
					return err
				}
				return runRotation(cmd.Context(), r, j, e.stdout)
			})
		},
	}
	m.register(cmd, e, "text")
	reach.register(cmd)
	return cmd
}

func newRotateAbortCmd(e *env) *cobra.Command {
	m := &mutateFlags{noExclude: true}
	reach := &reachFlags{}
	var force bool
	cmd := &cobra.Command{
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
		Args: argsHint(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			describe := reach.describe(rotation.AbortSteps)
			if force {
				describe = reach.describe(forcedAbortSteps)
			}
			return withRotation(cmd.Context(), m, e.stdout, args, describe, func(r *rotation.Runner, j *rotation.Journal) error {
				if err := applyReach(cmd.Context(), r, j, reach, e.stdout); err != nil {
					return err
				}
				if force {
					return abortForced(cmd.Context(), r, j, e.stdout)
				}
				if err := r.Abort(cmd.Context(), j); err != nil {
					return errorf("fix the cause and abort again, or 'keycycle rotate resume "+j.ID+"'; a host that cannot be reached: --ssh to correct it, or --force", "%v", err)
				}
				fmt.Fprintf(e.stdout, "rotation %s aborted: &%s is %s again\n", j.ID, j.Key, j.Old)
				return nil
			})
		},
	}
	m.register(cmd, e, "text")
	reach.register(cmd)
	cmd.Flags().BoolVar(&force, "force", false, "abort without reaching the host (only at planned or new-key)")
	return cmd
}

// withRotation takes the repository, picks the rotation named by args (or
// the only open one) and runs do on it; a dry run prints what describe
// says instead, and runs nothing.
func withRotation(ctx context.Context, m *mutateFlags, out io.Writer, args []string,
	describe func(cfgPath string, j *rotation.Journal) ([]string, error), do func(*rotation.Runner, *rotation.Journal) error) (err error) {
	s, err := begin(ctx, m)
	if err != nil {
		return err
	}
	defer s.End(&err)
	cfgPath := s.ConfigPath
	j, err := rotation.Store{Root: s.Root}.Pick(firstArg(args))
	if err != nil {
		return errorf("'keycycle rotate status' lists the rotations", "%v", err)
	}
	if s.DryRun() {
		steps, err := describe(cfgPath, j)
		if err != nil {
			return errorf("'keycycle rotate status' shows where each rotation stands", "%v", err)
		}
		fmt.Fprintf(out, "rotation %s: &%s on %s (%s), at %s; it would run:\n", j.ID, j.Key, j.Host, j.Target(), j.State)
		for i, st := range steps {
			fmt.Fprintf(out, "  %d. %s\n", i+1, st)
		}
		fmt.Fprintln(out, "dry run: nothing written, nothing run on the host")
		return nil
	}
	r, err := newRotationRunner(s, cfgPath, out)
	if err != nil {
		return err
	}
	return do(r, j)
}

func describeResume(_ string, j *rotation.Journal) ([]string, error) {
	if !j.State.Open() {
		return nil, fmt.Errorf("rotation %s is %s", j.ID, j.State)
	}
	return j.Remaining(), nil
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func newRotateStatusCmd(e *env) *cobra.Command {
	var repoDir, format string
	var all bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List open rotations (with --all, finished and aborted ones too)",
		Args:  argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			cfgPath, err := findConfig(repoDir)
			if err != nil {
				return err
			}
			list, err := rotation.Store{Root: filepath.Dir(cfgPath)}.List()
			if err != nil {
				return errorf("fix or remove the journal named", "%v", err)
			}
			shown := []*rotation.Journal{}
			for _, j := range list {
				if all || j.State.Open() {
					shown = append(shown, j)
				}
			}
			return writeRotationStatus(e.stdout, format, shown)
		},
	}
	f := cmd.Flags()
	repoFlag(cmd, &repoDir)
	formatFlag(cmd, &format, "text", "json")
	f.BoolVar(&all, "all", false, "also list finished and aborted rotations")
	return cmd
}

func writeRotationStatus(out io.Writer, format string, list []*rotation.Journal) error {
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema    string              `json:"schema"`
			Rotations []*rotation.Journal `json:"rotations"`
		}{"keycycle.rotations/v1", list})
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(out, "no open rotation")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKEY\tKIND\tHOST\tSTATE\tUPDATED\tNOTE")
	for _, j := range list {
		note := ""
		if len(j.History) > 0 {
			note = j.History[len(j.History)-1].Note
		}
		if j.Error != "" {
			note = "error: " + j.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Key, dash(j.Kind), j.Host, j.State, j.Updated.Format(time.RFC3339), note)
	}
	return tw.Flush()
}

// startFor is the rotation of key these flags ask for, completed by
// rotation.Resolve.
func (opts *rotateStartOptions) startFor(cfgPath, key string) (rotation.Start, error) {
	return rotation.Resolve(cfgPath, rotation.Start{Key: key, Host: opts.host, KeyFile: opts.keyFile,
		Deploy: opts.deploy, Remote: opts.remote, Exclude: opts.exclude})
}
