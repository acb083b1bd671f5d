package inventory

import (
	"sort"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// keySet collects distinct keys in first-seen order.
type keySet struct {
	keys  []*Key
	index map[string]int // identity → index in keys
	h     *hints
}

// add returns the index of the key (typ, value), adding it when new.
func (s *keySet) add(typ, value string, mk func() *Key) int {
	id := identity(typ, value)
	if i, ok := s.index[id]; ok {
		return i
	}
	k := mk()
	k.Type = typ
	k.Recipient = displayValue(typ, value)
	k.KeyType = keyType(typ, k.Recipient)
	if k.Kind == "" {
		k.Kind = s.h.guessKind(k.Name, k.Group, value)
	}
	s.index[id] = len(s.keys)
	s.keys = append(s.keys, k)
	return len(s.keys) - 1
}

// lookup returns the index of the key (typ, value), or -1.
func (s *keySet) lookup(typ, value string) int {
	if i, ok := s.index[identity(typ, value)]; ok {
		return i
	}
	return -1
}

// configKeys adds the keys .sops.yaml lists: anchors under keys: and the
// unanchored values of anchored groups in document order, then keys
// written inline in rules.
func (s *keySet) configKeys(cfg *sopsconfig.Config) {
	types := refTypes(cfg)
	used := map[string]bool{}
	for _, rule := range cfg.Rules {
		for _, g := range rule.KeyGroups {
			for _, k := range g.Keys {
				used[identity(string(k.Type), k.Value)] = true
			}
		}
	}
	status := func(typ, v string) KeyStatus {
		if used[identity(typ, v)] {
			return KeyActive
		}
		return KeyOrphan
	}
	for _, a := range listed(cfg) {
		typ := types[a.Name]
		if typ == "" {
			typ = guessType(a.Value)
		}
		if i := s.lookup(typ, a.Value); i >= 0 {
			if a.Name != "" {
				s.keys[i].Aliases = append(s.keys[i].Aliases, a.Name)
			}
			continue
		}
		s.add(typ, a.Value, func() *Key {
			return &Key{Name: a.Name, Group: a.Group, Line: a.Pos.Line, Status: status(typ, a.Value)}
		})
	}
	s.inlineKeys(cfg)
}

// inlineKeys adds keys written in rules that keys: does not list.
func (s *keySet) inlineKeys(cfg *sopsconfig.Config) {
	for _, rule := range cfg.Rules {
		for _, g := range rule.KeyGroups {
			for _, k := range g.Keys {
				s.add(string(k.Type), k.Value, func() *Key {
					return &Key{Name: k.Alias, Line: k.Pos.Line, Status: KeyInline}
				})
			}
		}
	}
}

// refTypes maps anchor names to the key type the rules use them as.
func refTypes(cfg *sopsconfig.Config) map[string]string {
	out := map[string]string{}
	for _, rule := range cfg.Rules {
		for _, g := range rule.KeyGroups {
			for _, k := range g.Keys {
				if k.Alias != "" {
					out[k.Alias] = string(k.Type)
				}
			}
		}
	}
	return out
}

// listed returns the scalar anchors under keys: and, as anchors without
// a name, the values of anchored groups that have no anchor of their
// own, sorted by line.
func listed(cfg *sopsconfig.Config) []sopsconfig.Anchor {
	out := append([]sopsconfig.Anchor(nil), cfg.Anchors...)
	named := map[string]bool{}
	for _, a := range cfg.Anchors {
		named[a.Value] = true
	}
	for _, g := range cfg.Groups {
		for _, v := range g.Values {
			if !named[v] {
				named[v] = true
				grp := append(append([]string(nil), g.Group...), g.Name)
				out = append(out, sopsconfig.Anchor{Value: v, Group: grp, Pos: g.Pos})
			}
		}
	}
	sortAnchors(out)
	return out
}

// sortAnchors orders anchors by line, stably.
func sortAnchors(a []sopsconfig.Anchor) {
	sort.SliceStable(a, func(i, j int) bool { return a[i].Pos.Line < a[j].Pos.Line })
}

// entryKeys adds the keys rules want that .sops.yaml did not show (the
// sops library resolved them differently), then the recipients found
// only in files' metadata.
func (s *keySet) entryKeys(entries []*repo.Entry) {
	for _, e := range entries {
		if e.Wanted == nil {
			continue
		}
		for _, g := range e.Wanted.Groups {
			for _, mk := range g {
				s.add(mk.Type, mk.ID, func() *Key { return &Key{Status: KeyInline} })
			}
		}
	}
	for _, e := range entries {
		if e.File == nil {
			continue
		}
		for _, g := range e.File.Meta.Groups {
			for _, mk := range g {
				s.add(mk.Type, mk.ID, func() *Key { return &Key{Status: KeyUnlisted, Kind: KindUnknown} })
			}
		}
	}
}
