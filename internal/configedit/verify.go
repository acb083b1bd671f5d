package configedit

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// The types below are a Config without positions: what an edit must keep
// or change. Two configs with equal snapshots mean the same to sops and
// define the same anchors.

// keySem is a key as a rule refers to it.
type keySem struct {
	Type, Value, Alias, Via string
}

// String renders the key for messages.
func (k keySem) String() string {
	if k.Alias != "" {
		return "*" + k.Alias
	}
	return k.Type + ":" + k.Value
}

// ruleSem is a creation rule without positions.
type ruleSem struct {
	PathRegex                string
	HasPathRegex, FromGroups bool
	MACOnly                  bool
	Shamir                   int
	Selectors, AwsProfile    string
	Unknown, Ignored, Errors []string
	Groups                   [][]keySem
}

// anchorSem is an anchor without its position.
type anchorSem struct {
	Name, Value, Group string
}

// groupSem is an anchored group of keys without its position.
type groupSem struct {
	Name, Group string
	OnKey       bool
	Values      []string
}

// cfgSem is a Config without positions.
type cfgSem struct {
	Anchors, Other   []anchorSem
	Groups           []groupSem
	Rules            []ruleSem
	HasCreationRules bool
	DestinationRules int
	Unknown          []string
	AliasUses        map[string]int
}

// lineNumbers matches the line numbers inside messages, which move.
var lineNumbers = regexp.MustCompile(`\bline \d+`)

// semOf takes the snapshot of c.
func semOf(c *sopsconfig.Config) cfgSem {
	s := cfgSem{HasCreationRules: c.HasCreationRules, DestinationRules: c.DestinationRules, AliasUses: map[string]int{}}
	for _, a := range c.Anchors {
		s.Anchors = append(s.Anchors, anchorSem{a.Name, a.Value, strings.Join(a.Group, "/")})
	}
	for _, a := range c.OtherAnchors {
		s.Other = append(s.Other, anchorSem{a.Name, a.Value, strings.Join(a.Group, "/")})
	}
	for _, g := range c.Groups {
		s.Groups = append(s.Groups, groupSem{g.Name, strings.Join(g.Group, "/"), g.OnKey, slices.Clone(g.Values)})
	}
	for _, f := range c.UnknownFields {
		s.Unknown = append(s.Unknown, f.Name)
	}
	for name, n := range c.AliasUses {
		if n > 0 {
			s.AliasUses[name] = n
		}
	}
	for i := range c.Rules {
		s.Rules = append(s.Rules, ruleSemOf(&c.Rules[i]))
	}
	return s
}

// ruleSemOf takes the snapshot of one rule.
func ruleSemOf(r *sopsconfig.Rule) ruleSem {
	s := ruleSem{
		PathRegex: r.PathRegex, HasPathRegex: r.HasPathRegex, FromGroups: r.FromKeyGroups,
		MACOnly: r.MACOnlyEncrypted, Shamir: r.ShamirThreshold, AwsProfile: r.AwsProfile,
		Selectors: strings.Join([]string{r.UnencryptedSuffix, r.EncryptedSuffix, r.UnencryptedRegex,
			r.EncryptedRegex, r.UnencryptedCommentRegex, r.EncryptedCommentRegex}, "\x00"),
	}
	for _, f := range r.UnknownFields {
		s.Unknown = append(s.Unknown, f.Name)
	}
	for _, f := range r.IgnoredFields {
		s.Ignored = append(s.Ignored, f.Name)
	}
	for _, err := range r.Errors {
		s.Errors = append(s.Errors, lineNumbers.ReplaceAllString(err.Msg, "line N"))
	}
	for _, g := range r.KeyGroups {
		keys := []keySem{}
		for _, k := range g.Keys {
			keys = append(keys, keySem{string(k.Type), k.Value, k.Alias, k.Via})
		}
		s.Groups = append(s.Groups, keys)
	}
	return s
}

// clone deep-copies a snapshot, so expectations can be built from it.
func (s cfgSem) clone() cfgSem {
	c := s
	c.Anchors = slices.Clone(s.Anchors)
	c.Other = slices.Clone(s.Other)
	c.Groups = nil
	for _, g := range s.Groups {
		g.Values = slices.Clone(g.Values)
		c.Groups = append(c.Groups, g)
	}
	c.Rules = nil
	for _, r := range s.Rules {
		r.Groups = slices.Clone(r.Groups)
		for i := range r.Groups {
			r.Groups[i] = slices.Clone(r.Groups[i])
		}
		c.Rules = append(c.Rules, r)
	}
	c.Unknown = slices.Clone(s.Unknown)
	c.AliasUses = maps.Clone(s.AliasUses)
	return c
}

// withoutKey removes, in every group of every rule, the keys reached
// through the anchor name, and in the rules marked in whole (those that
// alias a whole group holding the key) the age keys equal to value.
func (s *cfgSem) withoutKey(name, value string, whole []bool) {
	for i := range s.Rules {
		for j, g := range s.Rules[i].Groups {
			s.Rules[i].Groups[j] = slices.DeleteFunc(slices.Clone(g), func(k keySem) bool {
				return k.Alias == name || i < len(whole) && whole[i] && k.Type == "age" && k.Value == value
			})
		}
	}
}

// dropGained removes from got's rule groups one age key equal to value
// where a group has it once more than the same group of old, and reports
// which rules did.
func (s *cfgSem) dropGained(old cfgSem, value string) []int {
	var gained []int
	for i := range s.Rules {
		for j, keys := range s.Rules[i].Groups {
			if i >= len(old.Rules) || j >= len(old.Rules[i].Groups) {
				continue
			}
			for k, key := range keys {
				if key.Type != "age" || key.Value != value {
					continue
				}
				if without := slices.Delete(slices.Clone(keys), k, k+1); slices.Equal(without, old.Rules[i].Groups[j]) {
					s.Rules[i].Groups[j] = without
					gained = append(gained, i)
					break
				}
			}
		}
	}
	return gained
}

// withoutValue removes one occurrence of value from every group's values
// (all of them when all is true).
func (s *cfgSem) withoutValue(value string, all bool) {
	for i := range s.Groups {
		v := s.Groups[i].Values
		if all {
			s.Groups[i].Values = slices.DeleteFunc(slices.Clone(v), func(x string) bool { return x == value })
		} else if j := slices.Index(v, value); j >= 0 {
			s.Groups[i].Values = slices.Delete(slices.Clone(v), j, j+1)
		}
	}
}

// nilEmpty returns nil for an empty slice, so that comparisons do not
// tell nil and empty apart.
func nilEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// normalized returns a copy of s with every empty slice nil.
func (s cfgSem) normalized() cfgSem {
	c := s.clone()
	c.Anchors, c.Other, c.Unknown = nilEmpty(c.Anchors), nilEmpty(c.Other), nilEmpty(c.Unknown)
	c.Groups = nilEmpty(c.Groups)
	for i := range c.Groups {
		c.Groups[i].Values = nilEmpty(c.Groups[i].Values)
	}
	c.Rules = nilEmpty(c.Rules)
	for i := range c.Rules {
		r := &c.Rules[i]
		r.Unknown, r.Ignored, r.Errors = nilEmpty(r.Unknown), nilEmpty(r.Ignored), nilEmpty(r.Errors)
		r.Groups = nilEmpty(r.Groups)
		for j := range r.Groups {
			r.Groups[j] = nilEmpty(r.Groups[j])
		}
	}
	return c
}

// diffSem says how got differs from want ("" when equal), in words that
// finish "the result would …".
func diffSem(want, got cfgSem) string {
	want, got = want.normalized(), got.normalized()
	switch {
	case !reflect.DeepEqual(want.Anchors, got.Anchors):
		return fmt.Sprintf("define the keys %s instead of %s", anchorList(got.Anchors), anchorList(want.Anchors))
	case !reflect.DeepEqual(want.Other, got.Other):
		return "change the anchors defined outside keys:"
	case !reflect.DeepEqual(want.Groups, got.Groups):
		return "change the groups of keys under keys:"
	case len(want.Rules) != len(got.Rules):
		return fmt.Sprintf("have %d creation rules instead of %d", len(got.Rules), len(want.Rules))
	}
	for i := range want.Rules {
		w, g := want.Rules[i], got.Rules[i]
		if reflect.DeepEqual(w, g) {
			continue
		}
		if !reflect.DeepEqual(w.Groups, g.Groups) {
			return fmt.Sprintf("give creation rule %d the key groups %v instead of %v", i+1, g.Groups, w.Groups)
		}
		return fmt.Sprintf("change creation rule %d", i+1)
	}
	switch {
	case want.HasCreationRules != got.HasCreationRules || want.DestinationRules != got.DestinationRules ||
		!slices.Equal(want.Unknown, got.Unknown):
		return "change the top level of the file"
	case !reflect.DeepEqual(want.AliasUses, got.AliasUses):
		return "change which aliases the file uses"
	}
	return ""
}

// anchorList renders anchors for messages.
func anchorList(as []anchorSem) string {
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = "&" + a.Name
	}
	return "[" + strings.Join(names, " ") + "]"
}

// checkSem returns a commit check that compares the new config's
// snapshot with want.
func checkSem(want cfgSem) func(*sopsconfig.Config) error {
	return func(next *sopsconfig.Config) error {
		if d := diffSem(want, semOf(next)); d != "" {
			return fmt.Errorf("%s", d)
		}
		return nil
	}
}
