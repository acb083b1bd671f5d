package sopsconfig

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// keyGroup mirrors sops's extractMasterKeys + deduplicateKeygroup for one
// key_groups item n (a mapping or an alias of one).
func (b *ruleBuilder) keyGroup(n *yaml.Node, s site) KeyGroup {
	g := KeyGroup{Pos: posOf(n), Keys: []KeyRef{}}
	if n.Kind == yaml.AliasNode {
		g.Via = n.Value
	}
	var unknown []Field
	keys := b.groupKeys(n, s, &unknown)
	g.UnknownFields = unknown
	g.Keys = dedupe(keys)
	return g
}

// groupKeys lists the keys of group n in sops's order: merged groups
// first (recursively), then age, pgp, kms, gcp_kms, hckms,
// azure_keyvault, hc_vault. Deduplication is left to the caller: doing it
// once on the whole list equals sops's per-level passes (first wins).
func (b *ruleBuilder) groupKeys(n *yaml.Node, s site, unknown *[]Field) []KeyRef {
	s = s.enter(n)
	*unknown = append(*unknown, unknownFields(n, isGroupField)...)
	var gn groupNodes
	decodeInto(n, &gn)
	keys := []KeyRef{}
	for _, m := range nonNull(gn.Merge) {
		keys = append(keys, b.groupKeys(&m, s, unknown)...)
	}
	for _, item := range nonNull(gn.Age) {
		var v string
		decodeInto(&item, &v)
		if v == "" { // MasterKeysFromRecipients("") gives no key
			continue
		}
		r := refOf(&item, s)
		for _, piece := range strings.Split(v, ",") {
			keys = append(keys, r.key(KeyAge, strings.TrimSpace(piece)))
		}
	}
	for _, item := range nonNull(gn.PGP) {
		var v string
		decodeInto(&item, &v)
		keys = append(keys, refOf(&item, s).key(KeyPGP, noSpaces(v)))
	}
	for _, item := range nonNull(gn.KMS) {
		var k kmsKey
		decodeInto(&item, &k)
		r := refOf(&item, s)
		v, nilContext := kmsValue(k.Arn, k.Role, k.Context, k.AwsProfile)
		if nilContext {
			b.fail(r.pos.Line, "kms context has a null value; sops 3.13.3 crashes on it; give every context key a string value")
		}
		keys = append(keys, r.key(KeyKMS, v))
	}
	for _, item := range nonNull(gn.GCPKMS) {
		var k gcpKmsKey
		decodeInto(&item, &k)
		keys = append(keys, refOf(&item, s).key(KeyGCPKMS, noSpaces(k.ResourceID)))
	}
	keys = append(keys, b.groupTail(&gn, s)...)
	return keys
}

// groupTail handles the key types of a group that sops can reject:
// hckms, azure_keyvault and hc_vault.
func (b *ruleBuilder) groupTail(gn *groupNodes, s site) []KeyRef {
	var keys []KeyRef
	for _, item := range nonNull(gn.HCKms) {
		var k hckmsKey
		decodeInto(&item, &k)
		r := refOf(&item, s)
		if err := checkHCKMSKeyID(k.KeyID); err != nil {
			b.fail(r.pos.Line, "hckms: %v", err)
			continue
		}
		keys = append(keys, r.key(KeyHCKMS, k.KeyID))
	}
	for _, item := range nonNull(gn.AzureKV) {
		var k azureKVKey
		decodeInto(&item, &k)
		keys = append(keys, refOf(&item, s).key(KeyAzureKV, azureValue(k.VaultURL, k.Key, k.Version)))
	}
	for _, item := range nonNull(gn.Vault) {
		var v string
		decodeInto(&item, &v)
		r := refOf(&item, s)
		if v == "" {
			b.fail(r.pos.Line, "hc_vault: an empty entry makes sops 3.13.3 crash; remove it")
			continue
		}
		value, err := vaultValue(v)
		if err != nil {
			b.fail(r.pos.Line, "hc_vault: %v", err)
			continue
		}
		keys = append(keys, r.key(KeyVault, value))
	}
	return keys
}

// dedupe drops later keys with the same type and value, as sops's
// deduplicateKeygroup does (it keys on the Go type and ToString()).
func dedupe(keys []KeyRef) []KeyRef {
	seen := map[string]bool{}
	out := []KeyRef{}
	for _, k := range keys {
		id := string(k.Type) + "/" + k.Value
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, k)
	}
	return out
}

// entry is one string of a flat key field with where it comes from.
type entry struct {
	value string
	ref   ref
}

// flatGroup mirrors the else branch of sops's getKeyGroupsFromCreationRule:
// one group made of the rule-level key fields, not deduplicated.
func (b *ruleBuilder) flatGroup(rn *ruleNodes) KeyGroup {
	g := KeyGroup{Pos: b.rule.Pos, Keys: []KeyRef{}}
	for _, e := range pieces(b.parseKeyField("age", &rn.Age)) {
		g.Keys = append(g.Keys, e.ref.key(KeyAge, strings.TrimSpace(e.value)))
	}
	for _, e := range pieces(b.parseKeyField("pgp", &rn.PGP)) {
		g.Keys = append(g.Keys, e.ref.key(KeyPGP, noSpaces(e.value)))
	}
	for _, e := range pieces(b.parseKeyField("kms", &rn.KMS)) {
		g.Keys = append(g.Keys, e.ref.key(KeyKMS, kmsFromArn(e.value, b.rule.AwsProfile)))
	}
	for _, e := range pieces(b.parseKeyField("gcp_kms", &rn.GCPKMS)) {
		g.Keys = append(g.Keys, e.ref.key(KeyGCPKMS, noSpaces(e.value)))
	}
	for _, e := range pieces(stringList(&rn.HCKms)) {
		id := strings.TrimSpace(e.value)
		if id == "" {
			continue
		}
		if err := checkHCKMSKeyID(id); err != nil {
			b.fail(e.ref.pos.Line, "hckms: %v", err)
			continue
		}
		g.Keys = append(g.Keys, e.ref.key(KeyHCKMS, id))
	}
	for _, e := range pieces(b.parseKeyField("azure_keyvault", &rn.AzureKeyVault)) {
		v, err := azureFromURL(e.value)
		if err != nil {
			b.fail(e.ref.pos.Line, "azure_keyvault: %v", err)
			continue
		}
		g.Keys = append(g.Keys, e.ref.key(KeyAzureKV, v))
	}
	for _, e := range pieces(b.parseKeyField("hc_vault_transit_uri", &rn.VaultURI)) {
		if e.value == "" {
			continue
		}
		v, err := vaultValue(e.value)
		if err != nil {
			b.fail(e.ref.pos.Line, "hc_vault_transit_uri: %v", err)
			continue
		}
		g.Keys = append(g.Keys, e.ref.key(KeyVault, v))
	}
	return g
}

// parseKeyField mirrors sops's parseKeyField: nil gives nothing; a string
// is split on ',' with each part trimmed and empty parts dropped; a list
// gives its items as they are (each must be a string); anything else is
// an error sops reports when the rule is used.
func (b *ruleBuilder) parseKeyField(name string, n *yaml.Node) []entry {
	if n.Kind == 0 {
		return nil
	}
	var v any
	decodeInto(n, &v)
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		r := refOf(n, site{})
		var out []entry
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, entry{p, r})
			}
		}
		return out
	case []any:
		s := site{}.enter(n)
		seq := resolveAlias(n)
		out := make([]entry, 0, len(v))
		for i, item := range v {
			r := ref{pos: posOf(n)}
			if seq != nil && i < len(seq.Content) {
				r = refOf(seq.Content[i], s)
			}
			str, ok := item.(string)
			if !ok {
				b.fail(r.pos.Line, "%s: item %d is %s, not a string; sops fails when this rule is used", name, i+1, goTypeName(item))
				return nil
			}
			out = append(out, entry{str, r})
		}
		return out
	default:
		b.fail(n.Line, "%s: expected a comma-separated string or a list of strings, got %s; sops fails when this rule is used", name, goTypeName(v))
		return nil
	}
}

// goTypeName names the Go type yaml.v3 decoded a value to, as sops's
// message would (%T), with a hint in words.
func goTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any, map[any]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T %v", v, v)
}

// stringList decodes a []string field (rule-level hckms) with the
// positions of its items (null items dropped, as yaml.v3 drops them).
func stringList(n *yaml.Node) []entry {
	seq := resolveAlias(n)
	if n.Kind == 0 || seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	s := site{}.enter(n)
	var out []entry
	for _, item := range seq.Content {
		if item.ShortTag() == "!!null" {
			continue
		}
		var v string
		decodeInto(item, &v)
		out = append(out, entry{v, refOf(item, s)})
	}
	return out
}

// pieces mirrors what sops does with the list parseKeyField returns: it
// joins it with ',' and splits it again (an empty join gives nothing).
func pieces(entries []entry) []entry {
	if len(entries) == 0 || len(entries) == 1 && entries[0].value == "" {
		return nil
	}
	var out []entry
	for _, e := range entries {
		for _, p := range strings.Split(e.value, ",") {
			out = append(out, entry{p, e.ref})
		}
	}
	return out
}
