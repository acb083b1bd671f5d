// Package check holds keycycle's checks of a secrets repository. Each
// finding has a stable ID, a severity, the file and line it is about where
// there is one, and a hint naming the command that fixes it.
package check

import "sort"

// Severity ranks a finding.
type Severity string

// Severities, from worst to mildest.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Finding is one problem found.
type Finding struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	// File is relative to the repository root, slash-separated.
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Recipient and Anchor name the key the finding is about, if one.
	Recipient string `json:"recipient,omitempty"`
	Anchor    string `json:"anchor,omitempty"`
}

// Kind describes one finding ID: what it means and how bad it is.
type Kind struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
}

// Finding IDs. They are stable: a new check gets a new ID, an old one is
// never reused.
const (
	IDConfigParse      = "KC001"
	IDInvalidRecipient = "KC002"
	IDDuplicateAnchor  = "KC003"
	IDOrphanKey        = "KC004"
	IDUnknownField     = "KC005"
	IDBadRegex         = "KC006"
	IDUnusedRule       = "KC007"
	IDShadowedRule     = "KC008"
	IDBadThreshold     = "KC009"
	IDNoCreationRules  = "KC010"
	IDEmptyKeyGroup    = "KC011"
	IDSSHAgeConfusion  = "KC012"
	IDUnmatchedFile    = "KC101"
	IDMissingRecipient = "KC102"
	IDExtraRecipient   = "KC103"
	IDUnknownRecipient = "KC104"
	IDPlaintextFile    = "KC105"
	IDPlaintextValue   = "KC106"
	IDUnreadableFile   = "KC107"
	IDNoMAC            = "KC108"
	IDGroupDrift       = "KC109"
	IDRuleUnusable     = "KC110"

	IDPolicyInvalid   = "KC201"
	IDMissingSecret   = "KC202"
	IDMissingFile     = "KC203"
	IDHostCannotRead  = "KC204"
	IDExcessAccess    = "KC205"
	IDHostNotInSops   = "KC206"
	IDHostNotInPolicy = "KC207"
	IDKeysInvalid     = "KC208"
	IDKeysOutOfStep   = "KC209"
	IDNoKeysFile      = "KC210"
	IDRetiredKeyInUse = "KC211"
	IDKeyOverdue      = "KC301"
	IDKeyDueSoon      = "KC302"
	IDKeyAgeUnknown   = "KC303"
	IDOpenRotation    = "KC401"
	IDInterrupted     = "KC402"
)

// Kinds lists every finding keycycle check can make, sorted by ID.
func Kinds() []Kind {
	k := []Kind{
		{IDConfigParse, "config-parse", Error, ".sops.yaml cannot be read: sops refuses every command until it is fixed"},
		{IDInvalidRecipient, "invalid-recipient", Error, "a key in .sops.yaml is not a valid age, SSH or plugin recipient: sops fails on every file whose rule uses it"},
		{IDDuplicateAnchor, "duplicate-recipient", Warning, "the same recipient is defined under two anchors: removing one name does not revoke the key"},
		{IDOrphanKey, "orphan-key", Warning, "a key is defined under keys: but no creation rule uses it"},
		{IDUnknownField, "unknown-field", Error, "a field sops ignores silently (a typo such as path_regexp makes the rule match every path)"},
		{IDBadRegex, "bad-path-regex", Error, "a path_regex does not compile: sops fails on every file that reaches the rule"},
		{IDUnusedRule, "unused-rule", Warning, "a creation rule matches no file in the repository"},
		{IDShadowedRule, "shadowed-rule", Warning, "an earlier rule takes every file this rule would match: it never applies"},
		{IDBadThreshold, "bad-shamir-threshold", Error, "shamir_threshold is larger than the number of key groups: nothing could ever decrypt"},
		{IDNoCreationRules, "no-creation-rules", Warning, ".sops.yaml has no creation_rules: sops uses no config at all"},
		{IDEmptyKeyGroup, "empty-key-group", Error, "a rule has a key group with no key, or no keys at all"},
		{IDSSHAgeConfusion, "ssh-age-confusion", Warning, "an ssh-ed25519 recipient and the age1 key ssh-to-age derives from it are not interchangeable"},
		{IDUnmatchedFile, "unmatched-file", Warning, "an encrypted file that no creation rule matches: sops updatekeys cannot manage it"},
		{IDMissingRecipient, "missing-recipient", Error, "a recipient the rule wants is not in the file: that key cannot decrypt it (rekey needed)"},
		{IDExtraRecipient, "extra-recipient", Warning, "the file has a recipient its rule no longer wants, but .sops.yaml still lists (rekey needed)"},
		{IDUnknownRecipient, "unknown-recipient", Error, "the file has a recipient .sops.yaml does not list at all: a removed or unknown key can still decrypt it"},
		{IDPlaintextFile, "plaintext-file", Error, "a file a creation rule matches has no sops metadata: it is stored in plaintext"},
		{IDPlaintextValue, "plaintext-value", Error, "a value that should be encrypted is stored in plaintext"},
		{IDUnreadableFile, "unreadable-file", Error, "a sops file cannot be parsed (truncated or damaged metadata)"},
		{IDNoMAC, "no-mac", Error, "a sops file has no MAC: its integrity cannot be checked"},
		{IDGroupDrift, "key-group-drift", Error, "the file's key groups or Shamir threshold differ from what its rule wants"},
		{IDRuleUnusable, "rule-unusable", Error, "sops cannot use the rule that matches this file (an invalid key in it)"},
		{IDPolicyInvalid, "policy-invalid", Error, "keycycle.yaml does not parse or refers to something it does not define: its checks are skipped"},
		{IDMissingSecret, "missing-secret", Error, "a host's role or categories require a secret path that is not in the file it lives in"},
		{IDMissingFile, "missing-secrets-file", Error, "a host requires secrets from a file that does not exist"},
		{IDHostCannotRead, "host-cannot-decrypt", Error, "a host is not (or, after the next rekey, no longer) a recipient of a file holding a secret it requires: it fails at boot"},
		{IDExcessAccess, "excess-access", Warning, "least privilege: a host can decrypt a file it needs no secret from"},
		{IDHostNotInSops, "host-not-in-sops", Error, "a host in keycycle.yaml has no key in .sops.yaml"},
		{IDHostNotInPolicy, "host-not-in-policy", Warning, "a host key in .sops.yaml belongs to no host in keycycle.yaml"},
		{IDKeysInvalid, "keys-invalid", Error, ".keycycle/keys.yaml does not parse: key ages cannot be checked"},
		{IDKeysOutOfStep, "keys-out-of-step", Warning, ".keycycle/keys.yaml and .sops.yaml disagree on a key (missing on one side, or another name)"},
		{IDNoKeysFile, "no-keys-file", Warning, "keycycle.yaml sets a maximum key age but there is no .keycycle/keys.yaml to know ages from"},
		{IDRetiredKeyInUse, "retired-key-in-use", Error, "a key .keycycle/keys.yaml marks retired is still in .sops.yaml"},
		{IDKeyOverdue, "key-overdue", Error, "a key is older than the policy allows: its rotation is overdue"},
		{IDKeyDueSoon, "key-due-soon", Warning, "a key reaches its maximum age within the warning window"},
		{IDKeyAgeUnknown, "key-age-unknown", Warning, "the policy limits a key's age but its creation date is unknown"},
		{IDOpenRotation, "open-rotation", Warning, "a key rotation was started and is neither done nor aborted: both keys may be in the files"},
		{IDInterrupted, "interrupted-change", Error, "a change was stopped part way (a kill, a power cut): some files have it and some not, until a changing command finishes it"},
	}
	sort.Slice(k, func(i, j int) bool { return k[i].ID < k[j].ID })
	return k
}

// KindOf returns the Kind for an ID.
func KindOf(id string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.ID == id {
			return k, true
		}
	}
	return Kind{}, false
}
