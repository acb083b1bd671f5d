package check

import (
	"sort"
	"strings"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// reaches returns the first of recips that can decrypt the file now or
// that its rule wants.
func reaches(e *repo.Entry, recips []string) (string, bool) {
	all := set(e.File.Meta.Recipients())
	if e.Wanted != nil {
		for _, r := range e.Wanted.Recipients() {
			all[r] = true
		}
	}
	for _, r := range recips {
		if all[r] {
			return r, true
		}
	}
	return "", false
}

// ruleKeyPos is where the file's rule brings in recipient k.
func (c *checker) ruleKeyPos(e *repo.Entry, k string) (sopsconfig.Pos, bool) {
	if e.Rule < 0 || c.r.Config == nil || e.Rule >= len(c.r.Config.Rules) {
		return sopsconfig.Pos{}, false
	}
	for _, g := range c.r.Config.Rules[e.Rule].KeyGroups {
		for _, ref := range g.Keys {
			if ref.Value == k && ref.Pos.Line > 0 {
				return ref.Pos, true
			}
		}
	}
	return sopsconfig.Pos{}, false
}

// hasSecret reports whether the file holds path, as a leaf or a subtree.
func hasSecret(f *repo.File, path string) bool { return f.HasSecret(path) }

func requirementList(reqs []policy.Requirement) string {
	var names []string
	for _, r := range reqs {
		names = append(names, r.Path)
	}
	if len(names) > 3 {
		names = append(names[:3], "…")
	}
	return strings.Join(names, ", ")
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func anyIn(xs []string, m map[string]bool) bool {
	for _, x := range xs {
		if m[x] {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
