package ops

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/textutil"
	"github.com/keycycle/keycycle/internal/vcs"
)

// Noted is an audit note appended (or, in a dry run, the entry that
// would be).
type Noted struct {
	Entry audit.Entry
	// Log is the audit log's path as the user names it (relative to the
	// working directory when below it).
	Log string
	// Head is the log's head hash after the note (not in a dry run).
	Head string
	// DryRun is true when nothing was written; VCS is the kind of commit
	// the note gets (vcs.None: none).
	DryRun bool
	VCS    vcs.Kind
}

// Note records in the audit log a change keycycle did not make (a value
// changed with 'sops edit', an access review), committing the log and the
// files named (paths relative to the repository) when the session commits.
func Note(ctx context.Context, o Options, msg string, files []string) (n *Noted, err error) {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return nil, textutil.Hintf("say what was changed and why", "the note is empty")
	}
	s, err := Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	root, _ := RelToWD(s.Root)
	files, err = vcs.RelPaths(root, files)
	if err != nil {
		return nil, textutil.Hintf("give paths inside the repository, relative to its root", "--file: %v", err)
	}
	n = &Noted{Entry: audit.Entry{Command: o.Command, Files: files, Note: msg}, Log: audit.Path(root), DryRun: o.DryRun, VCS: s.VCS}
	if o.DryRun {
		seq, _, err := audit.Head(s.Root)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, textutil.Hintf("run 'keycycle audit verify' to see what is wrong with the log", "cannot append to %s: %v", n.Log, err)
		}
		n.Entry.Seq, n.Entry.Time, n.Entry.Actor = seq+1, time.Now(), audit.Actor()
		return n, nil
	}
	if err := s.Log(ctx, n.Entry, "keycycle: audit note: "+noteSubject(msg), files); err != nil {
		return nil, err
	}
	if n.Entry.Seq, n.Head, err = audit.Head(s.Root); err != nil {
		return nil, err
	}
	return n, nil
}

// noteSubject is a note's first line, cut at 60 characters: its commit
// subject.
func noteSubject(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return s
}
