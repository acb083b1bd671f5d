package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/lock"
	"github.com/keycycle/keycycle/internal/vcs"
)

// commit commits c's paths and the audit log with kind (nothing without
// one). The message is c's subject with a Keycycle-Audit-Head trailer
// that anchors the log's head outside the log.
func (s *Session) commit(ctx context.Context, kind vcs.Kind, c Change) error {
	if kind == vcs.None || kind == "" {
		return nil
	}
	return s.CommitPaths(ctx, kind, c.Subject, append(c.Paths[:len(c.Paths):len(c.Paths)], audit.LogFile), true)
}

// CommitPaths commits paths (relative; .keycycle/.gitignore goes along)
// with kind; reportUnchanged says so on Out when there was nothing to
// commit.
func (s *Session) CommitPaths(ctx context.Context, kind vcs.Kind, subject string, paths []string, reportUnchanged bool) error {
	if s.opts.DryRun || s.lock == nil {
		return ErrDryRun
	}
	paths = append(paths[:len(paths):len(paths)], lock.Gitignore)
	msg := subject
	if _, head, err := audit.Head(s.Root); err == nil && head != "" {
		msg += "\n\nKeycycle-Audit-Head: " + head
	}
	res, err := vcs.Commit(ctx, s.Root, kind, msg, paths)
	if err != nil {
		return err
	}
	if !res.Committed {
		if reportUnchanged {
			fmt.Fprintf(s.out(), "nothing to commit with %s: %s unchanged\n", res.Kind, strings.Join(paths, ", "))
		}
		return nil
	}
	id := res.ID
	if len(id) > 12 {
		id = id[:12]
	}
	fmt.Fprintf(s.out(), "committed %s with %s\n", id, res.Kind)
	return nil
}
