package inventory

import (
	"path"
	"regexp"
	"strings"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// hints is what guessKind learns from the repository as a whole.
type hints struct {
	// hostNames holds every path element of every secrets file, without
	// extension: sops/NAME.yaml and hosts/NAME/secrets.yaml name hosts.
	hostNames map[string]bool
	// regexes are the rules' path_regex values.
	regexes []string
	// cfg is .sops.yaml (nil when it does not parse): a key every rule
	// lists is an admin's.
	cfg *sopsconfig.Config
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

// guessKind guesses a key's role with the rules keys.yaml uses
// (policy.GuessKind): the innermost group that names one, else its name
// (admin, backup; a host file or rule path named after it; user_host
// style names are user keys).
func (h *hints) guessKind(name string, group []string, value string) Kind {
	n := strings.ToLower(strings.TrimRight(name, ":"))
	hosts := map[string]bool{n: n != "" && (h.hostNames[n] || h.inRegex(n))}
	if i := strings.LastIndex(n, "_"); i >= 0 {
		o := n[i+1:]
		hosts[o] = h.hostNames[o] || h.inRegex(o)
	}
	every := h.cfg != nil && h.cfg.InEveryRule(value)
	return Kind(policy.ClassifyKey(n, group, hosts, every))
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
