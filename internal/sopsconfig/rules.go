package sopsconfig

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// ruleBuilder turns one creation rule node into a Rule, collecting the
// errors sops would report when the rule is used.
type ruleBuilder struct {
	file string
	rule *Rule
}

// fail records an error sops reports when this rule is used.
func (b *ruleBuilder) fail(line int, format string, args ...any) {
	if line <= 0 {
		line = b.rule.Pos.Line
	}
	b.rule.Errors = append(b.rule.Errors, newError(b.file, line, format, args...))
}

// buildRule builds rule number index (in sops's slice, null items already
// dropped) from its node n (a mapping, or an alias of one).
func buildRule(file string, index int, n yaml.Node) (Rule, error) {
	var rn ruleNodes
	if err := safeDecode(&n, &rn); err != nil {
		return Rule{}, decodeError(file, &n, err)
	}
	m := resolveAlias(&n)
	r := Rule{Index: index, Pos: posOf(&n)}
	b := &ruleBuilder{file: file, rule: &r}
	r.UnknownFields = unknownFields(m, isRuleField)
	r.PathRegex, r.HasPathRegex = decodeString(rn.PathRegex)
	if r.HasPathRegex {
		r.PathRegexPos = posOf(&rn.PathRegex)
	}
	decodeInto(&rn.ShamirThreshold, &r.ShamirThreshold)
	decodeInto(&rn.MACOnlyEncrypted, &r.MACOnlyEncrypted)
	r.AwsProfile, _ = decodeString(rn.AwsProfile)
	r.UnencryptedSuffix, _ = decodeString(rn.UnencryptedSuffix)
	r.EncryptedSuffix, _ = decodeString(rn.EncryptedSuffix)
	r.UnencryptedRegex, _ = decodeString(rn.UnencryptedRegex)
	r.EncryptedRegex, _ = decodeString(rn.EncryptedRegex)
	r.UnencryptedCommentRegex, _ = decodeString(rn.UnencryptedCommentRegex)
	r.EncryptedCommentRegex, _ = decodeString(rn.EncryptedCommentRegex)
	b.checkSelectors()

	groups := nonNull(rn.KeyGroups)
	r.KeyGroups = []KeyGroup{}
	if len(groups) > 0 {
		r.FromKeyGroups = true
		for i := range groups {
			r.KeyGroups = append(r.KeyGroups, b.keyGroup(&groups[i], site{}))
		}
		for _, f := range flatFields(&rn) {
			if f.node.Kind != 0 {
				r.IgnoredFields = append(r.IgnoredFields, Field{Name: f.name, Pos: keyPos(m, f.name, posOf(f.node))})
			}
		}
		return r, nil
	}
	r.KeyGroups = append(r.KeyGroups, b.flatGroup(&rn))
	return r, nil
}

// checkSelectors mirrors sops's configFromRule: at most one of the six
// encrypted/unencrypted selectors may be set.
func (b *ruleBuilder) checkSelectors() {
	r := b.rule
	var set []string
	for _, s := range []struct{ name, value string }{
		{"unencrypted_suffix", r.UnencryptedSuffix}, {"encrypted_suffix", r.EncryptedSuffix},
		{"unencrypted_regex", r.UnencryptedRegex}, {"encrypted_regex", r.EncryptedRegex},
		{"unencrypted_comment_regex", r.UnencryptedCommentRegex},
		{"encrypted_comment_regex", r.EncryptedCommentRegex},
	} {
		if s.value != "" {
			set = append(set, s.name)
		}
	}
	if len(set) > 1 {
		b.fail(0, "rule sets %s; sops allows only one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex; keep one",
			strings.Join(set, " and "))
	}
}

// namedNode is a rule field node with its name.
type namedNode struct {
	name string
	node *yaml.Node
}

// flatFields lists the rule-level key fields in the order sops reads them.
func flatFields(rn *ruleNodes) []namedNode {
	return []namedNode{
		{"age", &rn.Age}, {"pgp", &rn.PGP}, {"kms", &rn.KMS},
		{"gcp_kms", &rn.GCPKMS}, {"hckms", &rn.HCKms},
		{"azure_keyvault", &rn.AzureKeyVault}, {"hc_vault_transit_uri", &rn.VaultURI},
	}
}

// decodeString decodes a string field as sops does; present is false when
// the field is absent.
func decodeString(n yaml.Node) (s string, present bool) {
	if n.Kind == 0 {
		return "", false
	}
	decodeInto(&n, &s)
	return s, true
}

// decodeInto decodes an optional field node into v. The whole document
// has already been decoded into sops's structs without error, so this
// cannot fail; an absent node leaves v alone.
func decodeInto(n *yaml.Node, v any) {
	if n.Kind != 0 {
		_ = safeDecode(n, v)
	}
}

// ref is where a key entry comes from.
type ref struct {
	alias, via string
	pos        Pos
}

// site tracks how the walk reached the current node: through which
// alias (innermost) and from which place in the rule (outermost alias).
type site struct {
	via string
	pos *Pos
}

// enter returns the site after passing through node n (an alias or not).
func (s site) enter(n *yaml.Node) site {
	if n.Kind != yaml.AliasNode {
		return s
	}
	out := site{via: n.Value, pos: s.pos}
	if out.pos == nil {
		p := posOf(n)
		out.pos = &p
	}
	return out
}

// refOf describes an entry node n (a scalar, or an alias of one) reached
// from site s.
func refOf(n *yaml.Node, s site) ref {
	r := ref{via: s.via, pos: posOf(n)}
	if s.pos != nil {
		r.pos = *s.pos
	}
	if n.Kind == yaml.AliasNode {
		r.alias = n.Value
	} else if s.pos != nil {
		r.alias = n.Anchor
	}
	return r
}

// key makes a KeyRef.
func (r ref) key(t KeyType, value string) KeyRef {
	return KeyRef{Type: t, Value: value, Alias: r.alias, Via: r.via, Pos: r.pos}
}
