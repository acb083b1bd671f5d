// Package lock is the repository lock every keycycle command that changes
// files takes: an advisory flock(2) on .keycycle/lock, so that two
// keycycle processes never rewrite the same files or chain the audit log
// from the same line.
//
// The kernel releases a flock when its holder exits, however it exits, so
// a crashed keycycle never leaves the repository locked. Who holds the
// lock is written beside it, in .keycycle/lock.info (PID, host, command,
// since), only so that a waiter can say so; that file may outlive its
// writer and is never trusted to decide anything.
package lock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/keycycle/keycycle/internal/fsutil"
)

// Paths of the lock, its holder's description and the .gitignore that
// keeps both out of commits, relative to the repository root.
const (
	File      = ".keycycle/lock"
	InfoFile  = ".keycycle/lock.info"
	Gitignore = ".keycycle/.gitignore"
)

// DefaultPoll is how often a waiter tries the lock again.
const DefaultPoll = 100 * time.Millisecond

const gitignoreBody = "# keycycle's repository lock and the record of a change being written:\n# local to this checkout, never committed.\n/lock\n/lock.info\n/intent.json\n"

// Holder describes the process holding the lock, as it wrote itself into
// .keycycle/lock.info.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// Options tune AcquireWith.
type Options struct {
	// Timeout is how long to wait for a lock another process holds; zero
	// or less tries once.
	Timeout time.Duration
	// Poll is how often to try again; DefaultPoll when zero.
	Poll time.Duration
	// OnWait, when set, is called once, when the first try fails, with the
	// holder when it is known (else nil): the place to print "waiting for
	// …".
	OnWait func(h *Holder)
}

// Lock is a held repository lock.
type Lock struct {
	fl   *flock.Flock
	info string
}

// HeldError is returned when the lock stayed held for the whole timeout.
type HeldError struct {
	// Holder is who holds it, nil when unknown (no or stale lock.info).
	Holder *Holder
	// Waited is how long Acquire was allowed to wait (its timeout): the
	// bound the user set, not a measured time, so that the message is the
	// same however busy the machine is.
	Waited time.Duration
}

// Error says who holds the lock and since when.
func (e *HeldError) Error() string {
	who := "another process"
	if h := e.Holder; h != nil {
		who = fmt.Sprintf("PID %d", h.PID)
		if h.Command != "" {
			who += " (" + h.Command + ")"
		}
		if host, _ := os.Hostname(); h.Host != "" && h.Host != host {
			who += " on " + h.Host
		}
		if !h.Since.IsZero() {
			who += " since " + h.Since.UTC().Format(time.RFC3339)
		}
	}
	msg := "the repository is locked by " + who
	if w := e.Waited; w > 0 {
		msg += "; waited " + w.String()
	}
	return msg
}

// Hint says what to do about it.
func (e *HeldError) Hint() string {
	return "wait for that command to finish and run again (or give it longer with --lock-timeout); " +
		"if that process is gone, just run again: the lock is released when its holder exits"
}

// Acquire takes the lock of the repository at root, waiting up to timeout
// while another process holds it, and records what (the command line, no
// secrets) as the holder. It fails with *HeldError after the timeout and
// with ctx's error when ctx ends first.
func Acquire(ctx context.Context, root string, timeout time.Duration, what string) (*Lock, error) {
	return AcquireWith(ctx, root, what, Options{Timeout: timeout})
}

// AcquireWith is Acquire with every option.
func AcquireWith(ctx context.Context, root, what string, opts Options) (*Lock, error) {
	path := filepath.Join(root, filepath.FromSlash(File))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("cannot lock the repository: %w", err)
	}
	if err := ensureGitignore(root); err != nil {
		return nil, err
	}
	poll := opts.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	fl := flock.New(path, flock.SetPermissions(0o644))
	start := time.Now()
	deadline := start.Add(opts.Timeout)
	for tries := 0; ; tries++ {
		ok, err := fl.TryLock()
		if err != nil {
			return nil, fmt.Errorf("cannot lock the repository (%s): %w", path, err)
		}
		if ok {
			break
		}
		if tries == 0 && opts.OnWait != nil {
			opts.OnWait(Current(root))
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, &HeldError{Holder: Current(root), Waited: opts.Timeout}
		}
		t := time.NewTimer(min(poll, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("gave up waiting for the repository lock: %w", context.Cause(ctx))
		case <-t.C:
		}
	}
	l := &Lock{fl: fl, info: filepath.Join(root, filepath.FromSlash(InfoFile))}
	if err := l.writeInfo(what); err != nil {
		return nil, errors.Join(err, fl.Unlock())
	}
	return l, nil
}

func (l *Lock) writeInfo(what string) error {
	host, _ := os.Hostname()
	data, err := json.Marshal(Holder{PID: os.Getpid(), Host: host, Command: what, Since: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(l.info, append(data, '\n'), 0o644)
}

// Release removes the holder's description and releases the lock. It is
// safe to call more than once.
func (l *Lock) Release() error {
	if l == nil || l.fl == nil {
		return nil
	}
	err := os.Remove(l.info)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	err = errors.Join(err, l.fl.Unlock())
	l.fl = nil
	return err
}

// Current returns who holds the lock of the repository at root according
// to .keycycle/lock.info, or nil when that file is missing, unreadable, or
// names a process of this host that is no longer running (a holder that
// crashed leaves it behind). It does not say whether the lock is held.
func Current(root string) *Holder {
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(InfoFile)))
	if err != nil {
		return nil
	}
	var h Holder
	if json.Unmarshal(data, &h) != nil || h.PID <= 0 {
		return nil
	}
	if host, _ := os.Hostname(); (h.Host == "" || h.Host == host) && !alive(h.PID) {
		return nil
	}
	return &h
}

// ensureGitignore creates .keycycle/.gitignore, listing the lock files
// and the intent record, when it does not exist; one keycycle wrote
// before the intent record existed gets its line.
func ensureGitignore(root string) error {
	p := filepath.Join(root, filepath.FromSlash(Gitignore))
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fsutil.WriteFileAtomic(p, []byte(gitignoreBody), 0o644)
	case err != nil:
		return nil
	case bytes.HasPrefix(data, []byte("# keycycle's repository lock")) && !bytes.Contains(data, []byte("/intent.json")):
		return fsutil.WriteFileAtomic(p, append(data, "/intent.json\n"...), 0o644)
	}
	return nil
}
