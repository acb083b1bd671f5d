package cli

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/hostcheck"
)

type hostCheckOptions struct {
	hostcheck.Request
	repo    string
	format  string
	metrics string
}

func newHostCheckCmd(e *env) *cobra.Command {
	opts := &hostCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check this host's keys and installed secrets (replaces check-sops.sh)",
		Long: `Host check runs on a host and checks what sops-nix needs and installed:

  HC001 the SSH host key(s) present, valid ed25519     HC002 mode 0600, owned by root
  HC003 the age key file, every line a valid identity  HC004 mode 0600, owned by root
  HC005 a key left from an unfinished rotation         HC006 the host's recipients in .sops.yaml
  HC007 /run/secrets a link to the current generation  HC008 the --expect secrets installed
  HC009 their owner, group and mode                    HC010 --user's age key file
  HC011 the key file's age (--max-key-age)             HC012 who read keys and secrets (audit)
  HC013 the key file loaded by sops-nix's last activation

--expect takes sops-nix's manifest (repeat it for manifest-for-users.json);
the key file and SSH host keys it names are checked unless --key-file and
--ssh-key name others.

--fix repairs modes and owners (never contents, never creates a key) and
prints what it changed. --root DIR checks a folder standing for "/" (a
mounted image): links inside it resolve inside it, and its owner counts as
root. docs/host.md says what each check means and what to do.`,
		Example: `  keycycle host check
  keycycle host check --expect manifest.json --expect manifest-for-users.json --metrics /var/lib/node_exporter/keycycle.prom
  keycycle host check --repo ~/nix-secrets --user rain --fix`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostCheck(cmd.Context(), opts, e.stdout, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Root, "root", "/", "folder standing for the host's /")
	f.StringArrayVar(&opts.SSHKeys, "ssh-key", nil, "SSH host key sops-nix uses (repeatable; default "+hostcheck.DefaultSSHKey+")")
	f.StringVar(&opts.KeyFile, "key-file", "", "age key file (default "+hostcheck.DefaultKeyFile+")")
	f.StringVar(&opts.repo, "repo", "", "secrets repository whose .sops.yaml must list the host")
	f.StringVar(&opts.RecipientsFile, "recipients", "", "file of recipients, one a line, that must list the host")
	f.StringArrayVar(&opts.Expect, "expect", nil, "sops-nix manifest JSON (or its secrets array) of the secrets to find; repeat for manifest-for-users.json")
	f.StringVar(&opts.User, "user", "", "also check this user's ~/.config/sops/age/keys.txt")
	f.BoolVar(&opts.Fix, "fix", false, "repair modes and owners, and say what changed")
	formatFlag(cmd, &opts.format, "text", "json")
	f.StringVar(&opts.metrics, "metrics", "", "write Prometheus metrics to this file (node_exporter textfile)")
	f.StringVar(&opts.MaxKeyAge, "max-key-age", "", "warn when the key file is older: a number followed by h, d, w or y (90d, 1y)")
	f.StringVar(&opts.AuditLog, "audit-log", "", "'ausearch --raw' output to summarise (default: run ausearch when present)")
	f.StringSliceVar(&opts.Only, "only", nil, "report (and fix) only these checks, e.g. HC001,HC003")
	cmd.MarkFlagsMutuallyExclusive("repo", "recipients")
	return cmd
}

func runHostCheck(ctx context.Context, opts *hostCheckOptions, out io.Writer, _ []string) error {
	if opts.repo != "" {
		p, err := findConfig(opts.repo)
		if err != nil {
			return err
		}
		opts.Config = p
	}
	opts.Now = time.Now()
	rep, err := hostcheck.Check(ctx, opts.Request)
	if err != nil {
		return err
	}
	if err := hostcheck.Write(out, rep, opts.format, opts.metrics); err != nil {
		return err
	}
	if rep.Status() == hostcheck.Fail {
		return errFindings
	}
	return nil
}
