package cli

import (
	"regexp"
	"strings"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// layout is what keycycle infers of a nix-secrets repository's shape from
// its .sops.yaml: which anchors are hosts, where per-host files live,
// which rules are shared, who the admins are.
type layout struct {
	cfg *sopsconfig.Config
	dir string // folder of the secrets files, e.g. "sops"
}

// validName is a hostname label (RFC 1123), as NixOS accepts it.
var validName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// validUser is a user or anchor name: letters, digits, '-', '_'.
var validUser = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

func checkHostName(name string) error {
	if !validName.MatchString(name) {
		return errorf("use a hostname: letters, digits and '-', at most 63 characters, no '/' or '.'",
			"%q is not a valid host name", name)
	}
	return nil
}

func checkUserName(name string) error {
	if !validUser.MatchString(name) {
		return errorf("use letters, digits, '-' and '_', at most 63 characters",
			"%q is not a valid user name", name)
	}
	return nil
}

// hostFile is the per-host secrets file of name.
func (l layout) hostFile(name string) string { return l.dir + "/" + name + ".yaml" }

// isHostGroup tells whether an anchor group holds host keys.
func isHostGroup(group []string) bool {
	if len(group) == 0 {
		return false
	}
	g := strings.ToLower(strings.TrimSuffix(group[0], ":"))
	return strings.Contains(g, "host") || strings.Contains(g, "server") || strings.Contains(g, "machine")
}

// hosts returns the names of host anchors: in a hosts group, or with a
// per-host rule of their own.
func (l layout) hosts() []string {
	var out []string
	for _, a := range l.cfg.Anchors {
		if isHostGroup(a.Group) || l.perHostRule(a.Name) >= 0 {
			out = append(out, a.Name)
		}
	}
	return out
}

// perHostRule returns the rule that governs name's own file and lists
// the key &name, or -1.
func (l layout) perHostRule(name string) int {
	i, err := l.cfg.Match(l.hostFile(name))
	if err != nil || !l.cfg.Rules[i].HasPathRegex || !strings.Contains(l.cfg.Rules[i].PathRegex, name) {
		return -1
	}
	if !ruleHas(l.cfg.Rules[i], name) {
		return -1
	}
	return i
}

func ruleHas(r sopsconfig.Rule, anchor string) bool {
	for _, g := range r.KeyGroups {
		for _, k := range g.Keys {
			if k.Alias == anchor {
				return true
			}
		}
	}
	return false
}

// sharedRules returns the rules every host reads from: the rule that
// governs DIR/shared.yaml, and any other rule that lists every host (when
// there are at least two).
func (l layout) sharedRules() []int {
	var out []int
	if i, err := l.cfg.Match(l.dir + "/shared.yaml"); err == nil && l.cfg.Rules[i].HasPathRegex {
		out = append(out, i)
	}
	hosts := l.hosts()
	if len(hosts) < 2 {
		return out
	}
	for i, r := range l.cfg.Rules {
		all := true
		for _, h := range hosts {
			all = all && ruleHas(r, h)
		}
		if all && !containsInt(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// admins returns the anchors every per-host rule lists besides its host
// and that host's own user keys: the people who read every host's file.
func (l layout) admins() []string {
	hosts := l.hosts()
	isHost := map[string]bool{}
	for _, h := range hosts {
		isHost[h] = true
	}
	var common map[string]bool
	for _, h := range hosts {
		i := l.perHostRule(h)
		if i < 0 {
			continue
		}
		these := map[string]bool{}
		for _, k := range l.cfg.Rules[i].KeyGroups[0].Keys {
			if k.Alias != "" && !isHost[k.Alias] && !strings.HasSuffix(k.Alias, "_"+h) {
				these[k.Alias] = true
			}
		}
		if common == nil {
			common = these
			continue
		}
		for a := range common {
			if !these[a] {
				delete(common, a)
			}
		}
	}
	var out []string
	for _, a := range l.cfg.Anchors { // anchor order, for a stable rule
		if common[a.Name] {
			out = append(out, a.Name)
		}
	}
	return out
}

// userKeysOf returns the anchors of host's user keys (&USER_host).
func (l layout) userKeysOf(host string) []string {
	var out []string
	for _, a := range l.cfg.Anchors {
		if strings.HasSuffix(a.Name, "_"+host) && !isHostGroup(a.Group) {
			out = append(out, a.Name)
		}
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
