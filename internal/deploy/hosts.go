package deploy

import (
	"slices"
	"sort"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// TargetsOf are the deploy targets of hosts: each reached at keycycle.yaml's
// ssh: target when it names one, else at its name.
func TargetsOf(hosts []string, pol *policy.Policy) []Target {
	var targets []Target
	for _, h := range hosts {
		t := Target{Host: h, SSH: h}
		if pol != nil && pol.Config != nil {
			if ph := pol.Config.Host(h); ph != nil && ph.SSH != "" {
				t.SSH = ph.SSH
			}
		}
		targets = append(targets, t)
	}
	return targets
}

// Change is what the deploy step needs of a change (a change.Request):
// the config before and after, and the files it creates and deletes.
// It is its own type so that deploy, which never opens a secrets file,
// does not link the sops library.
type Change struct {
	// ConfigPath is the repository's .sops.yaml; OldConfig and NewConfig
	// its bytes before and after the change.
	ConfigPath           string
	OldConfig, NewConfig []byte
	// Create and Delete are the files (relative, slash-separated) the
	// change creates and deletes; Exclude the globs it leaves alone.
	Create, Delete, Exclude []string
}

// HostsFor returns the hosts that read, under the new config, a
// file whose wanted recipients the change alters (or a file it creates).
func HostsFor(req Change, pol *policy.Policy) ([]string, error) {
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
	for _, rel := range req.Create {
		if !slices.Contains(rels, rel) {
			rels = append(rels, rel)
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
		if slices.Equal(ruleKeys(oldCfg, rel), after) && !slices.Contains(req.Create, rel) {
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
