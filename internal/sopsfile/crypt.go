package sopsfile

import (
	"errors"
	filippoage "filippo.io/age"
	"fmt"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/shamir"
	"github.com/getsops/sops/v3/version"
)

// EncryptOptions says how to encrypt a new file.
type EncryptOptions struct {
	// Groups are the age recipients of each key group.
	Groups          [][]string
	ShamirThreshold int
	// EncryptedRegex, when set, encrypts only matching keys.
	EncryptedRegex string
}

// Encrypt encrypts plaintext (in the format path implies) for the given
// recipients through the sops library, exactly as `sops encrypt` does, and
// returns the encrypted file. Nothing touches the disk.
func Encrypt(path string, plaintext []byte, opts EncryptOptions) ([]byte, error) {
	format := formats.FormatForPath(path)
	store := common.StoreForFormat(format, config.NewStoresConfig())
	branches, err := store.LoadPlainFile(plaintext)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot parse plaintext: %s", path, oneLine(err.Error()))
	}
	if len(branches) == 0 {
		return nil, fmt.Errorf("%s: empty file: sops needs at least one document", path)
	}
	var groups []sops.KeyGroup
	for _, g := range opts.Groups {
		var group sops.KeyGroup
		for _, r := range g {
			mk, err := age.MasterKeyFromRecipient(r)
			if err != nil {
				return nil, fmt.Errorf("recipient %q: %s", r, oneLine(err.Error()))
			}
			group = append(group, mk)
		}
		groups = append(groups, group)
	}
	tree := sops.Tree{
		Branches: branches,
		FilePath: path,
		Metadata: sops.Metadata{
			KeyGroups:         groups,
			ShamirThreshold:   opts.ShamirThreshold,
			UnencryptedSuffix: defaultUnencryptedSuffix(opts),
			EncryptedRegex:    opts.EncryptedRegex,
			Version:           version.Version,
		},
	}
	dataKey, errs := tree.GenerateDataKey()
	if len(errs) > 0 {
		return nil, fmt.Errorf("cannot wrap the data key: %v", errs)
	}
	if err := common.EncryptTree(common.EncryptTreeOpts{DataKey: dataKey, Tree: &tree, Cipher: aes.NewCipher()}); err != nil {
		return nil, err
	}
	return store.EmitEncryptedFile(tree)
}

func defaultUnencryptedSuffix(opts EncryptOptions) string {
	if opts.EncryptedRegex != "" {
		return ""
	}
	return sops.DefaultUnencryptedSuffix
}

// ErrNoIdentity means none of the given identities opens the data key.
var ErrNoIdentity = errors.New("no given identity opens the data key")

// Decrypt decrypts an encrypted file with the given age identities
// (AGE-SECRET-KEY-… strings), checking the MAC, and returns the plaintext
// in the file's own format. It is used to verify writes and in tests; the
// plaintext stays in memory.
func Decrypt(path string, data []byte, identities ...string) ([]byte, error) {
	format := formats.FormatForPath(path)
	store := common.StoreForFormat(format, config.NewStoresConfig())
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, oneLine(err.Error()))
	}
	var ids age.ParsedIdentities
	if err := ids.Import(identities...); err != nil {
		return nil, fmt.Errorf("cannot parse identity: %s", oneLine(err.Error()))
	}
	if len(ids) == 0 {
		// An empty set would make sops fall back to the environment.
		return nil, ErrNoIdentity
	}
	dataKey, err := dataKeyWith(tree.Metadata, ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := decryptTree(&tree, dataKey); err != nil {
		return nil, fmt.Errorf("%s: %s", path, err)
	}
	return store.EmitPlainFile(tree.Branches)
}

func decryptTree(tree *sops.Tree, dataKey []byte) error {
	cipher := aes.NewCipher()
	computed, err := tree.Decrypt(dataKey, cipher)
	if err != nil {
		return fmt.Errorf("cannot decrypt values: %s", oneLine(err.Error()))
	}
	fileMAC, err := cipher.Decrypt(tree.Metadata.MessageAuthenticationCode, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("cannot decrypt the MAC: %s", oneLine(err.Error()))
	}
	if fileMAC != computed {
		return fmt.Errorf("MAC mismatch: the file was changed outside sops")
	}
	return nil
}

// dataKeyWith recovers the data key with in-memory identities: each key
// group gives its part through the first age key the identities open, and
// several groups are combined with Shamir's scheme, as sops does.
func dataKeyWith(m sops.Metadata, ids age.ParsedIdentities) ([]byte, error) {
	return dataKeyCached(m, ids, nil)
}

// dataKeyCached is dataKeyWith with the identities' recipients from c
// (nil: computed here).
func dataKeyCached(m sops.Metadata, ids age.ParsedIdentities, c *RuleCache) ([]byte, error) {
	var parts [][]byte
	for _, g := range m.KeyGroups {
		if part := groupPart(g, ids, c); part != nil {
			parts = append(parts, part)
		}
	}
	if len(m.KeyGroups) <= 1 {
		if len(parts) != 1 {
			return nil, ErrNoIdentity
		}
		return parts[0], nil
	}
	need := m.ShamirThreshold
	if need == 0 {
		need = len(m.KeyGroups)
	}
	if len(parts) < need {
		return nil, ErrNoIdentity
	}
	key, err := shamir.Combine(parts)
	if err != nil {
		return nil, fmt.Errorf("cannot combine the key groups' parts: %s", err)
	}
	return key, nil
}

// groupPart returns the group's part of the data key. Stanzas whose
// recipient is one of ours are tried first with that identity alone (one
// X25519 operation), then every stanza with every identity, as sops does.
func groupPart(g sops.KeyGroup, ids age.ParsedIdentities, c *RuleCache) []byte {
	mine := map[string]filippoage.Identity{}
	for _, id := range ids {
		if x, ok := id.(*filippoage.X25519Identity); ok {
			mine[c.recipientOf(x)] = id
		}
	}
	for _, k := range g {
		if mk, ok := k.(*age.MasterKey); ok {
			if id, ok := mine[mk.Recipient]; ok {
				if part := tryKey(mk, age.ParsedIdentities{id}); part != nil {
					return part
				}
			}
		}
	}
	for _, k := range g {
		if mk, ok := k.(*age.MasterKey); ok {
			if part := tryKey(mk, ids); part != nil {
				return part
			}
		}
	}
	return nil
}

func tryKey(mk *age.MasterKey, ids age.ParsedIdentities) []byte {
	copyKey := *mk
	ids.ApplyToMasterKey(&copyKey)
	part, err := copyKey.Decrypt()
	if err != nil {
		return nil
	}
	return part
}

var _ keys.MasterKey = (*age.MasterKey)(nil)
