package inventory

import (
	"path"
	"regexp"
	"strings"
)

// hints is what guessKind learns from the repository as a whole.
type hints struct {
	// hostNames holds every path element of every secrets file, without
	// extension: sops/NAME.yaml and hosts/NAME/secrets.yaml name hosts.
	hostNames map[string]bool
	// regexes are the rules' path_regex values.
	regexes []string
}

// addPath records the elements of a secrets file's path.
func (h *hints) addPath(rel string) {
	for _, el := range strings.Split(rel, "/") {
		el = strings.TrimSuffix(el, path.Ext(el))
		if el != "" {
			h.hostNames[strings.ToLower(el)] = true
		}
	}
}

// groupKind classifies a group name under keys:.
func groupKind(g string) Kind {
	g = strings.ToLower(strings.TrimRight(g, ":"))
	switch {
	case strings.Contains(g, "admin"):
		return KindAdmin
	case strings.Contains(g, "backup") || strings.Contains(g, "recovery"):
		return KindBackup
	case containsAny(g, "host", "server", "machine", "node", "system"):
		return KindHost
	case containsAny(g, "user", "people", "person", "member", "human"):
		return KindUser
	}
	return KindUnknown
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// guessKind guesses a key's role: from the innermost group that names
// one, else from its name (admin, backup; a host file or rule path
// named after it; user_host style names are user keys).
func (h *hints) guessKind(name string, group []string) Kind {
	for i := len(group) - 1; i >= 0; i-- {
		if k := groupKind(group[i]); k != KindUnknown {
			return k
		}
	}
	n := strings.ToLower(strings.TrimRight(name, ":"))
	switch {
	case n == "":
		return KindUnknown
	case strings.Contains(n, "admin"):
		return KindAdmin
	case strings.Contains(n, "backup") || strings.Contains(n, "recovery"):
		return KindBackup
	case h.hostNames[n] || h.inRegex(n):
		return KindHost
	case strings.Contains(n, "_") || strings.HasPrefix(n, "user"):
		return KindUser
	}
	return KindUnknown
}

// inRegex reports whether a rule's path_regex names n as a whole word.
func (h *hints) inRegex(n string) bool {
	re, err := regexp.Compile(`(?i)(^|[^a-z0-9_-])` + regexp.QuoteMeta(n) + `($|[^a-z0-9_-])`)
	if err != nil {
		return false
	}
	for _, r := range h.regexes {
		if re.MatchString(r) {
			return true
		}
	}
	return false
}
