package inventory

import (
	"time"

	"github.com/keycycle/keycycle/internal/policy"
)

// Schema names the JSON document WriteJSON writes.
const Schema = "keycycle.inventory/v1"

// Kind is what a key probably stands for, guessed from its place in
// .sops.yaml and its name.
type Kind string

// The kinds of keys.
const (
	KindHost    Kind = "host"
	KindUser    Kind = "user"
	KindAdmin   Kind = "admin"
	KindBackup  Kind = "backup"
	KindUnknown Kind = "unknown"
)

// KeyStatus says where a key is known from.
type KeyStatus string

// The key statuses.
const (
	// KeyActive is a key listed in .sops.yaml that a creation rule uses.
	KeyActive KeyStatus = "active"
	// KeyOrphan is a key listed under keys: that no creation rule uses.
	KeyOrphan KeyStatus = "orphan"
	// KeyInline is a key written in a creation rule, not under keys:.
	KeyInline KeyStatus = "inline"
	// KeyUnlisted is a recipient found only in files' sops metadata:
	// .sops.yaml does not mention it, yet it can decrypt those files.
	KeyUnlisted KeyStatus = "unlisted"
)

// Key is one distinct recipient.
type Key struct {
	// Name is the anchor name ("" when the key has none).
	Name string
	// Aliases are further anchor names holding the same recipient.
	Aliases []string
	// Group is the path of mapping keys and group anchors above the
	// key under keys: (see sopsconfig.Anchor.Group).
	Group []string
	// Recipient is the key as sops identifies it: the age recipient,
	// the PGP fingerprint, the KMS ARN, …
	Recipient string
	// Type is the sops key group field: age, pgp, kms, gcp_kms, hckms,
	// azure_keyvault, hc_vault, or "unknown".
	Type string
	// KeyType refines Type: for age keys the recipient kind (x25519,
	// pq, plugin, ssh-ed25519, ssh-rsa, or invalid), else Type.
	KeyType string
	// Kind is the guessed role of the key.
	Kind Kind
	// Status says where the key is known from.
	Status KeyStatus
	// Files counts the files whose metadata lists the key: the files it
	// can decrypt today.
	Files int
	// Wanted counts the files whose creation rule wants the key.
	Wanted int
	// Line is the key's line in .sops.yaml, 0 when it is not there.
	Line int
	// Created, Due and Age come from the policy (AddAges); Age is ""
	// when .keycycle/keys.yaml does not list the key.
	Created *time.Time
	Due     *time.Time
	Age     policy.AgeStatus
}

// FileStatus sums up one file of the access matrix.
type FileStatus string

// The file statuses.
const (
	// FileOK: the metadata lists exactly the keys the rule wants.
	FileOK FileStatus = "ok"
	// FileDrift: keys differ from the rule's; a rekey is needed.
	FileDrift FileStatus = "drift"
	// FileNoRule: encrypted, but no creation rule matches it.
	FileNoRule FileStatus = "no-rule"
	// FileRuleError: a rule matches but sops cannot use it.
	FileRuleError FileStatus = "rule-error"
	// FilePlaintext: a rule matches but the file is not encrypted.
	FilePlaintext FileStatus = "plaintext"
	// FileUnreadable: the file could not be read or parsed.
	FileUnreadable FileStatus = "unreadable"
)

// Access is one cell of the matrix.
type Access struct {
	// Key is the index of the key in Inventory.Keys (0-based).
	Key int
	// Has is true when the file's metadata lists the key: the key can
	// decrypt the file today.
	Has bool
	// Wanted is true when the file's creation rule lists the key.
	Wanted bool
}

// Extra reports a key that can decrypt the file but that the rule does
// not want: it keeps access until the file is rekeyed.
func (a Access) Extra() bool { return a.Has && !a.Wanted }

// Missing reports a key the rule wants that the file is not encrypted
// for: it cannot decrypt the file until the file is rekeyed.
func (a Access) Missing() bool { return a.Wanted && !a.Has }

// File is one row of the matrix.
type File struct {
	// Path is relative to the repository root, slash-separated.
	Path string
	// Rule is the index of the matching creation rule (0-based), -1 for
	// none.
	Rule int
	// Status sums the row up.
	Status FileStatus
	// Error says why the file or its rule could not be used.
	Error string
	// Access lists the keys the file has or wants, in key order; a key
	// that is in neither is left out.
	Access []Access
	// RuleKnown is true when the rule's wanted keys are known, so Has
	// and Wanted can be compared.
	RuleKnown bool
}

// Extra counts the keys that can decrypt the file but are not wanted.
func (f *File) Extra() int {
	n := 0
	for _, a := range f.Access {
		if a.Extra() {
			n++
		}
	}
	return n
}

// Missing counts the keys wanted but not in the file.
func (f *File) Missing() int {
	n := 0
	for _, a := range f.Access {
		if a.Missing() {
			n++
		}
	}
	return n
}

// Cell returns the access of key k to the file (zero when none).
func (f *File) Cell(k int) Access {
	for _, a := range f.Access {
		if a.Key == k {
			return a
		}
	}
	return Access{Key: k}
}

// Inventory is who can decrypt what in one repository.
type Inventory struct {
	// Root is the repository folder.
	Root string
	// Config is the .sops.yaml path relative to Root.
	Config string
	// ConfigError is why .sops.yaml could not be read ("" when it was).
	ConfigError string
	// Keys are listed keys in .sops.yaml order, then inline keys in
	// rule order, then unlisted ones in file order.
	Keys []*Key
	// Files are every secrets file, sorted by path.
	Files []*File
}
