package check

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// ruleUsage is what the rule checks need of the files, gathered as they
// are read: how many files each rule takes, and for each rule with a
// path_regex the rule that took the first file (in path order) the regex
// matches.
type ruleUsage struct {
	taken      []int
	re         []*regexp.Regexp // nil: no path_regex, or it does not compile
	firstTaker []int            // -1 until a file is seen
}

func newRuleUsage(rules []sopsconfig.Rule) *ruleUsage {
	u := &ruleUsage{taken: make([]int, len(rules)), re: make([]*regexp.Regexp, len(rules)), firstTaker: make([]int, len(rules))}
	for i, rule := range rules {
		u.firstTaker[i] = -1
		if rule.HasPathRegex {
			u.re[i], _ = regexp.Compile(rule.PathRegex)
		}
	}
	return u
}

// note counts a file for its rule. A regex is tried only until it has
// matched once, so a rule costs a match per file only while no file has
// matched it.
func (u *ruleUsage) note(e *repo.Entry) {
	if e.Rule < 0 {
		return
	}
	u.taken[e.Rule]++
	for i, re := range u.re {
		if re != nil && u.firstTaker[i] < 0 && re.MatchString(e.Rel) {
			u.firstTaker[i] = e.Rule
		}
	}
}

// ruleUsage finds rules that no file reaches: unused (their regex matches
// no file) or shadowed (an earlier rule takes every file they match).
func (c *checker) ruleUsage() {
	rules := c.r.Config.Rules
	catchAll := -1
	for i, rule := range rules {
		n := i + 1
		if c.usage.taken[i] > 0 || rule.RegexError != "" {
			if !rule.HasPathRegex && catchAll < 0 {
				catchAll = i
			}
			continue
		}
		by := catchAll
		if by < 0 && rule.HasPathRegex {
			by = c.usage.firstTaker[i]
		}
		switch {
		case by >= 0:
			c.add(IDShadowedRule, c.cfgFile, rule.Pos.Line, rule.Pos.Column,
				fmt.Sprintf("rule %d never applies: rule %d (line %d) comes first and takes every file it matches", n, by+1, rules[by].Pos.Line),
				"move the more specific rule above the general one; sops uses the first rule that matches")
		case !rule.HasPathRegex:
			c.add(IDUnusedRule, c.cfgFile, rule.Pos.Line, rule.Pos.Column,
				fmt.Sprintf("rule %d has no path_regex, so it would match any path, but no encrypted file falls through to it", n),
				"give it a path_regex, or delete it if every file has its own rule")
		default:
			c.add(IDUnusedRule, c.cfgFile, rule.Pos.Line, rule.Pos.Column,
				fmt.Sprintf("rule %d (path_regex %q) matches no file in the repository", n, rule.PathRegex),
				"create the file it is for (sops encrypt), or delete the rule if its host is gone")
		}
		if !rule.HasPathRegex && catchAll < 0 {
			catchAll = i
		}
	}
}

// fileChecks looks at one secrets file.
func (c *checker) fileChecks(e *repo.Entry) {
	switch {
	case errors.Is(e.ReadErr, repo.ErrNoMetadata):
		if e.Rule >= 0 {
			c.add(IDPlaintextFile, e.Rel, 0, 0,
				fmt.Sprintf("rule %d matches this file but it has no sops metadata: it is stored in plaintext", e.Rule+1),
				fmt.Sprintf("encrypt it in place with 'sops encrypt -i %s', then rotate every secret it holds: the plaintext is in your history", e.Rel))
		}
		return
	case e.ReadErr != nil:
		c.add(IDUnreadableFile, e.Rel, 0, 0, textutil.OneLine(e.ReadErr.Error()),
			"restore the file from version control; 'sops' cannot open it either")
		return
	}
	f := e.File
	if !f.Meta.HasMAC {
		c.add(IDNoMAC, e.Rel, lineOf(e.Abs, "mac"), 0, "the sops metadata has no MAC: nobody can tell whether values were changed",
			fmt.Sprintf("re-encrypt it with 'sops rotate -i %s' from a trusted copy", e.Rel))
	}
	c.plaintextValues(e)
	switch {
	case e.Rule < 0 && c.r.Config != nil:
		c.add(IDUnmatchedFile, e.Rel, 0, 0, "no creation rule matches this encrypted file",
			"add a creation rule whose path_regex matches it, or move it where a rule applies")
	case errors.Is(e.WantedErr, repo.ErrNoRule) || e.WantedErr == nil:
	default:
		c.add(IDRuleUnusable, e.Rel, 0, 0,
			fmt.Sprintf("sops cannot use rule %d for this file: %s", e.Rule+1, textutil.OneLine(e.WantedErr.Error())),
			"fix the invalid key in that rule ('keycycle check' reports it in .sops.yaml)")
	}
	c.drift(e)
}

// plaintextValues reports values the file's own selectors say must be
// encrypted but are not.
func (c *checker) plaintextValues(e *repo.Entry) {
	var data []byte // read once, and only when there is a finding
	for _, s := range e.File.Secrets {
		if s.ShouldEncrypt && !s.Encrypted {
			if data == nil {
				data, _ = os.ReadFile(e.Abs)
			}
			c.add(IDPlaintextValue, e.Rel, keyLine(data, s.Path[len(s.Path)-1]), 0,
				fmt.Sprintf("value %s is stored in plaintext", s.Name()),
				fmt.Sprintf("run 'sops edit %s' and save: sops encrypts it; then change the secret at its source", e.Rel))
		}
	}
}

// drift compares the file's recipients with its rule's the way `sops
// updatekeys` does (group by group, and the Shamir threshold it would
// set), and with every key .sops.yaml lists.
func (c *checker) drift(e *repo.Entry) {
	if c.listed == nil {
		return // .sops.yaml unreadable: nothing to compare against
	}
	have := e.File.Meta
	var wantGroups [][]repo.MasterKey
	if e.Wanted != nil {
		wantGroups = e.Wanted.Groups
		threshold := min(have.ShamirThreshold, len(wantGroups))
		if len(wantGroups) != len(have.Groups) || threshold != have.ShamirThreshold {
			c.add(IDGroupDrift, e.Rel, 0, 0,
				fmt.Sprintf("the file has %d key group(s) (threshold %d), rule %d wants %d (threshold %d)",
					len(have.Groups), have.ShamirThreshold, e.Rule+1, len(wantGroups), threshold),
				updatekeysHint(e.Rel))
		}
	}
	for i := 0; i < max(len(have.Groups), len(wantGroups)); i++ {
		ours, theirs := groupAt(have.Groups, i), groupAt(wantGroups, i)
		where := ""
		if len(have.Groups) > 1 || len(wantGroups) > 1 {
			where = fmt.Sprintf(" in key group %d", i+1)
		}
		if e.Wanted != nil {
			for _, k := range minus(theirs, ours) {
				f := c.add(IDMissingRecipient, e.Rel, 0, 0,
					fmt.Sprintf("rule %d wants %s%s, but the file is not encrypted for it: that key cannot decrypt the file", e.Rule+1, c.label(k.ID), where),
					updatekeysHint(e.Rel))
				f.Recipient, f.Anchor = k.ID, first(c.names[k.ID])
			}
		}
		for _, k := range minus(ours, theirs) {
			c.removed(e, k, where)
		}
	}
}

// removed reports a key the file has but its rule does not want.
func (c *checker) removed(e *repo.Entry, k repo.MasterKey, where string) {
	line := lineOf(e.Abs, k.ID)
	if c.listed[keyID(k.ID)] {
		if e.Wanted == nil {
			return // no rule: nothing says it should not be there
		}
		f := c.add(IDExtraRecipient, e.Rel, line, 0,
			fmt.Sprintf("the file is still encrypted for %s%s, which rule %d no longer wants", c.label(k.ID), where, e.Rule+1),
			fmt.Sprintf("run 'keycycle rekey %s': the file gets a new data key, so the dropped key opens nothing written from now on", e.Rel))
		f.Recipient, f.Anchor = k.ID, first(c.names[k.ID])
		return
	}
	f := c.add(IDUnknownRecipient, e.Rel, line, 0,
		fmt.Sprintf("the file is encrypted for %s:%s, which .sops.yaml does not list at all: that key can still decrypt it", k.Type, k.ID),
		fmt.Sprintf("run 'keycycle rekey %s': the file gets a new data key and the unknown key loses access; then change the secrets it could read", e.Rel))
	f.Recipient = k.ID
}

func groupAt(groups [][]repo.MasterKey, i int) []repo.MasterKey {
	if i < len(groups) {
		return groups[i]
	}
	return nil
}

// minus returns the keys of a that are not in b, once each.
// It runs for every file: a key group holds a few dozen keys at most, so
// it compares them in place rather than build a map per file.
func minus(a, b []repo.MasterKey) []repo.MasterKey {
	var out []repo.MasterKey
	for _, k := range a {
		if !containsKey(b, k) && !containsKey(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// containsKey tells whether ks holds k, two spellings of one key (keyID)
// counting as the same.
func containsKey(ks []repo.MasterKey, k repo.MasterKey) bool {
	for _, x := range ks {
		if sameKey(x, k) {
			return true
		}
	}
	return false
}

// sameKey is keyID(x.ID) == keyID(y.ID) for keys of one type, without
// the regular expression for the IDs keyID leaves as they are: one with
// no space and longer than any PGP form (every age recipient).
func sameKey(x, y repo.MasterKey) bool {
	switch {
	case x.Type != y.Type:
		return false
	case x.ID == y.ID:
		return true
	case plainID(x.ID) || plainID(y.ID):
		return false // the other would have to be the same string
	}
	return keyID(x.ID) == keyID(y.ID)
}

func plainID(v string) bool { return len(v) > 42 && !strings.Contains(v, " ") }

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// keyLine returns the line of a mapping key: a YAML line "key:" (after
// indentation or a list dash), a JSON "key", or the bare name last.
func keyLine(data []byte, key string) int {
	yamlKey := regexp.MustCompile(`(?m)^[ \t]*(- )?` + regexp.QuoteMeta(key) + `:`)
	if loc := yamlKey.FindIndex(data); loc != nil {
		return bytes.Count(data[:loc[0]], []byte("\n")) + 1
	}
	for _, needle := range []string{`"` + key + `"`, key} {
		if i := bytes.Index(data, []byte(needle)); i >= 0 {
			return bytes.Count(data[:i], []byte("\n")) + 1
		}
	}
	return 0
}

// lineOf returns the 1-based line of the first occurrence of needle in
// the file, 0 when absent. It is used only when a finding is made.
func lineOf(path, needle string) int {
	data, err := os.ReadFile(path)
	if err != nil || needle == "" {
		return 0
	}
	i := bytes.Index(data, []byte(needle))
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}
