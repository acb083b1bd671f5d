// Package cli holds keycycle's commands: one file per command, each with a
// newXCmd constructor, an xOptions struct and a runX function. Only main
// calls os.Exit; Main returns the exit code.
package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"slices"

	"github.com/spf13/cobra"
)

// version is set by the linker (-X) for releases; otherwise the module
// version from the build info is used.
var version = ""

// env carries the process's streams to every command.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// Main runs keycycle with args and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			code = report(stderr, errorf("please report this at the keycycle issue tracker with the command you ran",
				"internal error: %v", r))
		}
	}()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && ctx.Err() != nil {
		// Whatever the command said about it, the cause is the
		// interrupt; its hint would mislead.
		fmt.Fprintln(stderr, "keycycle: interrupted")
		return ExitInterrupted
	}
	return report(stderr, err)
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "keycycle",
		Short: "Manage the life of the age keys behind SOPS-encrypted secrets",
		Long: `keycycle manages the life of the age keys behind a SOPS secrets repository
(.sops.yaml, sops/shared.yaml, sops/<host>.yaml as sops-nix uses them).

Its commands come in three groups, listed below:
  Look at a repository    read-only and offline, no private key needed; they
                          exit 1 when they find errors, so they fit CI.
  Change who can decrypt  every change takes --dry-run, locks the repository,
                          verifies each file before it replaces it, appends
                          to the audit log and, with --commit, commits. The
                          host-side commands ('host check', 'host keygen',
                          'host install-key'…) run on the hosts themselves.
  Tools                   key conversion and generation, the demo, shell
                          completion ('keycycle completion bash|zsh|fish')
                          and manual pages ('keycycle man DIR').

Start with 'keycycle demo', then 'keycycle check' in your repository.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagError)
	root.SetHelpTemplate(root.HelpTemplate() + "\n" + exitCodeHelp + "\n")
	root.AddCommand(
		newCheckCmd(e),
		newAuditCmd(e),
		newInventoryCmd(e),
		newSSHToAgeCmd(e),
		newKeygenCmd(e),
		newDemoCmd(e),
		newRekeyCmd(e),
		newHostCmd(e),
		newUserCmd(e),
		newInitCmd(e),
		newRotateCmd(e),
		newDiffCmd(e),
		newManCmd(e),
		newSecretCmd(e),
	)
	groupCommands(root)
	groupsRefuseUnknown(root)
	addCompletions(root)
	return root
}

// commandGroups sorts the root's commands in its --help, as its Long
// text describes them.
func groupCommands(root *cobra.Command) {
	groups := []struct {
		id, title string
		names     []string
	}{
		{"read", "Look at a repository:", []string{"check", "inventory", "diff", "audit"}},
		{"change", "Change who can decrypt:", []string{"init", "rekey", "host", "user", "rotate"}},
		{"values", "Change secret values:", []string{"secret"}},
		{"tools", "Tools:", []string{"ssh-to-age", "keygen", "demo", "man"}},
	}
	for _, g := range groups {
		root.AddGroup(&cobra.Group{ID: g.id, Title: g.title})
		for _, c := range root.Commands() {
			if slices.Contains(g.names, c.Name()) {
				c.GroupID = g.id
			}
		}
	}
	root.SetHelpCommandGroupID("tools")
	root.SetCompletionCommandGroupID("tools")
	// Made now rather than when the root runs, so that man pages and the
	// docs test see it.
	root.InitDefaultCompletionCmd()
}

// groupsRefuseUnknown makes every command that only groups others (the
// root, host, user, rotate, audit) refuse an unknown subcommand as a
// "cannot run" error with a did-you-mean hint, and show its help when
// given none.
func groupsRefuseUnknown(c *cobra.Command) {
	if c.HasSubCommands() {
		c.Args = unknownSubcommand
		c.SuggestionsMinimumDistance = 2
		if c.RunE == nil && c.Run == nil {
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	}
	for _, sub := range c.Commands() {
		groupsRefuseUnknown(sub)
	}
}

func unknownSubcommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := "run '" + c.CommandPath() + " --help' for its commands"
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		hint = "did you mean '" + c.CommandPath() + " " + s[0] + "'?"
	}
	return errorf(hint, "unknown command %q for %q", args[0], c.CommandPath())
}

// exactArgs and friends wrap cobra's validators so that wrong arguments
// are "cannot run" errors with a hint.
func argsHint(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := v(c, args); err != nil {
			return errorf("run '"+c.CommandPath()+" --help' for its usage", "%v", err)
		}
		return nil
	}
}
