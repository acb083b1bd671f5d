// Package repo is the read-only model of a SOPS secrets repository: its
// .sops.yaml, every file a creation rule matches or that carries sops
// metadata, what each file's metadata says and what its rule wants. It
// does not import the sops library: reading encrypted files is handed to
// a Backend (internal/sopsfile in the binary), so the packages that build
// on this one compile and test in seconds.
package repo

import (
	"time"

	"github.com/keycycle/keycycle/internal/secret/keypath"
)

// Format is a sops store: yaml, json, dotenv, ini or binary.
type Format string

// The formats sops reads, chosen from a file's extension as sops does.
const (
	FormatYAML   Format = "yaml"
	FormatJSON   Format = "json"
	FormatDotenv Format = "dotenv"
	FormatINI    Format = "ini"
	FormatBinary Format = "binary"
)

// MasterKey is one recipient of a file's data key, as its metadata says.
type MasterKey struct {
	// Type is the sops key group field: age, pgp, kms, gcp_kms, hckms,
	// azure_keyvault or hc_vault.
	Type string `json:"type"`
	// ID is the recipient (age), fingerprint (pgp), ARN, resource ID or
	// URL that names the key.
	ID string `json:"id"`
}

// String returns "type:id".
func (k MasterKey) String() string { return k.Type + ":" + k.ID }

// Metadata is the plaintext `sops` block of an encrypted file.
type Metadata struct {
	Groups          [][]MasterKey `json:"key_groups"`
	ShamirThreshold int           `json:"shamir_threshold,omitempty"`
	LastModified    time.Time     `json:"lastmodified"`
	HasMAC          bool          `json:"has_mac"`
	// MAC is a digest (SHA-256) of the encrypted MAC as written: it
	// changes when the values are encrypted again, and only then. Only
	// its equality means something.
	MAC     string `json:"-"`
	Version string `json:"version"`
	// The encryption selectors in force for this file.
	UnencryptedSuffix       string `json:"unencrypted_suffix,omitempty"`
	EncryptedSuffix         string `json:"encrypted_suffix,omitempty"`
	UnencryptedRegex        string `json:"unencrypted_regex,omitempty"`
	EncryptedRegex          string `json:"encrypted_regex,omitempty"`
	UnencryptedCommentRegex string `json:"unencrypted_comment_regex,omitempty"`
	EncryptedCommentRegex   string `json:"encrypted_comment_regex,omitempty"`
	MACOnlyEncrypted        bool   `json:"mac_only_encrypted,omitempty"`
}

// Recipients returns every age recipient in the metadata, in order, once.
func (m *Metadata) Recipients() []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range m.Groups {
		for _, k := range g {
			if k.Type == "age" && !seen[k.ID] {
				seen[k.ID] = true
				out = append(out, k.ID)
			}
		}
	}
	return out
}

// Secret is one leaf of an encrypted file's tree.
type Secret struct {
	// Path is the key path, e.g. ["passwords", "rain"]; list items are
	// written as their index.
	Path []string `json:"path"`
	// Encrypted is true when the value is an ENC[…] string.
	Encrypted bool `json:"encrypted"`
	// ShouldEncrypt is true when the file's selectors say the value must
	// be encrypted. Unknown (comment-regex selectors) counts as false.
	ShouldEncrypt bool `json:"should_encrypt"`
}

// Name returns the path joined with '/', as sops-nix names secrets.
func (s Secret) Name() string { return keypath.Format(s.Path) }

// HasSecret says whether the file holds the secret path, or secrets
// below it (a path naming a mapping).
func (f *File) HasSecret(path string) bool {
	for _, s := range f.Secrets {
		if keypath.Within(s.Name(), path) {
			return true
		}
	}
	return false
}

// File is what can be known of an encrypted file without a private key.
type File struct {
	Path    string   `json:"path"`
	Format  Format   `json:"format"`
	Meta    Metadata `json:"metadata"`
	Secrets []Secret `json:"secrets"`
}

// Wanted is what a creation rule asks for a file, as sops's own config
// loader resolves it (anchors, flat key fields, merge, duplicates).
type Wanted struct {
	Groups          [][]MasterKey `json:"key_groups"`
	ShamirThreshold int           `json:"shamir_threshold,omitempty"`
}

// Recipients returns every age recipient the rule wants, in order, once.
func (w *Wanted) Recipients() []string {
	m := Metadata{Groups: w.Groups}
	return m.Recipients()
}
