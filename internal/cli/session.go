package cli

import (
	"context"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/lock"
	"github.com/keycycle/keycycle/internal/vcs"
)

// mutateFlags are shared by every command that changes the repository.
type mutateFlags struct {
	repo        string
	dryRun      bool
	format      string
	exclude     []string
	commit      bool
	lockTimeout time.Duration
	// Set when the command runs.
	command string
	stderr  io.Writer
}

func (m *mutateFlags) register(cmd *cobra.Command, e *env) {
	f := cmd.Flags()
	f.StringVar(&m.repo, "repo", "", "the secrets repository (default: the nearest folder upward holding .sops.yaml)")
	f.BoolVarP(&m.dryRun, "dry-run", "n", false, "print the plan and the .sops.yaml diff; write nothing")
	f.StringVar(&m.format, "format", "text", "output format: text or json")
	f.StringArrayVar(&m.exclude, "exclude", nil, "glob of files to leave alone (repeatable)")
	f.BoolVar(&m.commit, "commit", false, "commit the change with git (or jj where the repository has .jj/)")
	f.DurationVar(&m.lockTimeout, "lock-timeout", defaultLockTimeout, "how long to wait for another keycycle holding the repository")
	m.stderr = e.stderr
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		m.command = auditCommand(c, args)
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// session is a changing command's hold on the repository: the lock, and
// what it needs to record and commit the change.
type session struct {
	m    *mutateFlags
	root string
	kind vcs.Kind
	lock *lock.Lock
}

// begin finds the repository, checks that a commit can be made when one
// is asked, and (unless --dry-run) takes the lock. The caller must end().
func begin(ctx context.Context, m *mutateFlags) (*session, string, error) {
	cfgPath, err := findConfig(m.repo)
	if err != nil {
		return nil, "", err
	}
	if cfgPath, err = filepath.Abs(cfgPath); err != nil {
		return nil, "", err
	}
	s := &session{m: m, root: filepath.Dir(cfgPath), kind: vcs.None}
	if m.commit {
		if s.kind, err = vcs.Resolve(s.root, "auto"); err != nil {
			return nil, "", vcsError(err)
		}
		if err := vcs.Ready(ctx, s.root, s.kind); err != nil {
			return nil, "", vcsError(err)
		}
	}
	if !m.dryRun {
		if s.lock, err = lockRepo(ctx, m.stderr, s.root, m.command, m.lockTimeout); err != nil {
			return nil, "", err
		}
	}
	return s, cfgPath, nil
}

// end releases the lock; it keeps the first error.
func (s *session) end(err *error) {
	if s == nil || s.lock == nil {
		return
	}
	if rerr := s.lock.Release(); *err == nil && rerr != nil {
		*err = rerr
	}
}

// record appends the audit entry and commits paths with it when asked.
func (s *session) record(ctx context.Context, out io.Writer, e audit.Entry, subject string, paths []string) error {
	e.Command = s.m.command
	if err := audit.Append(s.root, e); err != nil {
		return errorf("run 'keycycle audit verify' to see what is wrong with the log", "the change is written but not recorded: %v", err)
	}
	if s.kind == vcs.None {
		return nil
	}
	return commitChange(ctx, out, s.root, s.kind, subject, append(paths, audit.LogFile))
}
