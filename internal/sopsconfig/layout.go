package sopsconfig

import (
	"regexp"
	"slices"
	"strings"

	"github.com/keycycle/keycycle/internal/textutil"
)

// Layout is what keycycle infers of a nix-secrets repository's shape
// from its .sops.yaml: which anchors are hosts, where per-host files
// live, which rules are shared, who the admins are.
type Layout struct {
	Config *Config
	// Dir is the folder of the secrets files, e.g. "sops".
	Dir string
}

// validHost is a hostname label (RFC 1123), as NixOS accepts it.
var validHost = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// validUser is a user or anchor name: letters, digits, '-', '_'.
var validUser = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// CheckHostName refuses a name that is not a hostname label.
func CheckHostName(name string) error {
	if !validHost.MatchString(name) {
		return textutil.Hintf("use a hostname: letters, digits and '-', at most 63 characters, no '/' or '.'",
			"%q is not a valid host name", name)
	}
	return nil
}

// CheckUserName refuses a name that is not a user or anchor name.
func CheckUserName(name string) error {
	if !validUser.MatchString(name) {
		return textutil.Hintf("use letters, digits, '-' and '_', at most 63 characters",
			"%q is not a valid user name", name)
	}
	return nil
}

// HostFile is the per-host secrets file of name.
func (l Layout) HostFile(name string) string { return l.Dir + "/" + name + ".yaml" }

// IsHostGroup tells whether an anchor group holds host keys.
func IsHostGroup(group []string) bool {
	if len(group) == 0 {
		return false
	}
	g := strings.ToLower(strings.TrimSuffix(group[0], ":"))
	return strings.Contains(g, "host") || strings.Contains(g, "server") || strings.Contains(g, "machine")
}

// Lists tells whether one of r's key groups lists the key *anchor.
func (r Rule) Lists(anchor string) bool {
	for _, g := range r.KeyGroups {
		for _, k := range g.Keys {
			if k.Alias == anchor {
				return true
			}
		}
	}
	return false
}

// Hosts returns the names of host anchors: in a hosts group, or with a
// per-host rule of their own.
func (l Layout) Hosts() []string {
	var out []string
	for _, a := range l.Config.Anchors {
		if IsHostGroup(a.Group) || l.PerHostRule(a.Name) >= 0 {
			out = append(out, a.Name)
		}
	}
	return out
}

// PerHostRule returns the rule that governs name's own file and lists
// the key &name, or -1.
func (l Layout) PerHostRule(name string) int {
	i, err := l.Config.Match(l.HostFile(name))
	if err != nil || !l.Config.Rules[i].HasPathRegex || !strings.Contains(l.Config.Rules[i].PathRegex, name) {
		return -1
	}
	if !l.Config.Rules[i].Lists(name) {
		return -1
	}
	return i
}

// SharedRules returns the rules every host reads from: the rule that
// governs DIR/shared.yaml, and any other rule that lists every host (when
// there are at least two).
func (l Layout) SharedRules() []int {
	var out []int
	if i, err := l.Config.Match(l.Dir + "/shared.yaml"); err == nil && l.Config.Rules[i].HasPathRegex {
		out = append(out, i)
	}
	hosts := l.Hosts()
	if len(hosts) < 2 {
		return out
	}
	for i, r := range l.Config.Rules {
		all := true
		for _, h := range hosts {
			all = all && r.Lists(h)
		}
		if all && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// Admins returns the anchors every per-host rule lists besides its host
// and that host's own user keys: the people who read every host's file.
func (l Layout) Admins() []string {
	hosts := l.Hosts()
	isHost := map[string]bool{}
	for _, h := range hosts {
		isHost[h] = true
	}
	var common map[string]bool
	for _, h := range hosts {
		i := l.PerHostRule(h)
		if i < 0 {
			continue
		}
		these := map[string]bool{}
		for _, k := range l.Config.Rules[i].KeyGroups[0].Keys {
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
	for _, a := range l.Config.Anchors { // anchor order, for a stable rule
		if common[a.Name] {
			out = append(out, a.Name)
		}
	}
	return out
}

// UserKeysOf returns the anchors of host's user keys (&USER_host).
func (l Layout) UserKeysOf(host string) []string {
	var out []string
	for _, a := range l.Config.Anchors {
		if strings.HasSuffix(a.Name, "_"+host) && !IsHostGroup(a.Group) {
			out = append(out, a.Name)
		}
	}
	return out
}

// CheckFree refuses a name or a recipient already registered: one key,
// one name.
func (cfg *Config) CheckFree(name, recipient string) error {
	if a, ok := cfg.AnchorByName(name); ok {
		return textutil.Hintf("pick another name; a reinstalled host with a new key: 'keycycle host set-key "+name+" …'",
			"&%s already exists in .sops.yaml (line %d)", name, a.Pos.Line)
	}
	if a, ok := cfg.AnchorByValue(recipient); ok {
		return textutil.Hintf("one key, one name: remove &"+a.Name+" first if the key moved",
			"that key is already registered as &%s (line %d)", a.Name, a.Pos.Line)
	}
	return nil
}
