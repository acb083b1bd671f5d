package cli

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
)

// The flags several commands share are declared here, once, so that they
// read the same in every --help and behave the same: --repo and --format.

// repoHelp is the one wording of --repo.
const repoHelp = "the secrets repository: the `DIR` holding .sops.yaml (default: the nearest one upward)"

// repoFlag adds --repo to cmd, with its completion (folders).
func repoFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "repo", "", repoHelp)
	_ = cmd.MarkFlagDirname("repo")
}

// formatValue is a --format flag: its Set refuses a value outside
// allowed, so a wrong format is refused while the flags are parsed, for
// every command the same way.
type formatValue struct {
	p       *string
	allowed []string
}

func (f *formatValue) String() string {
	if f.p == nil {
		return ""
	}
	return *f.p
}

func (f *formatValue) Set(s string) error {
	if err := checkFormat(s, f.allowed...); err != nil {
		return err
	}
	*f.p = s
	return nil
}

func (f *formatValue) Type() string { return "FORMAT" }

// formatFlag adds --format to cmd: allowed lists the values the command
// renders, the first being the default; the completion offers them.
func formatFlag(cmd *cobra.Command, p *string, allowed ...string) {
	if len(allowed) == 0 {
		allowed = []string{"text", "json"}
	}
	*p = allowed[0]
	cmd.Flags().Var(&formatValue{p: p, allowed: allowed}, "format", "output format: "+joinOr(allowed))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(allowed, cobra.ShellCompDirectiveNoFileComp))
}

// checkFormat validates a --format value against the allowed ones; the
// one check behind every --format flag.
func checkFormat(got string, allowed ...string) error {
	for _, a := range allowed {
		if got == a {
			return nil
		}
	}
	return errorf("use one of: "+strings.Join(allowed, ", "), "unknown --format %q", got)
}

// flagError reports an error cobra or pflag found in the flags: one of
// keycycle's own (a --format value) as it is, any other with a hint to
// the command's --help.
func flagError(c *cobra.Command, err error) error {
	var ue *userError
	if errors.As(err, &ue) {
		return ue
	}
	return errorf("run '"+c.CommandPath()+" --help' for the flags it takes", "%v", err)
}
