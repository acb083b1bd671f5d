package sopsfile

import (
	"bytes"
	"fmt"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"

	"github.com/keycycle/keycycle/internal/repo"
)

// openDataKey returns a file's data key. The age identities keycycle
// found (in memory) are tried first. When they open nothing and the file
// has master keys of other kinds, sops's own key sources are asked, as
// 'sops decrypt' asks them: PGP through gpg and $GNUPGHOME, AWS, GCP and
// Azure KMS, HashiCorp Vault and Huawei KMS with the credentials the
// environment gives. The error is a *NoIdentityError naming the keys
// that can open the file.
func openDataKey(tree *sops.Tree, ids []age.Identity) ([]byte, error) {
	if len(ids) > 0 {
		if key, err := dataKeyWith(tree.Metadata, sopsage.ParsedIdentities(ids)); err == nil {
			return key, nil
		}
	}
	if hasOtherKeys(tree.Metadata) {
		m := tree.Metadata
		m.DataKey = nil
		if key, err := m.GetDataKey(); err == nil {
			return key, nil
		}
	}
	return nil, errNoIdentity(tree)
}

// hasOtherKeys tells whether a master key of the file is not an age key
// (the age identities sops would find are those keycycle found).
func hasOtherKeys(m sops.Metadata) bool {
	for _, g := range m.KeyGroups {
		for _, k := range g {
			if _, ok := k.(*sopsage.MasterKey); !ok {
				return true
			}
		}
	}
	return false
}

// missingMetadata is the error for a file without sops metadata: a
// plaintext file (repo.ErrNoMetadata), unless it holds values sops
// encrypted — then its metadata was lost (a truncated or half-merged
// file), and encrypting it again would be wrong.
func missingMetadata(data []byte) error {
	if bytes.Contains(data, []byte("ENC[AES256_GCM,")) {
		return fmt.Errorf("%w: the file holds encrypted values (ENC[…]) but no sops metadata (cut short, or by a merge)", repo.ErrDamaged)
	}
	return repo.ErrNoMetadata
}

// SameDataKey tells whether two versions of a file (path names its
// format) have the same data key, each opened as Rekey opens it. known
// is false when either version does not open.
func SameDataKey(path string, a, b []byte, ids []age.Identity) (same, known bool) {
	var keys [2][]byte
	for i, data := range [][]byte{a, b} {
		tree, err := loadTree(path, data, config.NewStoresConfig())
		if err != nil {
			return false, false
		}
		if keys[i], err = openDataKey(tree, ids); err != nil {
			return false, false
		}
	}
	return bytes.Equal(keys[0], keys[1]), true
}
