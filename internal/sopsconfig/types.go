// Package sopsconfig reads a sops configuration file (.sops.yaml) as people
// write it: every key anchor with its name and line, every creation rule
// with its fields and positions, and the aliases that tie them together.
//
// It decides which creation rule applies to a path the way sops 3.13
// decides it (first rule whose unanchored path_regex matches the path made
// relative to the config's folder; a rule without path_regex matches
// everything). Tests in internal/sopsfile prove the choice and the resolved
// key groups equal the sops library's own answer on every corpus config.
//
// It does not import sops. It accepts exactly what sops accepts by decoding
// the document with the same YAML decoder into copies of sops's own config
// structs (sopsstructs.go), then reads positions, anchors and aliases from
// "node twins" of those structs decoded the same way, and mirrors sops's
// key-group resolution (config.go getKeyGroupsFromCreationRule,
// parseKeyField, extractMasterKeys, deduplicateKeygroup). Recipient syntax
// is not checked here: internal/agekey does that.
package sopsconfig

import "regexp"

// Pos is a position in the config file, 1-based. Line 0 means unknown.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// KeyType names the kind of master key an entry stands for, as sops spells
// the key group field: "age", "pgp", "kms", "gcp_kms", "hckms",
// "azure_keyvault", "hc_vault".
type KeyType string

// Master key kinds known to sops key groups.
const (
	KeyAge     KeyType = "age"
	KeyPGP     KeyType = "pgp"
	KeyKMS     KeyType = "kms"
	KeyGCPKMS  KeyType = "gcp_kms"
	KeyHCKMS   KeyType = "hckms"
	KeyAzureKV KeyType = "azure_keyvault"
	KeyVault   KeyType = "hc_vault"
)

// Anchor is a YAML anchor defined anywhere under the top-level `keys:` node
// whose value is a scalar (one key). Anchors on sequences or maps (group
// anchors such as `&hosts`) are recorded in Config.Groups, not here.
type Anchor struct {
	// Name is the anchor name without '&'.
	Name string `json:"name"`
	// Value is the scalar value, trimmed of surrounding white space.
	Value string `json:"value"`
	// Group is the path of mapping keys and group anchors above the
	// anchor inside `keys:`, e.g. ["hosts"] (vipulog's `hosts: &hosts
	// [...]`) or ["users"] (Misterio77's `- &users:`, which YAML reads
	// as a one-entry mapping whose empty key carries the anchor "users":
	// anchor names stop at ':'); empty for a flat list.
	Group []string `json:"group,omitempty"`
	Pos   Pos      `json:"pos"`
}

// KeyRef is one key as a rule refers to it.
type KeyRef struct {
	Type KeyType `json:"type"`
	// Value is the key as sops identifies it (its master key's
	// ToString, which is also what sops deduplicates on), after alias
	// resolution, comma splitting and the normalisation sops applies:
	//   - age: the recipient, trimmed of white space;
	//   - pgp, gcp_kms (resource_id): every space removed;
	//   - kms: the ARN ("ARN+ROLE" with a role), followed by
	//     "|CONTEXT" (sorted k:v pairs joined with ',') when there is a
	//     context and "|CONTEXT|PROFILE" when there is an aws_profile;
	//   - azure_keyvault: "VAULTURL/keys/NAME/VERSION" (VERSION may be
	//     empty: sops then asks Azure for the latest version);
	//   - hc_vault: "ADDRESS/v1/ENGINE/keys/NAME";
	//   - hckms: the key_id as written.
	// An age value may be empty ("a,,b" inside one entry): sops fails on
	// it when the rule is used, as it does on any invalid recipient.
	Value string `json:"value"`
	// Alias is the anchor name of the key's scalar when it was reached
	// through an alias: written as `*name`, or an anchored item of an
	// aliased list (`age: *users` whose items are `&tux age1…`). Empty
	// for a literal.
	Alias string `json:"alias,omitempty"`
	// Via is the alias of the enclosing list or key group through which
	// the key was reached (`age: *users`, `- *group`, `merge: [*common]`),
	// innermost first; empty when the key is written in the rule itself.
	Via string `json:"via,omitempty"`
	// Pos is where the rule brings the key in: the key's own scalar for
	// a literal, else the outermost alias in the rule that leads to it.
	Pos Pos `json:"pos"`
}

// KeyGroup is one key group of a rule: all keys in it, flattened over
// `merge:` entries, duplicates removed as sops removes them (same type and
// value), in the order sops keeps.
type KeyGroup struct {
	Keys []KeyRef `json:"keys"`
	// Pos is the group's item in key_groups (the rule for the group
	// made of flat key fields).
	Pos Pos `json:"pos"`
	// Via is the alias name when the group was written as `- *name`.
	Via string `json:"via,omitempty"`
	// UnknownFields are keys of the group mapping sops ignores (e.g.
	// `ages:` or `hc_vault_transit_uri:` inside a group).
	UnknownFields []Field `json:"unknown_fields,omitempty"`
}

// Rule is one entry of creation_rules.
type Rule struct {
	// Index is the 0-based position in creation_rules.
	Index int `json:"index"`
	Pos   Pos `json:"pos"`
	// PathRegex is the raw path_regex ("" when absent: matches all).
	PathRegex    string `json:"path_regex,omitempty"`
	HasPathRegex bool   `json:"has_path_regex"`
	PathRegexPos Pos    `json:"path_regex_pos"`
	// RegexError is the compile error of PathRegex, if any (sops only
	// fails on it when a path reaches this rule).
	RegexError string `json:"regex_error,omitempty"`
	// KeyGroups are the groups sops would use: key_groups when present
	// and non-empty, else one group made of the flat key fields.
	KeyGroups []KeyGroup `json:"key_groups"`
	// FromKeyGroups is true when the groups come from `key_groups:`.
	FromKeyGroups   bool `json:"from_key_groups"`
	ShamirThreshold int  `json:"shamir_threshold,omitempty"`
	// Encryption selectors, as written.
	UnencryptedSuffix       string `json:"unencrypted_suffix,omitempty"`
	EncryptedSuffix         string `json:"encrypted_suffix,omitempty"`
	UnencryptedRegex        string `json:"unencrypted_regex,omitempty"`
	EncryptedRegex          string `json:"encrypted_regex,omitempty"`
	UnencryptedCommentRegex string `json:"unencrypted_comment_regex,omitempty"`
	EncryptedCommentRegex   string `json:"encrypted_comment_regex,omitempty"`
	MACOnlyEncrypted        bool   `json:"mac_only_encrypted,omitempty"`
	// AwsProfile is the rule-level aws_profile (used by flat kms keys).
	AwsProfile string `json:"aws_profile,omitempty"`
	// UnknownFields are mapping keys sops ignores silently (typos such as
	// path_regexp), with their positions.
	UnknownFields []Field `json:"unknown_fields,omitempty"`
	// IgnoredFields are flat key fields (age, pgp, kms, gcp_kms, hckms,
	// azure_keyvault, hc_vault_transit_uri) that sops ignores because
	// key_groups is not empty.
	IgnoredFields []Field `json:"ignored_fields,omitempty"`
	// Errors are problems sops reports only when this rule is selected
	// for a file (a key field of the wrong type, more than one
	// encrypted_/unencrypted_ selector, a malformed hckms key_id or
	// hc_vault URI, an entry that makes sops crash). Recipient syntax
	// is not checked here (see internal/agekey).
	Errors []*Error `json:"errors,omitempty"`
}

// Field is a mapping key and where it stands.
type Field struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// AnchorGroup is an anchored sequence or mapping under `keys:` (vipulog's
// `hosts: &hosts [...]`, Misterio77's `- &users:`), a group of keys.
type AnchorGroup struct {
	// Name is the anchor name without '&'.
	Name string `json:"name"`
	// OnKey is true for Misterio77's `- &users:` shape: the anchor sits
	// on the empty mapping key, not on the list, so `*users` would give
	// null, not the list.
	OnKey bool `json:"on_key,omitempty"`
	// Group is the path above the group, as in Anchor.Group.
	Group []string `json:"group,omitempty"`
	// Values are the scalar values inside it, nested ones included,
	// trimmed, in document order (aliases inside it are not followed).
	Values []string `json:"values"`
	Pos    Pos      `json:"pos"`
}

// Config is a parsed .sops.yaml.
type Config struct {
	// Path is the file it was read from.
	Path string `json:"path"`
	// Anchors lists scalar anchors under `keys:` in document order.
	Anchors []Anchor `json:"anchors"`
	// Groups lists anchored sequences and mappings under `keys:`.
	Groups []AnchorGroup `json:"groups,omitempty"`
	// OtherAnchors lists scalar anchors defined outside `keys:` (fluxcd
	// style `age: &age age1…` inside a rule), in document order.
	OtherAnchors []Anchor `json:"other_anchors,omitempty"`
	// KeysPos is where `keys:` stands (Line 0 when absent).
	KeysPos Pos `json:"keys_pos"`
	// Rules are the creation rules in order.
	Rules []Rule `json:"rules"`
	// HasCreationRules is false when the file has no creation_rules key
	// at all (sops then behaves as if no config existed).
	HasCreationRules bool `json:"has_creation_rules"`
	// DestinationRules counts destination_rules entries (kept, reported).
	DestinationRules int `json:"destination_rules,omitempty"`
	// UnknownFields are top-level keys sops ignores (keys: is not one).
	UnknownFields []Field `json:"unknown_fields,omitempty"`
	// AliasUses counts, per anchor name, how many aliases refer to it
	// anywhere in the document (rules or elsewhere).
	AliasUses map[string]int `json:"alias_uses"`
	// MoreDocuments is true when the file holds more than one YAML
	// document: sops reads the first and ignores the others.
	MoreDocuments bool `json:"more_documents,omitempty"`

	// regexes holds the compiled path_regex of each rule (nil when the
	// rule has none or it does not compile). Written once by Parse, only
	// read afterwards, so a Config is safe for concurrent use.
	regexes []*regexp.Regexp
}
