package sopsfile

import (
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"

	"github.com/keycycle/keycycle/internal/repo"
)

// RekeyOptions says how to rekey one file.
type RekeyOptions struct {
	// ConfigPath is the .sops.yaml whose creation rule applies.
	ConfigPath string
	// Identities open the current data key.
	Identities []age.Identity
	// RotateDataKey replaces the data key and re-encrypts every value
	// (what `sops rotate` does) even when no recipient leaves.
	RotateDataKey bool
	// KeepDataKey keeps the data key even when a recipient leaves (what
	// `sops updatekeys` does). The default gives a new data key on every
	// removal, so a removed key that saw the old data key learns nothing.
	KeepDataKey bool
	// Cache, with Rule (the creation rule's index, from sopsconfig.Match,
	// or -1), spares re-reading .sops.yaml for every file of a run.
	Cache *RuleCache
	Rule  int
	// RulePath, when set, is the path sops matches against the creation
	// rules instead of the file's own (MemConfig.RulePath).
	RulePath string
}

// RekeyResult is what Rekey did, or would do, to one file.
type RekeyResult struct {
	// Changed is false when the file already matches its rule (and no
	// rotation was asked): Output is then nil and nothing must be written.
	Changed bool
	Added   []repo.MasterKey
	Removed []repo.MasterKey
	// ThresholdFrom and ThresholdTo differ when the Shamir threshold moves.
	ThresholdFrom, ThresholdTo int
	// DataKeyRotated is true when the data key was replaced.
	DataKeyRotated bool
	// Output is the new file, verified: it decrypts to the same values.
	Output []byte
}

// PlanRekey compares the file with its rule without any private key.
func PlanRekey(path string, data []byte, opts RekeyOptions) (*RekeyResult, error) {
	tree, conf, err := loadForRekey(path, data, opts)
	if err != nil {
		return nil, err
	}
	return plan(tree, conf, opts), nil
}

func plan(tree *sops.Tree, conf *config.Config, opts RekeyOptions) *RekeyResult {
	res := &RekeyResult{ThresholdFrom: tree.Metadata.ShamirThreshold}
	res.ThresholdTo = min(tree.Metadata.ShamirThreshold, len(conf.KeyGroups))
	for _, d := range common.DiffKeyGroups(tree.Metadata.KeyGroups, conf.KeyGroups) {
		res.Added = append(res.Added, masterKeys(d.Added)...)
		res.Removed = append(res.Removed, masterKeys(d.Removed)...)
	}
	res.Changed = len(res.Added) > 0 || len(res.Removed) > 0 || res.ThresholdFrom != res.ThresholdTo || opts.RotateDataKey
	res.DataKeyRotated = opts.RotateDataKey || (len(res.Removed) > 0 && !opts.KeepDataKey)
	return res
}

func masterKeys(ks []keys.MasterKey) []repo.MasterKey {
	out := make([]repo.MasterKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, repo.MasterKey{Type: keyType(k.TypeToIdentifier()), ID: k.ToString()})
	}
	return out
}

func loadForRekey(path string, data []byte, opts RekeyOptions) (*sops.Tree, *config.Config, error) {
	tree, err := loadTree(path, data, opts.Cache.storesConfig(opts.ConfigPath))
	if err != nil {
		return nil, nil, err
	}
	conf, err := ruleFor(path, opts)
	if err != nil {
		return nil, nil, err
	}
	return tree, conf, nil
}

// ruleFor is the creation rule sops applies to the file (at RulePath
// when set), refused when it leaves a key group, or the file, with no
// recipient.
func ruleFor(path string, opts RekeyOptions) (*config.Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if opts.RulePath != "" {
		abs = opts.RulePath
	}
	conf, err := opts.Cache.creationRule(opts.ConfigPath, abs, opts.Rule)
	if err != nil {
		if strings.Contains(err.Error(), "no matching creation rules") {
			return nil, repo.ErrNoRule
		}
		return nil, errors.New(oneLine(err.Error()))
	}
	if conf == nil {
		return nil, repo.ErrNoRule
	}
	if len(conf.KeyGroups) == 0 {
		return nil, fmt.Errorf("its creation rule has no keys: refusing to leave the file with no recipient")
	}
	for i, g := range conf.KeyGroups {
		if len(g) == 0 {
			return nil, fmt.Errorf("key group %d of its creation rule is empty: refusing to leave the file with no recipient", i+1)
		}
	}
	return conf, nil
}

func loadTree(path string, data []byte, sc *config.StoresConfig) (*sops.Tree, error) {
	store := common.DefaultStoreForPath(sc, path)
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		if strings.Contains(err.Error(), string(sops.MetadataNotFound)) {
			return nil, missingMetadata(data)
		}
		return nil, fmt.Errorf("%w (cut short or edited by hand?): %s", repo.ErrDamaged, oneLine(err.Error()))
	}
	tree.FilePath = path
	return &tree, nil
}

// Rekey makes the file carry exactly the recipients its creation rule
// wants, as `sops updatekeys` does, keeping the wrapped data key of every
// recipient that stays; when a recipient leaves (or RotateDataKey is set)
// it makes a new data key and re-encrypts every value, as `sops rotate`.
// The output is verified in memory before it is returned: it parses, its
// MAC checks, it decrypts to the same values, and it lists exactly the
// wanted recipients. Nothing is written. A YAML file whose rule only adds
// age recipients takes the add fast path (addfast.go), verified its own
// way; everything else, and anything that path does not recognise, goes
// the general way.
func Rekey(path string, data []byte, opts RekeyOptions) (*RekeyResult, error) {
	l := ageListOf(path, data) // one YAML decode, for both fast paths
	if res, ok := addFast(path, data, opts, l); ok {
		return res, nil
	}
	return rekeyGeneral(path, data, opts, l)
}

// rekeyGeneral is Rekey through sops's store: load, rewrap or rotate,
// emit (or splice, when l, the file's age list, allows) and verify by a
// full decrypt of the output.
func rekeyGeneral(path string, data []byte, opts RekeyOptions, l *ageList) (*RekeyResult, error) {
	out, conf, err := loadForRekey(path, data, opts)
	if err != nil {
		return nil, err
	}
	res := plan(out, conf, opts)
	if !res.Changed {
		return res, nil
	}
	dataKey, err := openDataKey(out, opts.Identities)
	if err != nil {
		return nil, err
	}
	// One parse: the plaintext is a deep copy of the encrypted tree,
	// decrypted in memory; "before" is kept for the comparison.
	plain := *out
	plain.Branches = copyBranches(out.Branches)
	if err := decryptTree(&plain, dataKey); err != nil {
		return nil, err
	}
	before := copyBranches(plain.Branches)
	sc := opts.Cache.storesConfig(opts.ConfigPath)
	if res.DataKeyRotated {
		if err := rotate(&plain, conf, res.ThresholdTo); err != nil {
			return nil, err
		}
		// The input's bytes with sops's new ciphertexts, when the layout
		// allows; verified as the emitted file would be.
		if spliced := spliceRotated(l, data, out, &plain); spliced != nil &&
			verify(path, before, spliced, sc, conf, plain.Metadata.DataKey) == nil {
			res.Output = spliced
			return res, nil
		}
		out = &plain
	} else if err := rewrap(out, conf, res.ThresholdTo, dataKey); err != nil {
		return nil, err
	}
	res.Output, err = common.DefaultStoreForPath(sc, path).EmitEncryptedFile(*out)
	if err != nil {
		return nil, fmt.Errorf("cannot write the sops file: %s", oneLine(err.Error()))
	}
	if err := verify(path, before, res.Output, sc, conf, out.Metadata.DataKey); err != nil {
		return nil, fmt.Errorf("refusing to write: the rekeyed file did not verify: %w", err)
	}
	return res, nil
}

func errNoIdentity(tree *sops.Tree) error {
	var rs []string
	for _, g := range tree.Metadata.KeyGroups {
		for _, k := range g {
			rs = append(rs, k.ToString())
		}
	}
	return &NoIdentityError{Recipients: rs}
}

// NoIdentityError means none of the identities found opens the file.
type NoIdentityError struct {
	// Recipients are the keys that can open the file.
	Recipients []string
}

func (e *NoIdentityError) Error() string {
	return "no identity found opens this file; it can be opened by: " + strings.Join(e.Recipients, ", ")
}

// rewrap sets the rule's key groups keeping the data key. With one group,
// every recipient that stays keeps its existing stanza and only new ones
// are wrapped; several groups split the data key anew (Shamir), so every
// recipient is wrapped again.
func rewrap(tree *sops.Tree, conf *config.Config, threshold int, dataKey []byte) error {
	old := tree.Metadata.KeyGroups
	tree.Metadata.KeyGroups = conf.KeyGroups
	tree.Metadata.ShamirThreshold = threshold
	if len(conf.KeyGroups) == 1 && len(old) == 1 {
		kept := map[string]keys.MasterKey{}
		for _, k := range old[0] {
			kept[k.ToString()] = k
		}
		group := make(sops.KeyGroup, 0, len(conf.KeyGroups[0]))
		for _, k := range conf.KeyGroups[0] {
			if prev, ok := kept[k.ToString()]; ok && len(prev.EncryptedDataKey()) > 0 {
				k = prev
			} else if err := k.Encrypt(dataKey); err != nil {
				return fmt.Errorf("cannot wrap the data key for %s: %s", k.ToString(), oneLine(err.Error()))
			}
			group = append(group, k)
		}
		tree.Metadata.KeyGroups = []sops.KeyGroup{group}
		tree.Metadata.DataKey = dataKey
		return nil
	}
	if errs := tree.Metadata.UpdateMasterKeys(dataKey); len(errs) > 0 {
		return fmt.Errorf("cannot wrap the data key: %v", errs)
	}
	return nil
}

// rotate gives a decrypted tree a new data key, wraps it for the rule's
// recipients and encrypts every value again (new IVs, MAC, lastmodified).
func rotate(tree *sops.Tree, conf *config.Config, threshold int) error {
	tree.Metadata.KeyGroups = conf.KeyGroups
	tree.Metadata.ShamirThreshold = threshold
	newKey := make([]byte, 32)
	if _, err := rand.Read(newKey); err != nil {
		return err
	}
	if errs := tree.Metadata.UpdateMasterKeys(newKey); len(errs) > 0 {
		return fmt.Errorf("cannot wrap the new data key: %v", errs)
	}
	return common.EncryptTree(common.EncryptTreeOpts{DataKey: newKey, Tree: tree, Cipher: aes.NewCipher()})
}

// verify proves the new bytes parse, carry a MAC that checks under the
// data key they were made with, decrypt to exactly the plaintext the old
// file held, and list exactly the recipients the rule wants.
func verify(path string, before sops.TreeBranches, newData []byte, sc *config.StoresConfig, conf *config.Config, dataKey []byte) error {
	after, err := loadTree(path, newData, sc)
	if err != nil {
		return err
	}
	if want, have := keyStrings(conf.KeyGroups), keyStrings(after.Metadata.KeyGroups); want != have {
		return fmt.Errorf("recipients %s, want %s", have, want)
	}
	if err := decryptTree(after, dataKey); err != nil {
		return err
	}
	if len(before) != len(after.Branches) {
		return errors.New("the number of documents changed")
	}
	for i := range before {
		if !before[i].Equals(after.Branches[i]) {
			return errors.New("the values differ from the original")
		}
	}
	return nil
}

// copyBranches deep-copies a tree so that one copy can be decrypted or
// re-encrypted in place while the other stays as it was.
func copyBranches(bs sops.TreeBranches) sops.TreeBranches {
	out := make(sops.TreeBranches, len(bs))
	for i, b := range bs {
		out[i] = copyValue(b).(sops.TreeBranch)
	}
	return out
}

func copyValue(v any) any {
	switch v := v.(type) {
	case sops.TreeBranch:
		out := make(sops.TreeBranch, len(v))
		for i, item := range v {
			out[i] = sops.TreeItem{Key: copyValue(item.Key), Value: copyValue(item.Value)}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = copyValue(item)
		}
		return out
	case []byte:
		return append([]byte(nil), v...)
	}
	return v // strings, numbers, booleans, times, comments: values
}

func keyStrings(groups []sops.KeyGroup) string {
	var parts []string
	for _, g := range groups {
		var ks []string
		for _, k := range g {
			ks = append(ks, k.ToString())
		}
		sort.Strings(ks)
		parts = append(parts, "["+strings.Join(ks, " ")+"]")
	}
	return strings.Join(parts, " ")
}
