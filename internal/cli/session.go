package cli

import (
	"io"
	"time"

	"filippo.io/age"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/ops"
)

// mutateFlags are shared by every command that changes the repository;
// options turns them into the ops.Options of one ops.Begin, whose
// session honours each of them (a command cannot forget one).
type mutateFlags struct {
	repo     string
	dryRun   bool
	format   string
	formats  []string
	exclude  []string
	commit   bool
	noCommit bool
	// noExclude, set before register, leaves --exclude out (commands
	// that choose their files themselves: rotations).
	noExclude   bool
	lockTimeout time.Duration
	// Set when the command runs.
	command string
	stderr  io.Writer
	stdout  io.Writer
}

// register adds the shared flags; formats lists the --format values the
// command renders (text first, the default).
func (m *mutateFlags) register(cmd *cobra.Command, e *env, formats ...string) {
	if len(formats) == 0 {
		formats = []string{"text", "json"}
	}
	m.formats = formats
	f := cmd.Flags()
	repoFlag(cmd, &m.repo)
	f.BoolVarP(&m.dryRun, "dry-run", "n", false, "print the plan and the .sops.yaml diff; write nothing, anywhere")
	formatFlag(cmd, &m.format, formats...)
	if !m.noExclude {
		f.StringArrayVar(&m.exclude, "exclude", nil, "glob of files to leave alone (repeatable)")
	}
	f.BoolVar(&m.commit, "commit", false, "commit the change with git (or jj where the repository has .jj/)")
	f.BoolVar(&m.noCommit, "no-commit", false, "do not commit, even when keycycle.yaml's vcs: asks for commits")
	f.DurationVar(&m.lockTimeout, "lock-timeout", defaultLockTimeout, "how long to wait for another keycycle holding the repository")
	m.stderr, m.stdout = e.stderr, e.stdout
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		m.command = auditCommand(c, args)
		if m.commit && m.noCommit {
			return errorf("choose one of them", "--commit and --no-commit contradict each other")
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

func joinOr(list []string) string {
	s := ""
	for i, v := range list {
		switch {
		case i == 0:
		case i == len(list)-1:
			s += " or "
		default:
			s += ", "
		}
		s += v
	}
	return s
}

// options are the session options the shared flags stand for; Show
// renders a planned change in the command's --format.
func (m *mutateFlags) options() ops.Options {
	o := ops.Options{
		Repo: m.repo, DryRun: m.dryRun, Commit: m.commit, NoCommit: m.noCommit, Exclude: m.exclude,
		LockTimeout: m.lockTimeout, Command: m.command, Stdout: m.stdout, Stderr: m.stderr,
	}
	if m.stderr != nil {
		o.Warnf = func(format string, args ...any) { warnf(m.stderr, format, args...) }
	}
	if m.stdout != nil {
		o.Show = func(v ops.Shown) error { return ops.WriteShown(m.stdout, m.format, v) }
	}
	return o
}

// identities returns the age identities found where sops looks, warning
// on w about each key file others can read.
func identities(w io.Writer) []age.Identity {
	return ops.Identities(func(format string, args ...any) { warnf(w, format, args...) })
}

// secretFlag is the annotation that keeps a flag's value out of the audit
// log: auditCommand writes --name=<redacted>.
const secretFlag = "keycycle-secret"

// defaultLockTimeout is how long a changing command waits for another
// one to finish.
const defaultLockTimeout = 30 * time.Second

// auditCommand is the command line of cmd as the audit log records it:
// the command path, each flag that was set (values of flags annotated
// secretFlag replaced by <redacted>), then the arguments.
func auditCommand(cmd *cobra.Command, args []string) string {
	var flags []audit.Flag
	cmd.Flags().Visit(func(f *pflag.Flag) {
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		flags = append(flags, audit.Flag{Name: f.Name, Values: vals, Bool: f.Value.Type() == "bool", Secret: f.Annotations[secretFlag] != nil})
	})
	return audit.Command(cmd.CommandPath(), flags, args)
}
