package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/complete"
	"github.com/keycycle/keycycle/internal/rotation"
)

// Dynamic completions, for cobra's 'completion' scripts (bash, zsh, fish,
// powershell): the repository's key names, secrets files and open
// rotations, host check IDs. --format values complete where formatFlag
// declares them. Each completion reads the repository --repo names (or
// the nearest one upward) and offers nothing when there is none.

// addCompletions attaches the completions to the commands of root's tree.
func addCompletions(root *cobra.Command) {
	args := map[string]cobra.CompletionFunc{
		"host remove":     completeKeyNames,
		"user remove":     completeKeyNames,
		"rotate start":    completeKeyNames,
		"rotate resume":   completeOpenRotations,
		"rotate abort":    completeOpenRotations,
		"rekey":           completeSecretsFiles,
		"secret set":      completeFileThenPath,
		"secret get":      completeFileThenPath,
		"secret rm":       completeFileThenPath,
		"secret mv":       completeFileThenPath,
		"secret generate": completeFileThenPath,
		"secret list":     completeOneSecretsFile,
	}
	for path, fn := range args {
		if c, _, err := root.Find(strings.Fields(path)); err == nil && c != root {
			c.ValidArgsFunction = fn
		}
	}
	flags := []struct {
		path, flag string
		fn         cobra.CompletionFunc
	}{
		{"host check", "only", completeHostCheckIDs},
		{"user add", "host", completeKeyNamesAnywhere},
		{"secret generate", "kind", completeGeneratorKinds},
		{"secret set", "kind", completeGeneratorKinds},
		{"secret mv", "to", completeSecretsFiles},
	}
	for _, f := range flags {
		if c, _, err := root.Find(strings.Fields(f.path)); err == nil && c != root && c.Flags().Lookup(f.flag) != nil {
			_ = c.RegisterFlagCompletionFunc(f.flag, f.fn)
		}
	}
}

// offer completes a command's first argument with the candidates from
// finds in the repository --repo names (or the nearest one upward).
func offer(c *cobra.Command, args []string, from func(configPath string) []complete.Candidate) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	repoDir, _ := c.Flags().GetString("repo")
	p, _ := findConfig(repoDir)
	var out []cobra.Completion
	for _, cand := range from(p) {
		out = append(out, cobra.CompletionWithDesc(cand.Value, cand.Desc))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeKeyNames offers the anchor names under keys: (complete.KeyNames).
func completeKeyNames(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return offer(c, args, complete.KeyNames)
}

// completeKeyNamesAnywhere is completeKeyNames for a flag, whatever
// arguments stand before it.
func completeKeyNamesAnywhere(c *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return offer(c, nil, complete.KeyNames)
}

// completeOpenRotations offers the IDs of the open rotations.
func completeOpenRotations(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return offer(c, args, rotation.OpenCandidates)
}

// completeHostCheckIDs offers host check's IDs for --only.
func completeHostCheckIDs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, c := range complete.HostChecks() {
		out = append(out, cobra.CompletionWithDesc(c.Value, c.Desc))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeSecretsFiles offers the files rekey works on (as the
// working directory sees them), less those already given.
func completeSecretsFiles(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	repoDir, _ := c.Flags().GetString("repo")
	p, _ := findConfig(repoDir)
	files, ok := complete.SecretsFiles(p, args, func(p string) string { s, _ := relToWD(p); return s })
	if !ok {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return files, cobra.ShellCompDirectiveNoFileComp
}
