package cli

import (
	"context"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/accessdiff"
)

type diffOptions struct {
	repo    string
	format  string
	exclude []string
	stderr  io.Writer
}

func newDiffCmd(e *env) *cobra.Command {
	opts := &diffOptions{stderr: e.stderr}
	cmd := &cobra.Command{
		Use:   "diff [FROM [TO]]",
		Short: "Who gained or lost the ability to decrypt which file between two revisions",
		Long: `Diff compares the recipients of every encrypted file at two git revisions,
from the files' own metadata (no private key needed): the review aid for a
pull request on a secrets repository.

  keycycle diff              HEAD against the working tree
  keycycle diff REV          REV against the working tree
  keycycle diff FROM TO      two revisions, e.g. origin/main HEAD

A key that disappears from a file's metadata lost access to what is
written from now on; unless the file got a new data key at the same time,
whoever kept the old file could still read it (keycycle rekey does that on
every removal). When an identity of yours opens both versions of a file,
diff says whether its data key changed ("new data key", JSON
data_key_rotated); without one it can only tell whether the values were
encrypted again (the MAC changed).`,
		Example: `  keycycle diff origin/main HEAD
  keycycle diff --format json HEAD~1`,
		Args: argsHint(cobra.MaximumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.Context(), opts, e.stdout, args)
		},
	}
	repoFlag(cmd, &opts.repo)
	formatFlag(cmd, &opts.format, "text", "json")
	cmd.Flags().StringArrayVar(&opts.exclude, "exclude", nil, "glob of files to leave out (repeatable)")
	return cmd
}

func runDiff(ctx context.Context, opts *diffOptions, out io.Writer, args []string) error {
	cfgPath, err := findConfig(opts.repo)
	if err != nil {
		return err
	}
	d, err := accessdiff.Revisions(ctx, filepath.Dir(cfgPath), args, opts.exclude, identities(opts.stderr))
	if err != nil {
		return err
	}
	if opts.format == "json" {
		return d.WriteJSON(out)
	}
	d.WriteText(out)
	return nil
}
