package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

type hostCheckOptions struct {
	root       string
	sshKeys    []string
	keyFile    string
	repo       string
	recipients string
	expect     []string
	user       string
	fix        bool
	format     string
	metrics    string
	maxKeyAge  string
	auditLog   string
	only       []string
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
	f.StringVar(&opts.root, "root", "/", "folder standing for the host's /")
	f.StringArrayVar(&opts.sshKeys, "ssh-key", nil, "SSH host key sops-nix uses (repeatable; default "+hostcheck.DefaultSSHKey+")")
	f.StringVar(&opts.keyFile, "key-file", "", "age key file (default "+hostcheck.DefaultKeyFile+")")
	f.StringVar(&opts.repo, "repo", "", "secrets repository whose .sops.yaml must list the host")
	f.StringVar(&opts.recipients, "recipients", "", "file of recipients, one a line, that must list the host")
	f.StringArrayVar(&opts.expect, "expect", nil, "sops-nix manifest JSON (or its secrets array) of the secrets to find; repeat for manifest-for-users.json")
	f.StringVar(&opts.user, "user", "", "also check this user's ~/.config/sops/age/keys.txt")
	f.BoolVar(&opts.fix, "fix", false, "repair modes and owners, and say what changed")
	formatFlag(cmd, &opts.format, "text", "json")
	f.StringVar(&opts.metrics, "metrics", "", "write Prometheus metrics to this file (node_exporter textfile)")
	f.StringVar(&opts.maxKeyAge, "max-key-age", "", "warn when the key file is older: a number followed by h, d, w or y (90d, 1y)")
	f.StringVar(&opts.auditLog, "audit-log", "", "'ausearch --raw' output to summarise (default: run ausearch when present)")
	f.StringSliceVar(&opts.only, "only", nil, "report (and fix) only these checks, e.g. HC001,HC003")
	cmd.MarkFlagsMutuallyExclusive("repo", "recipients")
	return cmd
}

func runHostCheck(ctx context.Context, opts *hostCheckOptions, out io.Writer, _ []string) error {
	hopts, err := opts.build(ctx)
	if err != nil {
		return err
	}
	rep, err := hostcheck.Run(hopts)
	if err != nil {
		return errorf("pass --root the folder that stands for the host's /", "%v", err)
	}
	if opts.format == "json" {
		err = hostcheck.WriteJSON(out, rep)
	} else {
		err = hostcheck.WriteText(out, rep)
	}
	if err != nil {
		return err
	}
	if opts.metrics != "" {
		if err := hostcheck.WriteMetrics(opts.metrics, rep); err != nil {
			return errorf("make sure the folder exists and is writable", "cannot write --metrics %s: %v", opts.metrics, err)
		}
	}
	if rep.Status() == hostcheck.Fail {
		return errFindings
	}
	return nil
}

// build turns the flags into hostcheck options, reading the files given
// on the command line (taken as given, not under --root).
func (opts *hostCheckOptions) build(ctx context.Context) (hostcheck.Options, error) {
	h := hostcheck.Options{
		Root: opts.root, SSHKeyPaths: opts.sshKeys, KeyFile: opts.keyFile,
		KeyFileSet: opts.keyFile != "", User: opts.user, Fix: opts.fix, Now: time.Now(),
	}
	known := hostcheck.Checks()
	for i, id := range opts.only {
		id = strings.ToUpper(strings.TrimSpace(id))
		if !slices.ContainsFunc(known, func(c hostcheck.CheckInfo) bool { return c.ID == id }) {
			return h, errorf(fmt.Sprintf("check IDs run from %s to %s ('keycycle host check --help' lists them)", known[0].ID, known[len(known)-1].ID),
				"--only: unknown check %q", opts.only[i])
		}
		h.Only = append(h.Only, id)
	}
	st, err := os.Stat(opts.root)
	if err != nil || !st.IsDir() {
		return h, errorf("pass --root the folder that stands for the host's /", "--root %s is not a folder", opts.root)
	}
	if filepath.Clean(opts.root) != "/" {
		if s, ok := st.Sys().(*syscall.Stat_t); ok {
			h.RootUID = int(s.Uid)
		}
	}
	if h.MaxKeyAge, err = parseMaxKeyAge(opts.maxKeyAge); err != nil {
		return h, err
	}
	if err := opts.registered(&h); err != nil {
		return h, err
	}
	for _, p := range opts.expect {
		data, err := os.ReadFile(p)
		if err != nil {
			return h, errorf("pass sops-nix's manifest (config.system.build.sops-nix-manifest) or a JSON array of secrets", "cannot read --expect: %v", err)
		}
		m, err := hostcheck.ParseManifest(data)
		if err != nil {
			return h, errorf("pass sops-nix's manifest (config.system.build.sops-nix-manifest) or a JSON array of secrets", "--expect %s: %v", p, err)
		}
		h.Expect = append(h.Expect, m)
	}
	h.Audit, err = opts.audit(ctx)
	return h, err
}

// registered reads --repo's .sops.yaml or --recipients.
func (opts *hostCheckOptions) registered(h *hostcheck.Options) error {
	switch {
	case opts.repo != "":
		p, err := findConfig(opts.repo)
		if err != nil {
			return err
		}
		cfg, err := sopsconfig.Load(p)
		if err != nil {
			return errorf("fix .sops.yaml first ('keycycle check' says what is wrong)", "%v", err)
		}
		h.Registered = hostcheck.RegisteredFromConfig(cfg)
		h.RegisteredFrom = p
		if h.Registered == nil {
			h.Registered = []hostcheck.Registered{}
		}
	case opts.recipients != "":
		data, err := os.ReadFile(opts.recipients)
		if err != nil {
			return errorf("pass a file of recipients, one a line", "cannot read --recipients: %v", err)
		}
		h.Registered = append([]hostcheck.Registered{}, hostcheck.RegisteredFromList(data)...)
		h.RegisteredFrom = opts.recipients
	}
	return nil
}

// audit reads --audit-log, or asks ausearch on the host itself.
func (opts *hostCheckOptions) audit(ctx context.Context) ([]byte, error) {
	if opts.auditLog != "" {
		data, err := os.ReadFile(opts.auditLog)
		if err != nil {
			return nil, errorf("pass the output of 'ausearch --raw -k keycycle'", "cannot read --audit-log: %v", err)
		}
		return data, nil
	}
	if filepath.Clean(opts.root) != "/" {
		return nil, nil
	}
	bin, err := exec.LookPath("ausearch")
	if err != nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	data, err := exec.CommandContext(ctx, bin, "--raw", "-k", hostcheck.AuditKey, "--start", "today").Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && len(data) == 0 && ee.ExitCode() == 1) {
		return nil, nil // no audit daemon, no permission: nothing to summarise
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// parseMaxKeyAge reads --max-key-age as keycycle.yaml's ages are read
// (policy.ParseAge: 90d, 12w, 1y, 2160h); "" is no limit.
func parseMaxKeyAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := policy.ParseAge(s)
	if err != nil {
		return 0, errorf("write a number followed by h, d, w or y, as keycycle.yaml's max_age: 90d, 12w, 1y", "--max-key-age: %v", err)
	}
	return d, nil
}
