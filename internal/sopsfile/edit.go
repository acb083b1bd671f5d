package sopsfile

import (
	"fmt"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
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
// (maps made as needed): EditValues with one Set.
func SetString(path string, data []byte, keyPath []string, value string, opts EditOptions) ([]byte, error) {
	return EditValues(path, data, []ValueOp{Set(keyPath, value)}, opts)
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
