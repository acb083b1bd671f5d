package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/textutil"
)

type manOptions struct {
	root *cobra.Command
}

func newManCmd(e *env) *cobra.Command {
	opts := &manOptions{}
	cmd := &cobra.Command{
		Use:   "man DIR",
		Short: "Write a manual page for every command into DIR (keycycle.1, keycycle-check.1, …)",
		Long: `Man writes one troff page per command into DIR, made from the same text
as --help: keycycle.1, keycycle-check.1, keycycle-host-add.1 and so on.
Packagers run it at build time and install DIR into share/man/man1;
SOURCE_DATE_EPOCH, when set, dates the pages (reproducible builds).`,
		Example: `  keycycle man ./man && man ./man/keycycle-rotate-start.1`,
		Args:    argsHint(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.root = cmd.Root()
			return runMan(cmd.Context(), opts, e.stdout, args)
		},
	}
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	}
	return cmd
}

func runMan(_ context.Context, opts *manOptions, out io.Writer, args []string) error {
	dir := args[0]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errorf("pass a folder you can write to", "cannot create %s: %v", dir, textutil.ErrReason(err))
	}
	n := 0
	for _, c := range manCommands(opts.root) {
		var b bytes.Buffer
		c.DisableAutoGenTag = true
		if err := doc.GenMan(c, &doc.GenManHeader{Source: "keycycle " + versionString(), Manual: "keycycle manual"}, &b); err != nil {
			return err
		}
		p := filepath.Join(dir, manPageName(c))
		if err := fsutil.WriteFileAtomic(p, b.Bytes(), 0o644); err != nil {
			return errorf("pass a folder you can write to", "cannot write %s: %v", p, textutil.ErrReason(err))
		}
		n++
	}
	fmt.Fprintf(out, "%d manual pages written to %s\n", n, dir)
	return nil
}

// manCommands is every command that gets a page: the tree less help and
// hidden commands, root first.
func manCommands(root *cobra.Command) []*cobra.Command {
	list := []*cobra.Command{root}
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && !c.IsAdditionalHelpTopicCommand() {
			list = append(list, manCommands(c)...)
		}
	}
	return list
}

// manPageName is "keycycle-host-add.1" for 'keycycle host add'.
func manPageName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
}
