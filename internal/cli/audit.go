package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/vcs"
)

func newAuditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show and check the hash-chained log of every change made to the repository",
		Long: `Every keycycle command that changes files appends one line to
.keycycle/audit.log: when (UTC), who (user@host), the command line, the
recipients it added and removed, the files it wrote and those that got a
new data key. Each line carries the SHA-256 of the line before it, so that
editing, removing, inserting or reordering a line breaks the chain.

  keycycle audit log        the history, oldest first
  keycycle audit verify     check the chain; exit 1 when it is broken
  keycycle audit note MSG   record a change made by hand (sops edit, …)

docs/audit.md documents the format and what the chain can and cannot prove.`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	cmd.AddCommand(newAuditLogCmd(e), newAuditVerifyCmd(e), newAuditNoteCmd(e))
	return cmd
}

type auditLogOptions struct {
	repo   string
	format string
	head   bool
	last   int
}

func newAuditLogCmd(e *env) *cobra.Command {
	opts := &auditLogOptions{}
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show the audit log, oldest entry first",
		Long: `Log prints the repository's audit log, oldest entry first: seq, time (UTC),
who, the command, then "+" for each recipient added, "-" for each one
removed, the files written and the files whose data key was replaced.

--head prints only the hash of the last line. Keep it where the log's
writers cannot rewrite it (a commit message, a ticket, a chat): a chain
cannot show that its last lines were cut off, but
'keycycle audit verify --expect-head HASH' can, against that hash.

Log lists; it does not judge: a line that is not a valid entry is shown as
such, and 'keycycle audit verify' says what happened to it.`,
		Example: `  keycycle audit log
  keycycle audit log --last 5
  keycycle audit log --format json | jq '.entries[] | select(.removed)'
  keycycle audit log --head`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAuditLog(cmd.Context(), opts, e.stdout, args)
		},
	}
	f := cmd.Flags()
	repoFlag(cmd, &opts.repo)
	formatFlag(cmd, &opts.format, "text", "json")
	f.BoolVar(&opts.head, "head", false, "print only the hash of the last line")
	f.IntVar(&opts.last, "last", 0, "show only the last `N` entries (0: all)")
	return cmd
}

func runAuditLog(ctx context.Context, opts *auditLogOptions, out io.Writer, args []string) error {
	cfg, err := findConfig(opts.repo)
	if err != nil {
		return err
	}
	l, err := audit.ReadLog(filepath.Dir(cfg), opts.last)
	switch {
	case err != nil:
		return err
	case opts.head:
		return l.WriteHead(out, opts.format)
	case opts.format == "json":
		return l.WriteJSON(out)
	}
	return l.WriteText(out)
}

type auditVerifyOptions struct {
	repo       string
	format     string
	expectHead string
}

func newAuditVerifyCmd(e *env) *cobra.Command {
	opts := &auditVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that no line of the audit log was edited, removed, inserted or moved",
		Long: `Verify checks that the audit log is the one keycycle wrote: every line a
valid entry that carries the hash of the line before it and the next seq.
Each break is reported at its line, with what most likely happened:

  edited     a line was changed after it was written
  removed    entries are missing: the seq jumps
  inserted   a line is there that keycycle did not write there
  reordered  lines were moved
  partial    the file ends in the middle of a line
  invalid    a line is not a valid entry
  seq        the hashes chain but the numbering does not

What a chain cannot prove: that nothing was cut off its end (a shorter log
is still a valid chain), and that nobody rewrote the whole file with every
hash recomputed. For both, compare with a head recorded elsewhere:
--expect-head HASH fails unless the line with that hash is still in the
log (entries appended after it are fine). keycycle's commits carry the
head in a "Keycycle-Audit-Head:" trailer, and 'git log -p
.keycycle/audit.log' shows every change ever made to the file.

Exit 0 when the log is intact, 1 when it is not, 2 when there is no log.`,
		Example: `  keycycle audit verify
  keycycle audit verify --format json
  keycycle audit verify --expect-head "$(git log -1 --grep='^Keycycle-Audit-Head:' --format='%(trailers:key=Keycycle-Audit-Head,valueonly)')"`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAuditVerify(cmd.Context(), opts, e.stdout, args)
		},
	}
	f := cmd.Flags()
	repoFlag(cmd, &opts.repo)
	formatFlag(cmd, &opts.format, "text", "json")
	f.StringVar(&opts.expectHead, "expect-head", "", "fail unless the line with this `HASH` ('audit log --head') is in the log")
	return cmd
}

func runAuditVerify(ctx context.Context, opts *auditVerifyOptions, out io.Writer, args []string) error {
	cfg, err := findConfig(opts.repo)
	if err != nil {
		return err
	}
	v, err := audit.VerifyLog(filepath.Dir(cfg), opts.expectHead)
	if err != nil {
		return err
	}
	if opts.format == "json" {
		err = v.WriteJSON(out)
	} else {
		err = v.WriteText(out)
	}
	if err != nil {
		return err
	}
	if !v.OK() {
		return errFindings
	}
	return nil
}

type auditNoteOptions struct {
	mutateFlags
	files []string
}

func newAuditNoteCmd(e *env) *cobra.Command {
	opts := &auditNoteOptions{mutateFlags: mutateFlags{noExclude: true}}
	cmd := &cobra.Command{
		Use:   "note MESSAGE",
		Short: "Record a change made by hand in the audit log",
		Long: `Note appends an entry to the audit log for a change keycycle did not make:
a secret value changed with 'sops edit', a key rotated by hand, an access
review. Like every command that changes files, it takes the repository
lock (waiting up to --lock-timeout for another keycycle to finish), prints
what it would do with --dry-run, and with --commit (or keycycle.yaml's
vcs:) commits the log and the --file paths with git, or with jj where the
repository has .jj/.

Never put a secret value in the message: the log is plain text, and
committed.`,
		Example: `  keycycle audit note "rotated the postgres password" --file sops/db.yaml
  keycycle audit note "quarterly access review: no change" --commit
  keycycle audit note "restored web1's key from backup" --dry-run`,
		Args: argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAuditNote(cmd.Context(), opts, e.stdout, args)
		},
	}
	opts.register(cmd, e, "text")
	cmd.Flags().StringArrayVar(&opts.files, "file", nil, "a `PATH` (relative to the repository) the change touched (repeatable)")
	return cmd
}

func runAuditNote(ctx context.Context, opts *auditNoteOptions, out io.Writer, args []string) error {
	n, err := ops.Note(ctx, opts.options(), args[0], opts.files)
	if err != nil {
		return err
	}
	if !n.DryRun {
		_, err = fmt.Fprintf(out, "recorded #%d in %s (head %s)\n", n.Entry.Seq, n.Log, n.Head)
		return err
	}
	fmt.Fprintf(out, "dry run: would append to %s:\n", n.Log)
	if err := audit.WriteText(out, n.Entry); err != nil {
		return err
	}
	if n.VCS != vcs.None {
		fmt.Fprintf(out, "and commit it with %s\n", n.VCS)
	}
	_, err = fmt.Fprintln(out, "nothing was written")
	return err
}
