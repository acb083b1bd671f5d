package cli

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/sopsconfig"
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

// completionConfig reads the .sops.yaml the command would work on.
func completionConfig(c *cobra.Command) (string, *sopsconfig.Config, bool) {
	repoDir, _ := c.Flags().GetString("repo")
	p, err := findConfig(repoDir)
	if err != nil {
		return "", nil, false
	}
	cfg, err := sopsconfig.Load(p)
	if err != nil {
		return "", nil, false
	}
	return p, cfg, true
}

// completeKeyNames offers the anchor names under keys:, each described
// by its group and shortened recipient.
func completeKeyNames(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const none = cobra.ShellCompDirectiveNoFileComp
	if len(args) > 0 {
		return nil, none
	}
	_, cfg, ok := completionConfig(c)
	if !ok {
		return nil, none
	}
	var out []cobra.Completion
	for _, a := range cfg.Anchors {
		desc := agekey.Abbrev(a.Value)
		if len(a.Group) > 0 {
			desc = strings.Join(a.Group, "/") + ": " + desc
		}
		out = append(out, cobra.CompletionWithDesc(a.Name, desc))
	}
	return out, none
}

// completeKeyNamesAnywhere is completeKeyNames for a flag, whatever
// arguments stand before it.
func completeKeyNamesAnywhere(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return completeKeyNames(c, nil, toComplete)
}

// completeOpenRotations offers the IDs of the open rotations.
func completeOpenRotations(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const none = cobra.ShellCompDirectiveNoFileComp
	if len(args) > 0 {
		return nil, none
	}
	p, _, ok := completionConfig(c)
	if !ok {
		return nil, none
	}
	list, err := rotation.Store{Root: filepath.Dir(p)}.List()
	if err != nil {
		return nil, none
	}
	var out []cobra.Completion
	for _, j := range list {
		if j.State.Open() {
			out = append(out, cobra.CompletionWithDesc(j.ID, "&"+j.Key+" "+string(j.State)))
		}
	}
	return out, none
}

// completeSecretsFiles offers the files rekey works on (as the
// working directory sees them), less those already given.
func completeSecretsFiles(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const none = cobra.ShellCompDirectiveNoFileComp
	p, cfg, ok := completionConfig(c)
	if !ok {
		return nil, cobra.ShellCompDirectiveDefault
	}
	files, err := repo.SecretsFiles(p, cfg, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveDefault
	}
	var out []cobra.Completion
	for _, f := range files {
		shown, _ := relToWD(filepath.Join(filepath.Dir(p), filepath.FromSlash(f)))
		if !slices.Contains(args, shown) {
			out = append(out, shown)
		}
	}
	return out, none
}

// completeHostCheckIDs offers host check's IDs for --only.
func completeHostCheckIDs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, c := range hostcheck.Checks() {
		out = append(out, cobra.CompletionWithDesc(c.ID, c.Name))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
