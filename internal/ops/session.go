// Package ops runs keycycle's changing commands. Each opens one Session
// (Begin), builds its change from the repository, and hands it to the
// session, which plans it, shows the plan, and unless the session is a
// dry run writes it through the pipeline: intent, files, audit entry,
// commit. The CLI parses flags into Options and renders what comes back;
// the shared flags (--dry-run, --commit, --exclude, --format) are
// honoured here, so no command can forget one.
package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/lock"
	"github.com/keycycle/keycycle/internal/pipeline"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/textutil"
	"github.com/keycycle/keycycle/internal/vcs"
)

// Options are what every changing command shares: its shared flags and
// where its words go.
type Options struct {
	// Repo is --repo: the folder of .sops.yaml, or "" to look upward
	// from the working directory.
	Repo string
	// DryRun plans and shows the change and writes nothing, anywhere.
	DryRun bool
	// Commit and NoCommit are --commit and --no-commit; without either,
	// keycycle.yaml's vcs: decides.
	Commit, NoCommit bool
	// Exclude are globs of files a rekey leaves alone.
	Exclude []string
	// LockTimeout is how long to wait for another keycycle.
	LockTimeout time.Duration
	// Command is the command line, for the audit log, lock and intent.
	Command string
	// Stdout receives results (the commits made); Stderr notes.
	Stdout, Stderr io.Writer
	// Warnf prints a warning (a key file others can read); nil drops it.
	Warnf func(format string, args ...any)
	// Show renders a planned change before it is written (and in a dry
	// run instead of writing it).
	Show func(Shown) error
}

// Shown is a planned change as Options.Show renders it.
type Shown struct {
	DryRun bool
	// Diff is the unified diff of .sops.yaml (and keycycle.yaml).
	Diff    string
	Plan    *change.Plan
	Request *change.Request
}

// ErrAlreadyDone ends a command whose work an interrupted run of the same
// command had started and this run's session has finished: nothing is
// left to do, and the command succeeded.
var ErrAlreadyDone = errors.New("already done")

// Session is a changing command's hold on its repository.
type Session struct {
	*pipeline.Session
	// Opts are the options it was begun with.
	Opts Options
	// ConfigPath is the repository's .sops.yaml, absolute.
	ConfigPath string
	// ids reads the identities once a session: one read of the key
	// files, one warning about each.
	ids func() []age.Identity
}

// Begin finds the repository and opens its pipeline session: in a dry
// run nothing is locked or written; otherwise the lock is held until
// End, a killed run's leftovers are swept and an interrupted change is
// finished first. A .sops.yaml no change can be planned against is
// refused before the lock. The caller must End the session.
func Begin(ctx context.Context, o Options) (*Session, error) {
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	cfgPath, err := findConfigAbs(o.Repo)
	if err != nil {
		return nil, err
	}
	root := filepath.Dir(cfgPath)
	if data, err := os.ReadFile(cfgPath); err != nil {
		return nil, textutil.Hintf("check the file's permissions", "cannot read %s: %v", cfgPath, err)
	} else if _, err := change.UsableConfig(cfgPath, data); err != nil {
		var ce *change.ConfigError
		if errors.As(err, &ce) {
			return nil, PlanError(err)
		}
	}
	commit, kind, err := commitMode(root, o)
	if err != nil {
		return nil, err
	}
	s := &Session{Opts: o, ConfigPath: cfgPath}
	s.ids = sync.OnceValue(func() []age.Identity { return Identities(o.Warnf) })
	ps, err := pipeline.Open(ctx, pipeline.Options{
		ConfigPath: cfgPath, Command: o.Command, DryRun: o.DryRun, Commit: commit, VCS: kind,
		LockTimeout: o.LockTimeout, Identities: s.Identities, Notes: o.Stderr, Out: o.Stdout,
		OnLockWait: func(h *lock.Holder) {
			fmt.Fprintf(o.Stderr, "keycycle: %s; waiting up to %s\n", (&lock.HeldError{Holder: h}).Error(), o.LockTimeout)
		},
	})
	if err != nil {
		return nil, PipelineError(err)
	}
	if ps.Finished != nil && ps.Finished.Command == o.Command {
		// This very command was interrupted, and Open has just finished
		// it: running it again converges instead of failing on its own
		// half-done work (a host remove would say "no key &X").
		return nil, errors.Join(ErrAlreadyDone, ps.Close())
	}
	if ps.Pending != nil {
		fmt.Fprintf(o.Stderr, "keycycle: note: the change '%s' of %s was interrupted; a run without --dry-run finishes it first\n",
			ps.Pending.Command, ps.Pending.Started.Format(time.RFC3339))
	}
	s.Session = ps
	return s, nil
}

// commitMode is --commit, --no-commit, or keycycle.yaml's vcs: setting.
func commitMode(root string, o Options) (bool, string, error) {
	if o.NoCommit {
		return false, "", nil
	}
	cfg, err := policy.LoadConfig(filepath.Join(root, policy.ConfigFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return o.Commit, "auto", nil
	case err != nil:
		return false, "", textutil.WithHint(err, "fix keycycle.yaml ('keycycle check' lists its problems), or pass --no-commit")
	}
	switch cfg.VCS {
	case "git", "jj":
		return true, cfg.VCS, nil
	case "auto":
		// Commits where the repository is under git or jj.
		return o.Commit || vcs.Detect(root) != vcs.None, "auto", nil
	}
	return o.Commit, "auto", nil
}

// End releases the lock; it keeps the first error. A nil session ends
// nothing.
func (s *Session) End(err *error) {
	if s == nil {
		return
	}
	if rerr := s.Close(); *err == nil && rerr != nil {
		*err = rerr
	}
}

// Identities returns the age identities found where sops looks, warning
// about each key file others can read (read once a session).
func (s *Session) Identities() []age.Identity {
	return s.ids()
}

// Identities returns the age identities found where sops looks, with a
// call of warnf (when not nil) for each key file others can read.
func Identities(warnf func(format string, args ...any)) []age.Identity {
	found := agekey.FindIdentities(agekey.OSEnv())
	if warnf != nil {
		for _, msg := range found.Warnings {
			warnf("%s", msg)
		}
	}
	return found.Identities
}

// Editor reads the repository's .sops.yaml for editing.
func (s *Session) Editor() (*configedit.Editor, error) {
	data, err := os.ReadFile(s.ConfigPath)
	if err != nil {
		return nil, textutil.Hintf("check the file's permissions", "cannot read %s: %v", s.ConfigPath, err)
	}
	ed, err := configedit.New(s.ConfigPath, data)
	if err != nil {
		return nil, textutil.WithHint(err, "run 'keycycle check' to see what is wrong with .sops.yaml")
	}
	return ed, nil
}

// Request is a change of the repository's files starting from ed's
// .sops.yaml as it is now (call it before editing): the session's
// exclusions and identities filled in. Every operation's change starts
// here.
func (s *Session) Request(ed *configedit.Editor) change.Request {
	return change.Request{ConfigPath: s.ConfigPath, OldConfig: ed.Bytes(), Exclude: s.Opts.Exclude, Identities: s.Identities()}
}

// Log appends an audit entry for a change made without a plan and
// commits paths with it when the session commits.
func (s *Session) Log(ctx context.Context, e audit.Entry, subject string, paths []string) error {
	return PipelineError(s.Record(ctx, pipeline.Change{Entry: e, Subject: subject, Paths: paths}))
}

// Write writes a verified plan through the pipeline.
func (s *Session) Write(ctx context.Context, plan *change.Plan, e audit.Entry, subject string, paths []string) error {
	err := s.Apply(ctx, plan, pipeline.Change{Entry: e, Subject: subject, Paths: paths})
	var ae *pipeline.ApplyError
	if errors.As(err, &ae) {
		return textutil.WithHint(err, "run the same command again: it finishes the change ('keycycle check' shows what is left)")
	}
	return PipelineError(err)
}
