package sopsconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the name sops looks for.
const FileName = ".sops.yaml"

// maxDepth is how many directories sops's config lookup tries.
const maxDepth = 100

// Match returns the index in c.Rules of the creation rule sops 3.13.3
// applies to relPath: the path relative to the config's folder, with '/'
// separators (sops matches whatever is left after trimming the config
// folder, so a path outside it stays absolute).
//
// Rules are tried in order; a rule without path_regex (or with an empty
// one) matches everything; otherwise the first rule whose path_regex
// matches somewhere in relPath (unanchored) wins. A path_regex that does
// not compile stops the search with an *Error at its line, but only when
// the search reaches it, as in sops. No match gives -1 and ErrNoMatch; a
// config without creation_rules gives -1 and ErrNoCreationRules. Match is
// safe for concurrent use; it uses the regular expressions Parse compiled,
// so a Config whose Rules are changed afterwards must be parsed again.
func (c *Config) Match(relPath string) (int, error) {
	if !c.HasCreationRules {
		return -1, ErrNoCreationRules
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.PathRegex == "" {
			return i, nil
		}
		if r.RegexError != "" {
			return -1, newError(c.Path, r.PathRegexPos.Line,
				"creation rule %d: path_regex %q does not compile: %s; sops cannot choose a rule for %s; fix the regular expression (Go RE2 syntax)",
				i+1, r.PathRegex, r.RegexError, relPath)
		}
		if i < len(c.regexes) && c.regexes[i] != nil && c.regexes[i].MatchString(relPath) {
			return i, nil
		}
	}
	return -1, ErrNoMatch
}

// RuleFor is what sops's LoadCreationRuleForFile does with relPath: the
// matching rule (see Match), and the first of the rule's Errors if it has
// any (sops fails on them once the rule is chosen). Recipient syntax is
// not checked.
func (c *Config) RuleFor(relPath string) (*Rule, error) {
	i, err := c.Match(relPath)
	if err != nil {
		return nil, err
	}
	r := &c.Rules[i]
	if len(r.Errors) > 0 {
		return r, r.Errors[0]
	}
	return r, nil
}

// FindUp returns the path of the nearest .sops.yaml in start (a
// directory) or its parents, trying at most 100 directories as sops does.
// Like sops, it ignores .sops.yml (the error mentions one if it saw it)
// and takes the first .sops.yaml that exists, whatever it is.
func FindUp(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s: %w", start, err)
	}
	first := dir
	ignored := ""
	for range maxDepth {
		p := filepath.Join(dir, FileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if alt := filepath.Join(dir, ".sops.yml"); ignored == "" {
			if _, err := os.Stat(alt); err == nil {
				ignored = alt
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	msg := fmt.Sprintf("no .sops.yaml found in %s or any parent", first)
	if ignored != "" {
		msg += fmt.Sprintf(" (%s is ignored by sops: rename it to .sops.yaml)", ignored)
	}
	return "", errors.New(msg + "; hint: pass --repo DIR or run 'keycycle demo'")
}

// AnchorByName returns the scalar anchor under `keys:` with that name
// (without '&'). When a name is defined twice, the last definition wins,
// as it does for the aliases that follow it.
func (c *Config) AnchorByName(name string) (Anchor, bool) {
	for i := len(c.Anchors) - 1; i >= 0; i-- {
		if c.Anchors[i].Name == name {
			return c.Anchors[i], true
		}
	}
	return Anchor{}, false
}

// NamesByValue maps each anchored key value to its anchor's name (the
// first anchor, when several define one value), for messages that name
// keys; a nil config gives an empty map.
func (c *Config) NamesByValue() map[string]string {
	n := map[string]string{}
	if c == nil {
		return n
	}
	for _, a := range c.Anchors {
		if _, ok := n[a.Value]; !ok {
			n[a.Value] = a.Name
		}
	}
	return n
}

// AnchorByValue returns the first scalar anchor under `keys:` whose value
// is value (compared after trimming white space, as Anchor.Value is).
func (c *Config) AnchorByValue(value string) (Anchor, bool) {
	value = strings.TrimSpace(value)
	for _, a := range c.Anchors {
		if a.Value == value {
			return a, true
		}
	}
	return Anchor{}, false
}

// Recipients lists every distinct age recipient that some rule's key
// groups refer to (the groups sops would use: flat fields are left out
// when key_groups is set), in order of first appearance. Empty values
// (from "a,,b") are left out.
func (c *Config) Recipients() []string {
	seen := map[string]bool{}
	out := []string{}
	for _, r := range c.Rules {
		for _, g := range r.KeyGroups {
			for _, k := range g.Keys {
				if k.Type == KeyAge && k.Value != "" && !seen[k.Value] {
					seen[k.Value] = true
					out = append(out, k.Value)
				}
			}
		}
	}
	return out
}

// InEveryRule reports whether the key value is listed by every creation
// rule that has keys, when there are at least two: an admin's key, which
// opens every file (a host's key is in its own rule and the shared ones).
func (c *Config) InEveryRule(value string) bool {
	n := 0
	for _, r := range c.Rules {
		if len(r.KeyGroups) == 0 {
			continue
		}
		n++
		found := false
		for _, g := range r.KeyGroups {
			for _, k := range g.Keys {
				found = found || k.Value == value
			}
		}
		if !found {
			return false
		}
	}
	return n >= 2
}
