package check

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// configChecks looks at .sops.yaml alone.
func (c *checker) configChecks() {
	cfg := c.r.Config
	if !cfg.HasCreationRules {
		c.add(IDNoCreationRules, c.cfgFile, 1, 0, "no creation_rules: sops behaves as if there were no .sops.yaml",
			"add creation_rules with a path_regex and key_groups for your secrets files")
	}
	for _, f := range cfg.UnknownFields {
		c.add(IDUnknownField, c.cfgFile, f.Pos.Line, f.Pos.Column,
			fmt.Sprintf("top-level field %q is not a sops field: sops ignores it", f.Name),
			"remove it or fix its spelling (sops knows creation_rules, destination_rules, stores; keys: holds anchors)")
	}
	c.anchorChecks()
	for i := range cfg.Rules {
		c.ruleChecks(&cfg.Rules[i])
	}
}

// anchorChecks validates every key defined under keys: and finds keys
// defined twice or used by no rule.
func (c *checker) anchorChecks() {
	cfg := c.r.Config
	used := map[string]bool{}
	for _, rule := range cfg.Rules {
		for _, g := range rule.KeyGroups {
			for _, k := range g.Keys {
				used[k.Value] = true
			}
		}
	}
	seen := map[string]string{} // canonical X25519 or value → first anchor
	for _, a := range cfg.Anchors {
		if !looksLikeAgeKey(a.Value) {
			if !used[a.Value] {
				c.orphan(a)
			}
			continue
		}
		r, err := c.parseRecipient(a.Value)
		if err != nil {
			f := c.add(IDInvalidRecipient, c.cfgFile, a.Pos.Line, a.Pos.Column,
				fmt.Sprintf("key &%s is not a valid recipient: %v", a.Name, err),
				"paste the output of 'age-keygen -y KEYFILE' or 'keycycle ssh-to-age HOSTKEY.pub'")
			f.Anchor = a.Name
			continue
		}
		canon := r.X25519()
		if canon == "" {
			canon = r.String
		}
		if first, ok := seen[canon]; ok && first != a.Name {
			f := c.add(IDDuplicateAnchor, c.cfgFile, a.Pos.Line, a.Pos.Column,
				fmt.Sprintf("key &%s is the same recipient as &%s", a.Name, first),
				fmt.Sprintf("keep one anchor and point the aliases of *%s at it", a.Name))
			f.Anchor, f.Recipient = a.Name, a.Value
		} else {
			seen[canon] = a.Name
		}
		if !used[a.Value] {
			c.orphan(a)
		}
	}
}

func (c *checker) orphan(a sopsconfig.Anchor) {
	f := c.add(IDOrphanKey, c.cfgFile, a.Pos.Line, a.Pos.Column,
		fmt.Sprintf("key &%s is defined but no creation rule uses it", a.Name),
		fmt.Sprintf("add *%s to the rules that should include it, or delete the key if it is retired", a.Name))
	f.Anchor, f.Recipient = a.Name, a.Value
}

// looksLikeAgeKey tells keys sops parses as age recipients from PGP
// fingerprints and other scalars that may stand under keys:.
func looksLikeAgeKey(v string) bool {
	v = strings.TrimSpace(v)
	l := strings.ToLower(v)
	return strings.HasPrefix(l, "age") || strings.HasPrefix(v, "ssh-") || strings.HasPrefix(v, "<")
}

// pathRegexTypo matches field names people write for path_regex.
var pathRegexTypo = regexp.MustCompile(`^(?i)path[-_ ]?re?ge?x?p?s?$|^(?i)path$|^(?i)regex$`)

func (c *checker) ruleChecks(rule *sopsconfig.Rule) {
	n := rule.Index + 1
	for _, f := range rule.UnknownFields {
		msg := fmt.Sprintf("rule %d: field %q is not a sops field: sops ignores it", n, f.Name)
		if !rule.HasPathRegex && pathRegexTypo.MatchString(f.Name) {
			msg += ", so this rule has no path_regex and matches every path"
		}
		c.add(IDUnknownField, c.cfgFile, f.Pos.Line, f.Pos.Column, msg, "fix its spelling (path_regex, key_groups, age, …) or remove it")
	}
	if rule.RegexError != "" {
		c.add(IDBadRegex, c.cfgFile, rule.PathRegexPos.Line, rule.PathRegexPos.Column,
			fmt.Sprintf("rule %d: path_regex does not compile: %s", n, rule.RegexError),
			"write it as a Go (RE2) regular expression, e.g. sops/host\\.yaml$")
	}
	if rule.ShamirThreshold > len(rule.KeyGroups) {
		c.add(IDBadThreshold, c.cfgFile, rule.Pos.Line, rule.Pos.Column,
			fmt.Sprintf("rule %d: shamir_threshold %d is larger than its %d key group(s)", n, rule.ShamirThreshold, len(rule.KeyGroups)),
			"lower shamir_threshold or add key groups")
	}
	empty := len(rule.KeyGroups) == 0
	for _, g := range rule.KeyGroups {
		if len(g.Keys) == 0 {
			empty = true
		}
	}
	if empty {
		c.add(IDEmptyKeyGroup, c.cfgFile, rule.Pos.Line, rule.Pos.Column,
			fmt.Sprintf("rule %d has a key group with no key: files it matches cannot be encrypted for anyone", n),
			"add age recipients to the group, or remove the empty group")
	}
	c.keyRefChecks(rule)
}

// keyRefChecks validates age keys written literally in a rule and warns
// on raw ssh-ed25519 recipients.
func (c *checker) keyRefChecks(rule *sopsconfig.Rule) {
	for _, g := range rule.KeyGroups {
		for _, k := range g.Keys {
			if k.Type != sopsconfig.KeyAge {
				continue
			}
			r, err := c.parseRecipient(k.Value)
			if err != nil && pgpFingerprint.MatchString(strings.ReplaceAll(k.Value, " ", "")) {
				what := fmt.Sprintf("%q", k.Value)
				if k.Alias != "" {
					what = "*" + k.Alias
				}
				c.add(IDInvalidRecipient, c.cfgFile, k.Pos.Line, k.Pos.Column,
					fmt.Sprintf("rule %d: %s is a PGP fingerprint listed under age:, not an age recipient", rule.Index+1, what),
					"list it under pgp: in that key group")
				continue
			}
			if err != nil {
				if k.Alias == "" { // anchors are reported where they are defined
					shown := fmt.Sprintf("%q", k.Value)
					if errors.Is(err, agekey.ErrSecretKey) {
						shown = "a private key (AGE-SECRET-KEY-…): remove it from .sops.yaml and treat it as leaked;"
					}
					c.add(IDInvalidRecipient, c.cfgFile, k.Pos.Line, k.Pos.Column,
						fmt.Sprintf("rule %d: %s is not a valid age recipient: %v", rule.Index+1, shown, err),
						"paste the output of 'age-keygen -y KEYFILE' or 'keycycle ssh-to-age HOSTKEY.pub'")
				}
				continue
			}
			if r.Kind == agekey.KindSSHEd25519 {
				f := c.add(IDSSHAgeConfusion, c.cfgFile, k.Pos.Line, k.Pos.Column,
					fmt.Sprintf("rule %d uses the raw ssh-ed25519 key %s: sops-nix's sshKeyPaths only opens its age1 form %s",
						rule.Index+1, c.label(k.Value), r.Derived),
					fmt.Sprintf("use %s (keycycle ssh-to-age) unless the host decrypts with the SSH key directly", r.Derived))
				f.Recipient = k.Value
			}
		}
	}
}

// parseRecipient validates a recipient once per run: large configs repeat
// the same twenty keys in hundreds of places.
func (c *checker) parseRecipient(v string) (agekey.Recipient, error) {
	if c.parsed == nil {
		c.parsed = map[string]parsedRecipient{}
	}
	if p, ok := c.parsed[v]; ok {
		return p.r, p.err
	}
	r, err := agekey.ParseRecipient(v)
	c.parsed[v] = parsedRecipient{r, err}
	return r, err
}

type parsedRecipient struct {
	r   agekey.Recipient
	err error
}
