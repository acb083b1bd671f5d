// Package sopsconfig reads a sops configuration file (.sops.yaml) as people
// write it: every key anchor with its name and line, every creation rule
// with its fields and positions, and the aliases that tie them together.
//
// It decides which creation rule applies to a path the way sops 3.13
// decides it (first rule whose unanchored path_regex matches the path made
// relative to the config's folder; a rule without path_regex matches
// everything). Tests in internal/sopsfile prove the choice and the resolved
// key groups equal the sops library's own answer on every corpus config.
package sopsconfig

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
// anchors such as `&hosts`) are recorded in Groups, not here.
type Anchor struct {
	// Name is the anchor name without '&' (Misterio77's "users:" style
	// names keep their trailing colon, as YAML reads them).
	Name string `json:"name"`
	// Value is the scalar value, trimmed of surrounding white space.
	Value string `json:"value"`
	// Group is the path of mapping keys and group anchors above the
	// anchor inside `keys:`, e.g. ["hosts"] or ["users:"]; empty for a
	// flat list.
	Group []string `json:"group,omitempty"`
	Pos   Pos      `json:"pos"`
}

// KeyRef is one key as a rule refers to it.
type KeyRef struct {
	Type KeyType `json:"type"`
	// Value is the key after alias resolution and comma splitting,
	// trimmed; for kms/gcp_kms/azure_keyvault/hckms entries written as
	// maps it is the identifying field (arn, resource_id, vaultUrl/key/
	// version joined with '/', key_id).
	Value string `json:"value"`
	// Alias is the anchor name when the entry was written as an alias
	// (`*name`), empty for a literal.
	Alias string `json:"alias,omitempty"`
	Pos   Pos    `json:"pos"`
}

// KeyGroup is one key group of a rule: all keys in it, flattened over
// `merge:` entries, duplicates removed as sops removes them (same type and
// value), in the order sops keeps.
type KeyGroup struct {
	Keys []KeyRef `json:"keys"`
	Pos  Pos      `json:"pos"`
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
	// RegexError is the compile error of PathRegex, if any.
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
	// UnknownFields are mapping keys sops ignores silently (typos such as
	// path_regexp), with their positions.
	UnknownFields []Field `json:"unknown_fields,omitempty"`
}

// Field is a mapping key and where it stands.
type Field struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// Config is a parsed .sops.yaml.
type Config struct {
	// Path is the file it was read from.
	Path string `json:"path"`
	// Anchors lists scalar anchors under `keys:` in document order.
	Anchors []Anchor `json:"anchors"`
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
}
