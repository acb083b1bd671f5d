// Package sopsfile is keycycle's only door to the sops library: it reads
// the metadata and the secret paths of sops-encrypted files without any
// private key, resolves the creation rule sops would apply to a file, and
// encrypts and decrypts through sops's own code. No other package imports
// github.com/getsops/sops (it pulls in every cloud SDK).
package sopsfile

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/keycycle/keycycle/internal/repo"
	"os"
	"strings"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/keycycle/keycycle/internal/textutil"
)

// FormatForPath returns the store sops uses for path by default (by a
// case-sensitive extension, as sops decides).
func FormatForPath(path string) repo.Format {
	switch formats.FormatForPath(path) {
	case formats.Yaml:
		return repo.FormatYAML
	case formats.Json:
		return repo.FormatJSON
	case formats.Dotenv:
		return repo.FormatDotenv
	case formats.Ini:
		return repo.FormatINI
	}
	return repo.FormatBinary
}

// Read reads path and returns its metadata and secret paths. A file with
// no sops metadata gives ErrNoMetadata.
func Read(path string) (*repo.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Read on bytes already in memory; path chooses the format.
func Parse(path string, data []byte) (f *repo.File, err error) {
	defer func() {
		// The stores are not written for hostile input; a panic in them
		// must become an error, never reach the user.
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("malformed sops file (%v)", r)
		}
	}()
	format := FormatForPath(path)
	store := common.StoreForFormat(formats.FormatFromString(string(format)), config.NewStoresConfig())
	tree, err := store.LoadEncryptedFile(data)
	if err != nil && format == repo.FormatBinary {
		// A copy such as shared.yaml.bak: sops would need --input-type,
		// but for reading its metadata the content tells the format.
		for _, f := range []repo.Format{repo.FormatYAML, repo.FormatJSON} {
			st := common.StoreForFormat(formats.FormatFromString(string(f)), config.NewStoresConfig())
			if t, err2 := st.LoadEncryptedFile(data); err2 == nil {
				tree, err, format = t, nil, f
				break
			}
		}
	}
	if err != nil {
		if errors.Is(err, sops.MetadataNotFound) || strings.Contains(err.Error(), string(sops.MetadataNotFound)) {
			return nil, missingMetadata(data)
		}
		return nil, fmt.Errorf("cannot read as a sops %s file: %s", format, oneLine(err.Error()))
	}
	f = &repo.File{Path: path, Format: format, Meta: metadataOf(tree.Metadata)}
	f.Secrets = secretsOf(tree)
	return f, nil
}

// macDigest stands for the encrypted MAC in repo.Metadata: equal digests
// mean equal MACs, in 32 bytes instead of the MAC's ~230, for every file
// of a repository held in memory.
func macDigest(mac string) string {
	if mac == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(mac))
	return string(sum[:])
}

// oneLine is textutil.OneLine under the name this package's files use.
func oneLine(s string) string { return textutil.OneLine(s) }

func metadataOf(m sops.Metadata) repo.Metadata {
	out := repo.Metadata{
		ShamirThreshold:         m.ShamirThreshold,
		LastModified:            m.LastModified,
		HasMAC:                  m.MessageAuthenticationCode != "",
		MAC:                     macDigest(m.MessageAuthenticationCode),
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

func groupsOf(groups []sops.KeyGroup) [][]repo.MasterKey {
	out := make([][]repo.MasterKey, 0, len(groups))
	for _, g := range groups {
		keys := make([]repo.MasterKey, 0, len(g))
		for _, k := range g {
			keys = append(keys, repo.MasterKey{Type: keyType(k.TypeToIdentifier()), ID: k.ToString()})
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
