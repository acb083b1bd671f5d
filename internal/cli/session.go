package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/lock"
	"github.com/keycycle/keycycle/internal/pipeline"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/vcs"
)

// mutateFlags are shared by every command that changes the repository;
// begin turns them into a pipeline session, which honours each of them
// (a command cannot forget one).
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

// session is a changing command's pipeline session.
type session struct {
	*pipeline.Session
	m    *mutateFlags
	root string
}

// begin finds the repository and opens its pipeline session: in a dry
// run nothing is locked or written; otherwise the lock is held until
// end(), a killed run's leftovers are swept and an interrupted change is
// finished first. The caller must end().
func begin(ctx context.Context, m *mutateFlags) (*session, string, error) {
	cfgPath, err := findConfig(m.repo)
	if err != nil {
		return nil, "", err
	}
	if cfgPath, err = filepath.Abs(cfgPath); err != nil {
		return nil, "", err
	}
	root := filepath.Dir(cfgPath)
	// Refused before the lock: a config no change can be planned against
	// leaves the repository exactly as it was.
	if data, err := os.ReadFile(cfgPath); err != nil {
		return nil, "", errorf("check the file's permissions", "cannot read %s: %v", cfgPath, err)
	} else if _, err := change.UsableConfig(cfgPath, data); err != nil {
		var ce *change.ConfigError
		if errors.As(err, &ce) {
			return nil, "", planError(err)
		}
	}
	commit, kind, err := commitMode(root, m)
	if err != nil {
		return nil, "", err
	}
	ps, err := pipeline.Open(ctx, pipeline.Options{
		ConfigPath: cfgPath, Command: m.command, DryRun: m.dryRun, Commit: commit, VCS: kind,
		LockTimeout: m.lockTimeout, Identities: func() []age.Identity { return identities(m.stderr) }, Notes: m.stderr, Out: m.stdout,
		OnLockWait: func(h *lock.Holder) {
			fmt.Fprintf(m.stderr, "keycycle: %s; waiting up to %s\n", (&lock.HeldError{Holder: h}).Error(), m.lockTimeout)
		},
	})
	if err != nil {
		return nil, "", pipelineError(err)
	}
	if ps.Finished != nil && ps.Finished.Command == m.command {
		// This very command was interrupted, and Open has just finished
		// it: running it again converges instead of failing on its own
		// half-done work (a host remove would say "no key &X").
		return nil, "", errors.Join(errAlreadyDone, ps.Close())
	}
	if ps.Pending != nil {
		fmt.Fprintf(m.stderr, "keycycle: note: the change '%s' of %s was interrupted; a run without --dry-run finishes it first\n",
			ps.Pending.Command, ps.Pending.Started.Format(time.RFC3339))
	}
	return &session{Session: ps, m: m, root: root}, cfgPath, nil
}

// commitMode is --commit, --no-commit, or keycycle.yaml's vcs: setting.
func commitMode(root string, m *mutateFlags) (bool, string, error) {
	if m.noCommit {
		return false, "", nil
	}
	cfg, err := policy.LoadConfig(filepath.Join(root, policy.ConfigFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return m.commit, "auto", nil
	case err != nil:
		return false, "", withHint(err, "fix keycycle.yaml ('keycycle check' lists its problems), or pass --no-commit")
	}
	switch cfg.VCS {
	case "git", "jj":
		return true, cfg.VCS, nil
	case "auto":
		// Commits where the repository is under git or jj.
		return m.commit || vcs.Detect(root) != vcs.None, "auto", nil
	}
	return m.commit, "auto", nil
}

// pipelineError gives each pipeline failure its hint.
func pipelineError(err error) error {
	var held *lock.HeldError
	var ve *vcs.Error
	var le *pipeline.LogError
	var fe *pipeline.FinishError
	var ie *pipeline.IntentError
	switch {
	case errors.As(err, &held):
		return errorf(held.Hint(), "%s", held.Error())
	case errors.As(err, &ve):
		return errorf(ve.Hint(), "%s", ve.Error())
	case errors.As(err, &le):
		return errorf("run 'keycycle audit verify' to see what is wrong with the log, and repair its last line", "%v", err)
	case errors.As(err, &fe):
		return errorf("set SOPS_AGE_KEY_FILE to a key that opens those files and run the command again; 'keycycle check' shows the repository's state", "%v", err)
	case errors.As(err, &ie):
		return errorf("move it aside and run 'keycycle check', then 'keycycle rekey' to bring every file back in line", "%v", err)
	case errors.Is(err, pipeline.ErrDryRun):
		return err
	}
	return withHint(err, "check that the repository folder is writable")
}

// end releases the lock; it keeps the first error.
func (s *session) end(err *error) {
	if s == nil {
		return
	}
	if rerr := s.Close(); *err == nil && rerr != nil {
		*err = rerr
	}
}

// record appends an audit entry for a change made without a plan and
// commits paths with it when asked.
func (s *session) record(ctx context.Context, e audit.Entry, subject string, paths []string) error {
	return pipelineError(s.Record(ctx, pipeline.Change{Entry: e, Subject: subject, Paths: paths}))
}

// apply writes a verified plan through the pipeline.
func (s *session) apply(ctx context.Context, plan *change.Plan, e audit.Entry, subject string, paths []string) error {
	err := s.Apply(ctx, plan, pipeline.Change{Entry: e, Subject: subject, Paths: paths})
	var ae *pipeline.ApplyError
	if errors.As(err, &ae) {
		return withHint(err, "run the same command again: it finishes the change ('keycycle check' shows what is left)")
	}
	if err != nil {
		return pipelineError(err)
	}
	return nil
}
