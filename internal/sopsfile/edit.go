package sopsfile

import (
	"errors"
	"fmt"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/cmd/sops/common"
)

// EditOptions says how to open a file for GetString and SetString.
type EditOptions struct {
	// ConfigPath is the repository's .sops.yaml (for its stores: section).
	ConfigPath string
	// Identities open the file's data key.
	Identities []age.Identity
}

// GetString returns the string at keyPath (map keys from the top of the
// first document) of the encrypted file, decrypted in memory, and whether
// it is there.
func GetString(path string, data []byte, keyPath []string, opts EditOptions) (string, bool, error) {
	plain, _, err := openTree(path, data, opts)
	if err != nil {
		return "", false, err
	}
	v, ok := lookup(plain.Branches[0], keyPath)
	if !ok {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", false, fmt.Errorf("%s: %v is not a string", path, keyPath)
	}
	return s, true, nil
}

// SetString returns the file with the string at keyPath set to value
// (maps made as needed), as 'sops set' does: the same data key and
// recipients, every value encrypted anew, a new MAC and lastmodified. The
// output is verified in memory before it is returned: it parses, lists
// the same recipients, its MAC checks, and it decrypts to the old values
// with only that one changed. Nothing is written.
func SetString(path string, data []byte, keyPath []string, value string, opts EditOptions) ([]byte, error) {
	if len(keyPath) == 0 {
		return nil, errors.New("no key path to set")
	}
	plain, dataKey, err := openTree(path, data, opts)
	if err != nil {
		return nil, err
	}
	p := make([]any, len(keyPath))
	for i, k := range keyPath {
		p[i] = k
	}
	plain.Branches[0], _ = plain.Branches[0].Set(p, value)
	want := copyBranches(plain.Branches)
	if err := common.EncryptTree(common.EncryptTreeOpts{DataKey: dataKey, Tree: plain, Cipher: aes.NewCipher()}); err != nil {
		return nil, fmt.Errorf("%s: cannot encrypt: %s", path, oneLine(err.Error()))
	}
	sc := loadStores(opts.ConfigPath)
	out, err := common.DefaultStoreForPath(sc, path).EmitEncryptedFile(*plain)
	if err != nil {
		return nil, fmt.Errorf("cannot write the sops file: %s", oneLine(err.Error()))
	}
	after, err := loadTree(path, out, sc)
	if err == nil && keyStrings(after.Metadata.KeyGroups) != keyStrings(plain.Metadata.KeyGroups) {
		err = errors.New("the recipients changed")
	}
	if err == nil {
		err = decryptTree(after, dataKey)
	}
	if err == nil && (len(after.Branches) != len(want) || !equalBranches(want, after.Branches)) {
		err = errors.New("the values differ from what was set")
	}
	if err != nil {
		return nil, fmt.Errorf("refusing to write %s: the edited file did not verify: %w", path, err)
	}
	return out, nil
}

// openTree loads and decrypts the file in memory, and returns its data
// key.
func openTree(path string, data []byte, opts EditOptions) (*sops.Tree, []byte, error) {
	tree, err := loadTree(path, data, loadStores(opts.ConfigPath))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	dataKey, err := openDataKey(tree, opts.Identities)
	if err != nil {
		return nil, nil, err
	}
	if err := decryptTree(tree, dataKey); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(tree.Branches) == 0 {
		tree.Branches = sops.TreeBranches{sops.TreeBranch{}}
	}
	return tree, dataKey, nil
}

func lookup(b sops.TreeBranch, keyPath []string) (any, bool) {
	var v any = b
	for _, k := range keyPath {
		branch, ok := v.(sops.TreeBranch)
		if !ok {
			return nil, false
		}
		found := false
		for _, item := range branch {
			if item.Key == k {
				v, found = item.Value, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return v, true
}

func equalBranches(a, b sops.TreeBranches) bool {
	for i := range a {
		if !a[i].Equals(b[i]) {
			return false
		}
	}
	return true
}
