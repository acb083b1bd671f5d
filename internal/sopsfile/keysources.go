package sopsfile

import (
	"filippo.io/age"
	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
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
