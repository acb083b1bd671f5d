package cli

import (
	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// completeFileThenPath completes a secret command's FILE (the secrets
// files) and then its PATH (the paths the file's metadata lists: no key
// is needed, no value read).
func completeFileThenPath(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const none = cobra.ShellCompDirectiveNoFileComp
	switch len(args) {
	case 0:
		return completeSecretsFiles(c, nil, toComplete)
	case 1:
		f, err := sopsfile.Read(args[0])
		if err != nil {
			return nil, none
		}
		var out []cobra.Completion
		for _, s := range f.Secrets {
			out = append(out, s.Name())
		}
		return out, none
	}
	return nil, none
}

// completeOneSecretsFile completes secret list's one FILE.
func completeOneSecretsFile(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeSecretsFiles(c, nil, toComplete)
}

// completeGeneratorKinds offers the built-in generator kinds.
func completeGeneratorKinds(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, k := range policy.GeneratorKinds {
		if k != policy.GenCommand {
			out = append(out, k)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
