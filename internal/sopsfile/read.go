// Package sopsfile is keycycle's only door to the sops library: it reads
// the metadata and the secret paths of sops-encrypted files without any
// private key, resolves the creation rule sops would apply to a file, and
// encrypts and decrypts through sops's own code. No other package imports
// github.com/getsops/sops (it pulls in every cloud SDK).
package sopsfile

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
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

// FormatForPath returns the store sops uses for path by default (by a
// case-sensitive extension, as sops decides).
func FormatForPath(path string) Format {
	switch formats.FormatForPath(path) {
	case formats.Yaml:
		return FormatYAML
	case formats.Json:
		return FormatJSON
	case formats.Dotenv:
		return FormatDotenv
	case formats.Ini:
		return FormatINI
	}
	return FormatBinary
}

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
	Version         string        `json:"version"`
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
func (s Secret) Name() string { return strings.Join(s.Path, "/") }

// File is what can be known of an encrypted file without a private key.
type File struct {
	Path    string   `json:"path"`
	Format  Format   `json:"format"`
	Meta    Metadata `json:"metadata"`
	Secrets []Secret `json:"secrets"`
}

// ErrNoMetadata means the file has no sops metadata: it is plaintext.
var ErrNoMetadata = errors.New("no sops metadata: the file is not encrypted")

// Read reads path and returns its metadata and secret paths. A file with
// no sops metadata gives ErrNoMetadata.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Read on bytes already in memory; path chooses the format.
func Parse(path string, data []byte) (f *File, err error) {
	defer func() {
		// The stores are not written for hostile input; a panic in them
		// must become an error, never reach the user.
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%s: malformed sops file (%v)", path, r)
		}
	}()
	format := FormatForPath(path)
	store := common.StoreForFormat(formats.FormatFromString(string(format)), config.NewStoresConfig())
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		if errors.Is(err, sops.MetadataNotFound) || strings.Contains(err.Error(), string(sops.MetadataNotFound)) {
			return nil, ErrNoMetadata
		}
		return nil, fmt.Errorf("%s: cannot read as a sops %s file: %s", path, format, oneLine(err.Error()))
	}
	f = &File{Path: path, Format: format, Meta: metadataOf(tree.Metadata)}
	f.Secrets = secretsOf(tree)
	return f, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func metadataOf(m sops.Metadata) Metadata {
	out := Metadata{
		ShamirThreshold:         m.ShamirThreshold,
		LastModified:            m.LastModified,
		HasMAC:                  m.MessageAuthenticationCode != "",
		Version:                 m.Version,
		UnencryptedSuffix:       m.UnencryptedSuffix,
		EncryptedSuffix:         m.EncryptedSuffix,
		UnencryptedRegex:        m.UnencryptedRegex,
		EncryptedRegex:          m.EncryptedRegex,
		UnencryptedCommentRegex: m.UnencryptedCommentRegex,
		EncryptedCommentRegex:   m.EncryptedCommentRegex,
		MACOnlyEncrypted:        m.MACOnlyEncrypted,
	}
	out.Groups = groupsOf(m.KeyGroups)
	return out
}

func groupsOf(groups []sops.KeyGroup) [][]MasterKey {
	out := make([][]MasterKey, 0, len(groups))
	for _, g := range groups {
		keys := make([]MasterKey, 0, len(g))
		for _, k := range g {
			keys = append(keys, MasterKey{Type: keyType(k.TypeToIdentifier()), ID: k.ToString()})
		}
		out = append(out, keys)
	}
	return out
}

// keyType maps sops's internal identifiers to the .sops.yaml field names.
func keyType(id string) string {
	if id == "azure_kv" {
		return "azure_keyvault"
	}
	return id
}
