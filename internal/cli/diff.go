package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/inventory"
	"github.com/keycycle/keycycle/internal/textutil"
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
	if err := checkFormat(opts.format, "text", "json"); err != nil {
		return err
	}
	cfgPath, err := findConfig(opts.repo)
	if err != nil {
		return err
	}
	root := filepath.Dir(cfgPath)
	from, to := "HEAD", ""
	if len(args) > 0 {
		from = args[0]
	}
	if len(args) > 1 {
		to = args[1]
	}
	files, err := inventory.Diff(ctx, root, from, to, opts.exclude, identities(opts.stderr))
	var re *inventory.RevisionError
	if errors.As(err, &re) {
		return revisionError(re.Rev, re.Err)
	}
	if err != nil {
		return err
	}
	if to == "" {
		to = "working tree"
	}
	if opts.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema string               `json:"schema"`
			From   string               `json:"from"`
			To     string               `json:"to"`
			Files  []inventory.DiffFile `json:"files"`
		}{"keycycle.diff/v1", from, to, files})
	}
	writeDiffText(out, from, to, files)
	return nil
}

// revisionError says which revision could not be read, and how to name one.
func revisionError(rev string, err error) error {
	if rev == "" {
		return err
	}
	return errorf("name a commit, branch or tag ('git log --oneline' lists them); 'keycycle diff REV' compares REV with the working tree",
		"cannot read revision %q: %s", rev, textutil.OneLine(err.Error()))
}

func writeDiffText(out io.Writer, from, to string, files []inventory.DiffFile) {
	if len(files) == 0 {
		fmt.Fprintf(out, "no change in who can decrypt what between %s and %s\n", from, to)
		return
	}
	for _, f := range files {
		var parts []string
		for _, k := range f.Gained {
			parts = append(parts, "+"+keyLabel(k))
		}
		for _, k := range f.Lost {
			parts = append(parts, "-"+keyLabel(k))
		}
		note := ""
		switch {
		case f.DataKeyRotated != nil && *f.DataKeyRotated:
			note = " (new data key)"
		case f.DataKeyRotated != nil && len(f.Lost) > 0:
			note = " (same data key: the removed keys can still read this content)"
		case f.DataKeyRotated == nil && len(f.Lost) > 0 && f.Status == "changed" && !f.Rewritten:
			note = " (values not re-encrypted: the removed keys can still read this content)"
		}
		fmt.Fprintf(out, "%s: %s %s%s\n", f.File, f.Status, strings.Join(parts, " "), note)
	}
}

func keyLabel(k inventory.DiffKey) string {
	if k.Name != "" {
		return k.Name
	}
	return k.Recipient
}
