// Package pipeline is the one way a change reaches a secrets repository.
// Every command that changes files opens a Session and hands it its
// verified plan; the session does the rest in one order that no command
// can reorder or forget:
//
//	resolve → plan → (dry run: render, stop) → lock → sweep a killed run's
//	temporary files → check the audit log can be appended → finish an
//	interrupted change → record the intent → write → append the audit
//	entry → drop the intent → commit
//
// A dry-run session takes no lock and refuses every write (ErrDryRun), so
// a command that forgot its dry-run branch fails loudly instead of
// writing. The intent record (.keycycle/intent.json) is written durably
// before the first write of a change; whatever interrupts the change, the
// next session on the repository finishes it from that record and
// appends its audit entry, so a change that touched a file always ends in
// the audit log.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/failpoint"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/lock"
	"github.com/keycycle/keycycle/internal/vcs"
)

// ErrDryRun is returned by every writing method of a dry-run session: a
// command reached a write it must not make.
var ErrDryRun = errors.New("internal error: a dry run tried to write; nothing was written (please report this)")

// Options open a Session.
type Options struct {
	// ConfigPath is the repository's .sops.yaml, absolute.
	ConfigPath string
	// Command is the command line: the audit entries' and the lock's.
	Command string
	// DryRun makes a session that plans and writes nothing, anywhere.
	DryRun bool
	// Commit commits every change with the repository's VCS (VCS: "auto",
	// "git" or "jj"; "" is auto).
	Commit bool
	VCS    string
	// LockTimeout is how long to wait for another keycycle.
	LockTimeout time.Duration
	// OnLockWait is told who holds the lock when Open has to wait.
	OnLockWait func(*lock.Holder)
	// Identities open the files of an interrupted change that Open
	// finishes (called only then).
	Identities func() []age.Identity
	// Notes receives what Open did on its own: temporary files removed,
	// an interrupted change finished.
	Notes io.Writer
	// Out receives results: the commits made.
	Out io.Writer
}

// Session is a command's hold on the repository.
type Session struct {
	opts Options
	// Root is the repository's folder.
	Root string
	// VCS is the kind of commits made (vcs.None without Commit).
	VCS  vcs.Kind
	lock *lock.Lock
	// Pending is, in a dry run, the interrupted change a real run would
	// finish first.
	Pending *Intent
	// Finished is the interrupted change Open finished, if any.
	Finished *Intent
}

// Open starts a session. Unless it is a dry run, it holds the repository
// lock until Close, and it has finished any interrupted change.
func Open(ctx context.Context, opts Options) (*Session, error) {
	s := &Session{opts: opts, Root: filepath.Dir(opts.ConfigPath), VCS: vcs.None}
	if opts.Notes == nil {
		s.opts.Notes = io.Discard
	}
	if err := audit.CheckInside(s.Root); err != nil {
		return nil, err
	}
	if opts.Commit {
		kind, err := vcs.Resolve(s.Root, orAuto(opts.VCS))
		if err != nil {
			return nil, err
		}
		if err := vcs.Ready(ctx, s.Root, kind); err != nil {
			return nil, err
		}
		s.VCS = kind
	}
	if opts.DryRun {
		// What a real run would refuse, a dry run reports.
		if _, err := audit.Last(s.Root); err != nil {
			return nil, &LogError{Err: err}
		}
		p, err := ReadIntent(s.Root)
		s.Pending = p
		return s, err
	}
	l, err := lock.AcquireWith(ctx, s.Root, opts.Command, lock.Options{Timeout: opts.LockTimeout, OnWait: opts.OnLockWait})
	if err != nil {
		return nil, err
	}
	s.lock = l
	if err := s.prepare(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func orAuto(kind string) string {
	if kind == "" {
		return "auto"
	}
	return kind
}

// prepare runs, under the lock, before anything else is written.
func (s *Session) prepare(ctx context.Context) error {
	removed, err := fsutil.RemoveStaleTemps(s.Root)
	if err != nil {
		return err
	}
	for _, p := range removed {
		rel, _ := filepath.Rel(s.Root, p)
		fmt.Fprintf(s.opts.Notes, "keycycle: removed %s, a temporary file an interrupted run left\n", rel)
	}
	if _, err := audit.Last(s.Root); err != nil {
		return &LogError{Err: err}
	}
	in, err := ReadIntent(s.Root)
	if err != nil || in == nil {
		return err
	}
	return s.finish(ctx, in)
}

// LogError means the audit log cannot take the change's entry: nothing
// was written.
type LogError struct{ Err error }

func (e *LogError) Error() string { return "nothing was written: " + e.Err.Error() }

// Unwrap returns the log's problem.
func (e *LogError) Unwrap() error { return e.Err }

func (s *Session) out() io.Writer {
	if s.opts.Out == nil {
		return io.Discard
	}
	return s.opts.Out
}

// DryRun tells whether the session writes nothing.
func (s *Session) DryRun() bool { return s.opts.DryRun }

// Command is the session's command line.
func (s *Session) Command() string { return s.opts.Command }

// Close releases the lock.
func (s *Session) Close() error {
	if s == nil || s.lock == nil {
		return nil
	}
	err := s.lock.Release()
	s.lock = nil
	return err
}

// Change is what Apply records of a plan: its audit entry (Command and
// Change are filled in) and the commit's subject and paths.
type Change struct {
	Entry   audit.Entry
	Subject string
	// Paths are the files to commit besides the audit log.
	Paths []string
}

// Apply writes a verified plan: the intent record first, then the plan,
// then the audit entry, then the commit.
func (s *Session) Apply(ctx context.Context, plan *change.Plan, c Change) error {
	if s.opts.DryRun || s.lock == nil {
		return ErrDryRun
	}
	// A change that can no longer be written as planned is refused
	// before its intent exists: "nothing was changed" stays true.
	if err := plan.Check(); err != nil {
		return err
	}
	in, err := newIntent(s.opts.Command, plan.Record(), c, s.VCS)
	if err != nil {
		return err
	}
	if err := in.save(s.Root); err != nil {
		return err
	}
	failpoint.Hit("pipeline.intent")
	if err := plan.Write(); err != nil {
		return &ApplyError{Err: err}
	}
	return s.conclude(ctx, in)
}

// ApplyError means a change stopped part way; its intent record is kept,
// and the next keycycle command that changes the repository finishes it.
type ApplyError struct{ Err error }

func (e *ApplyError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ApplyError) Unwrap() error { return e.Err }

// Record appends an entry for a change made without a plan (an audit
// note, a rotation step on the host) and commits paths with it.
func (s *Session) Record(ctx context.Context, c Change) error {
	if s.opts.DryRun || s.lock == nil {
		return ErrDryRun
	}
	c.Entry.Command = s.opts.Command
	if err := audit.Append(s.Root, c.Entry); err != nil {
		return &LogError{Err: err}
	}
	return s.commit(ctx, s.VCS, c)
}

// conclude appends the intent's entry (unless the log has it already),
// drops the intent and commits.
func (s *Session) conclude(ctx context.Context, in *Intent) error {
	last, err := audit.Last(s.Root)
	if err != nil {
		return &LogError{Err: err}
	}
	if last == nil || last.Change != in.ID {
		if err := audit.Append(s.Root, in.Entry); err != nil {
			return &LogError{Err: fmt.Errorf("the change is written but not yet recorded (the next keycycle command records it): %w", err)}
		}
	}
	failpoint.Hit("pipeline.recorded")
	if err := dropIntent(s.Root); err != nil {
		return err
	}
	return s.commit(ctx, vcs.Kind(in.VCS), Change{Subject: in.Subject, Paths: in.Paths})
}
