package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/deploy"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// deployFlags bring a host command's change to the hosts whose files it
// changed: the deploy command (--deploy, else keycycle.yaml's deploy:)
// for each, several at a time.
type deployFlags struct {
	command     string
	noDeploy    bool
	maxParallel int
}

func (d *deployFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&d.command, "deploy", "", "deploy command run for every host whose files changed ({host}, {ssh}); default keycycle.yaml's deploy:")
	f.BoolVar(&d.noDeploy, "no-deploy", false, "do not run the deploy command")
	f.IntVar(&d.maxParallel, "max-parallel", 4, "with a deploy command: how many hosts deploy at once")
}

// deployAfter runs the deploy for the hosts whose files the applied
// change req altered (with --dry-run: says which it would); without a
// deploy command it names the hosts to deploy. A host that fails does
// not stop the others; the result is an error when one failed.
func deployAfter(ctx context.Context, out io.Writer, m *mutateFlags, d *deployFlags, req change.Request) error {
	if d.noDeploy {
		return nil
	}
	if d.maxParallel < 1 {
		return errorf("pass --max-parallel 1 or more", "--max-parallel %d: at least one host must deploy at a time", d.maxParallel)
	}
	root := filepath.Dir(req.ConfigPath)
	pol, err := policy.Load(root)
	if err != nil {
		return err
	}
	hosts, err := hostsToDeploy(req, pol)
	if err != nil || len(hosts) == 0 {
		return err
	}
	command := d.command
	if command == "" && pol.Config != nil {
		command = pol.Config.Deploy.Command
	}
	w := out
	if m.format == "json" {
		w = m.stderr
	}
	switch {
	case command == "":
		fmt.Fprintf(w, "deploy these hosts so that they get the changed files: %s\n"+
			"(with a deploy: command in keycycle.yaml, or --deploy CMD, keycycle runs it for each)\n", strings.Join(hosts, ", "))
		return nil
	case m.dryRun:
		fmt.Fprintf(w, "would deploy %s: %s\n", strings.Join(hosts, ", "), command)
		return nil
	}
	var targets []deploy.Target
	for _, h := range hosts {
		t := deploy.Target{Host: h, SSH: h}
		if pol.Config != nil {
			if ph := pol.Config.Host(h); ph != nil && ph.SSH != "" {
				t.SSH = ph.SSH
			}
		}
		targets = append(targets, t)
	}
	results := deploy.RunAll(ctx, root, command, targets, d.maxParallel, m.stderr)
	var failed []string
	for _, r := range results {
		if r.OK {
			fmt.Fprintf(w, "deployed %s\n", r.Host)
		} else {
			fmt.Fprintf(w, "deploy failed on %s: %s\n", r.Host, r.Error)
			failed = append(failed, r.Host)
		}
	}
	fmt.Fprintf(w, "deploy: %d host(s), %d ok, %d failed\n", len(results), len(results)-len(failed), len(failed))
	if len(failed) > 0 {
		return &userError{code: ExitFindings, msg: fmt.Sprintf("the change is written, but deploying %s failed", strings.Join(failed, ", ")),
			hint: "fix the cause and deploy those hosts again (their output is above)"}
	}
	return nil
}

// hostsToDeploy returns the hosts that read, under the new config, a
// file whose wanted recipients the change alters (or a file it creates).
func hostsToDeploy(req change.Request, pol *policy.Policy) ([]string, error) {
	oldCfg, err := sopsconfig.Parse(req.ConfigPath, req.OldConfig)
	if err != nil {
		return nil, err
	}
	newCfg, err := sopsconfig.Parse(req.ConfigPath, req.NewConfig)
	if err != nil {
		return nil, err
	}
	rels, err := repo.SecretsFiles(req.ConfigPath, newCfg, req.Exclude)
	if err != nil {
		return nil, err
	}
	for _, f := range req.Create {
		if !slices.Contains(rels, f.Rel) {
			rels = append(rels, f.Rel)
		}
	}
	isHost := hostAnchors(newCfg, pol)
	seen := map[string]bool{}
	var out []string
	for _, rel := range rels {
		if slices.Contains(req.Delete, rel) {
			continue
		}
		after := ruleKeys(newCfg, rel)
		if slices.Equal(ruleKeys(oldCfg, rel), after) && !slices.ContainsFunc(req.Create, func(f change.NewFile) bool { return f.Rel == rel }) {
			continue
		}
		for _, a := range ruleAliases(newCfg, rel) {
			if h, ok := isHost[a]; ok && !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// hostAnchors maps the anchors of host keys to their host: the hosts
// .sops.yaml's layout shows, and keycycle.yaml's hosts with their keys.
func hostAnchors(cfg *sopsconfig.Config, pol *policy.Policy) map[string]string {
	out := map[string]string{}
	for _, h := range (sopsconfig.Layout{Config: cfg, Dir: "sops"}).Hosts() {
		out[h] = h
	}
	if pol != nil && pol.Config != nil {
		for _, h := range pol.Config.Hosts {
			for _, k := range h.KeyNames() {
				out[k] = h.Name
			}
		}
	}
	return out
}

// ruleKeys is the sorted set of key values the rule for rel wants (nil
// when no rule matches).
func ruleKeys(cfg *sopsconfig.Config, rel string) []string {
	i, err := cfg.Match(rel)
	if err != nil {
		return nil
	}
	var out []string
	for _, g := range cfg.Rules[i].KeyGroups {
		for _, k := range g.Keys {
			out = append(out, string(k.Type)+":"+k.Value)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// ruleAliases are the anchor names the rule for rel lists.
func ruleAliases(cfg *sopsconfig.Config, rel string) []string {
	i, err := cfg.Match(rel)
	if err != nil {
		return nil
	}
	var out []string
	for _, g := range cfg.Rules[i].KeyGroups {
		for _, k := range g.Keys {
			if k.Alias != "" {
				out = append(out, k.Alias)
			}
		}
	}
	return out
}
