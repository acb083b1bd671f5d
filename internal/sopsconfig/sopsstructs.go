package sopsconfig

import "gopkg.in/yaml.v3"

// The types below copy, field for field and tag for tag, the structs that
// sops 3.13.3 (config/config.go) unmarshals .sops.yaml into. Decoding a
// document into configFile with yaml.v3 fails exactly when sops fails to
// load it ("Could not unmarshal config file"): same types, same decoder
// (go.yaml.in/yaml/v3, which sops uses, is gopkg.in/yaml.v3 renamed). The
// type names appear in yaml.v3's messages; describeType in errors.go explains
// them.

// configFile is sops's configFile: the top level of .sops.yaml.
type configFile struct {
	CreationRules    []creationRule    `yaml:"creation_rules"`
	DestinationRules []destinationRule `yaml:"destination_rules"`
	Stores           storesConfig      `yaml:"stores"`
}

// storesConfig is sops's StoresConfig (only its types matter here).
type storesConfig struct {
	Dotenv     struct{} `yaml:"dotenv"`
	INI        struct{} `yaml:"ini"`
	JSONBinary struct {
		Indent int `yaml:"indent"`
	} `yaml:"json_binary"`
	JSON struct {
		Indent int `yaml:"indent"`
	} `yaml:"json"`
	YAML struct {
		Indent int `yaml:"indent"`
	} `yaml:"yaml"`
}

// keyGroup is one item of key_groups (or of merge).
type keyGroup struct {
	Merge   []keyGroup   `yaml:"merge"`
	KMS     []kmsKey     `yaml:"kms"`
	GCPKMS  []gcpKmsKey  `yaml:"gcp_kms"`
	HCKms   []hckmsKey   `yaml:"hckms"`
	AzureKV []azureKVKey `yaml:"azure_keyvault"`
	Vault   []string     `yaml:"hc_vault"`
	Age     []string     `yaml:"age"`
	PGP     []string     `yaml:"pgp"`
}

// gcpKmsKey is a gcp_kms entry of a key group.
type gcpKmsKey struct {
	ResourceID string `yaml:"resource_id"`
}

// kmsKey is a kms entry of a key group.
type kmsKey struct {
	Arn        string             `yaml:"arn"`
	Role       string             `yaml:"role,omitempty"`
	Context    map[string]*string `yaml:"context"`
	AwsProfile string             `yaml:"aws_profile"`
}

// azureKVKey is an azure_keyvault entry of a key group.
type azureKVKey struct {
	VaultURL string `yaml:"vaultUrl"`
	Key      string `yaml:"key"`
	Version  string `yaml:"version"`
}

// hckmsKey is an hckms entry of a key group.
type hckmsKey struct {
	KeyID string `yaml:"key_id"`
}

// destinationRule is one item of destination_rules.
type destinationRule struct {
	PathRegex        string       `yaml:"path_regex"`
	S3Bucket         string       `yaml:"s3_bucket"`
	S3Prefix         string       `yaml:"s3_prefix"`
	GCSBucket        string       `yaml:"gcs_bucket"`
	GCSPrefix        string       `yaml:"gcs_prefix"`
	VaultPath        string       `yaml:"vault_path"`
	VaultAddress     string       `yaml:"vault_address"`
	VaultKVMountName string       `yaml:"vault_kv_mount_name"`
	VaultKVVersion   int          `yaml:"vault_kv_version"`
	RecreationRule   creationRule `yaml:"recreation_rule,omitempty"`
	OmitExtensions   bool         `yaml:"omit_extensions"`
}

// creationRule is one item of creation_rules.
type creationRule struct {
	PathRegex               string      `yaml:"path_regex"`
	KMS                     interface{} `yaml:"kms"`
	AwsProfile              string      `yaml:"aws_profile"`
	Age                     interface{} `yaml:"age"`
	PGP                     interface{} `yaml:"pgp"`
	GCPKMS                  interface{} `yaml:"gcp_kms"`
	HCKms                   []string    `yaml:"hckms"`
	AzureKeyVault           interface{} `yaml:"azure_keyvault"`
	VaultURI                interface{} `yaml:"hc_vault_transit_uri"`
	KeyGroups               []keyGroup  `yaml:"key_groups"`
	ShamirThreshold         int         `yaml:"shamir_threshold"`
	UnencryptedSuffix       string      `yaml:"unencrypted_suffix"`
	EncryptedSuffix         string      `yaml:"encrypted_suffix"`
	UnencryptedRegex        string      `yaml:"unencrypted_regex"`
	EncryptedRegex          string      `yaml:"encrypted_regex"`
	UnencryptedCommentRegex string      `yaml:"unencrypted_comment_regex"`
	EncryptedCommentRegex   string      `yaml:"encrypted_comment_regex"`
	MACOnlyEncrypted        bool        `yaml:"mac_only_encrypted"`
}

// The "node" twins of the sops structs: same field names and tags, every
// field a yaml.Node (or a list of them). yaml.v3 decodes them with the
// same mapping rules as the sops structs (merge keys, duplicate checks,
// which occurrence wins), but stops at the nodes, so we keep positions,
// anchors and aliases and then decode each leaf into sops's Go type.

// configNodes is the node twin of configFile.
type configNodes struct {
	CreationRules []yaml.Node `yaml:"creation_rules"`
}

// ruleNodes is the node twin of creationRule.
type ruleNodes struct {
	PathRegex               yaml.Node   `yaml:"path_regex"`
	KMS                     yaml.Node   `yaml:"kms"`
	AwsProfile              yaml.Node   `yaml:"aws_profile"`
	Age                     yaml.Node   `yaml:"age"`
	PGP                     yaml.Node   `yaml:"pgp"`
	GCPKMS                  yaml.Node   `yaml:"gcp_kms"`
	HCKms                   yaml.Node   `yaml:"hckms"`
	AzureKeyVault           yaml.Node   `yaml:"azure_keyvault"`
	VaultURI                yaml.Node   `yaml:"hc_vault_transit_uri"`
	KeyGroups               []yaml.Node `yaml:"key_groups"`
	ShamirThreshold         yaml.Node   `yaml:"shamir_threshold"`
	UnencryptedSuffix       yaml.Node   `yaml:"unencrypted_suffix"`
	EncryptedSuffix         yaml.Node   `yaml:"encrypted_suffix"`
	UnencryptedRegex        yaml.Node   `yaml:"unencrypted_regex"`
	EncryptedRegex          yaml.Node   `yaml:"encrypted_regex"`
	UnencryptedCommentRegex yaml.Node   `yaml:"unencrypted_comment_regex"`
	EncryptedCommentRegex   yaml.Node   `yaml:"encrypted_comment_regex"`
	MACOnlyEncrypted        yaml.Node   `yaml:"mac_only_encrypted"`
}

// groupNodes is the node twin of keyGroup.
type groupNodes struct {
	Merge   []yaml.Node `yaml:"merge"`
	KMS     []yaml.Node `yaml:"kms"`
	GCPKMS  []yaml.Node `yaml:"gcp_kms"`
	HCKms   []yaml.Node `yaml:"hckms"`
	AzureKV []yaml.Node `yaml:"azure_keyvault"`
	Vault   []yaml.Node `yaml:"hc_vault"`
	Age     []yaml.Node `yaml:"age"`
	PGP     []yaml.Node `yaml:"pgp"`
}

// isTopField reports whether sops (or keycycle: keys) knows a top-level key.
func isTopField(name string) bool {
	switch name {
	case "creation_rules", "destination_rules", "stores", "keys", "<<":
		return true
	}
	return false
}

// isRuleField reports whether sops knows a creation rule key.
func isRuleField(name string) bool {
	switch name {
	case "path_regex", "aws_profile", "key_groups", "shamir_threshold",
		"unencrypted_suffix", "encrypted_suffix", "unencrypted_regex",
		"encrypted_regex", "unencrypted_comment_regex",
		"encrypted_comment_regex", "mac_only_encrypted", "<<":
		return true
	}
	return isFlatKeyField(name)
}

// isFlatKeyField reports whether name is a rule-level key field, one
// sops reads only when key_groups is empty.
func isFlatKeyField(name string) bool {
	switch name {
	case "kms", "age", "pgp", "gcp_kms", "hckms", "azure_keyvault", "hc_vault_transit_uri":
		return true
	}
	return false
}

// isGroupField reports whether sops knows a key group key.
func isGroupField(name string) bool {
	switch name {
	case "merge", "kms", "gcp_kms", "hckms", "azure_keyvault", "hc_vault", "age", "pgp", "<<":
		return true
	}
	return false
}
