package sopsfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"

	"github.com/keycycle/keycycle/internal/textutil"
)

// ValueOp is one change to the values of a file: set a string, remove a
// value (empty parent mappings go with it), or move a value or a subtree
// to another path. Paths are map keys from the top of the first document.
type ValueOp struct {
	Op    string // "set", "unset" or "move"
	Path  []string
	Value string   // set
	To    []string // move
}

// Set, Unset and Move make ValueOps.
func Set(path []string, value string) ValueOp { return ValueOp{Op: "set", Path: path, Value: value} }

// Unset removes the value at path.
func Unset(path []string) ValueOp { return ValueOp{Op: "unset", Path: path} }

// Move moves the value (or subtree) at from to to, which must be free.
func Move(from, to []string) ValueOp { return ValueOp{Op: "move", Path: from, To: to} }

// ErrNotFound means a path names no value of the file.
var ErrNotFound = errors.New("no such secret")

// EditValues returns the file with ops applied in order, as 'sops set'
// and 'sops unset' do: the same data key and recipients, every value
// encrypted anew, a new MAC and lastmodified. The output is verified in
// memory before it is returned: it parses, lists the same recipients,
// its MAC checks, and it decrypts to exactly the values intended.
// Nothing is written.
func EditValues(path string, data []byte, ops []ValueOp, opts EditOptions) ([]byte, error) {
	plain, dataKey, err := openTree(path, data, opts)
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if plain.Branches[0], err = applyOp(plain.Branches[0], op); err != nil {
			return nil, err
		}
	}
	want := copyBranches(plain.Branches)
	if err := common.EncryptTree(common.EncryptTreeOpts{DataKey: dataKey, Tree: plain, Cipher: aes.NewCipher()}); err != nil {
		return nil, fmt.Errorf("%s: cannot encrypt: %s", path, textutil.OneLine(err.Error()))
	}
	sc := loadStores(opts.ConfigPath)
	out, err := common.DefaultStoreForPath(sc, path).EmitEncryptedFile(*plain)
	if err != nil {
		return nil, fmt.Errorf("cannot write the sops file: %s", textutil.OneLine(err.Error()))
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

// GetValue returns the value at keyPath decrypted in memory, as sops-nix
// would install it: a string as it is, a number or boolean as text. A
// mapping or a list is refused (name one of its values).
func GetValue(path string, data []byte, keyPath []string, opts EditOptions) (string, error) {
	plain, _, err := openTree(path, data, opts)
	if err != nil {
		return "", err
	}
	v, ok := lookup(plain.Branches[0], keyPath)
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrNotFound, strings.Join(keyPath, "/"))
	}
	return scalarText(v, keyPath)
}

func scalarText(v any, keyPath []string) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case sops.TreeBranch, []any:
		return "", fmt.Errorf("%s holds several values, not one: name one below it", strings.Join(keyPath, "/"))
	case nil:
		return "", nil
	}
	return fmt.Sprint(v), nil
}

// PlainDocument returns a new plaintext document, in the format path
// implies, holding values (map keys → strings) in the order given. It is
// what change.NewFile wants; it stays in memory.
func PlainDocument(path string, values []ValueOp) ([]byte, error) {
	branch := sops.TreeBranch{}
	var err error
	for _, op := range values {
		if branch, err = applyOp(branch, op); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	store := common.StoreForFormat(formats.FormatForPath(path), config.NewStoresConfig())
	out, err := store.EmitPlainFile(sops.TreeBranches{branch})
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, textutil.OneLine(err.Error()))
	}
	return out, nil
}

func applyOp(b sops.TreeBranch, op ValueOp) (sops.TreeBranch, error) {
	if err := checkPath(op.Path); err != nil {
		return nil, err
	}
	name := strings.Join(op.Path, "/")
	switch op.Op {
	case "set":
		if !utf8.ValidString(op.Value) {
			return nil, fmt.Errorf("the value of %s is not UTF-8 text (sops stores text: encode it, e.g. with base64)", name)
		}
		if err := settable(b, op.Path); err != nil {
			return nil, err
		}
		b, _ = b.Set(anyPath(op.Path), op.Value)
		return b, nil
	case "unset":
		if _, ok := lookup(b, op.Path); !ok {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return unsetPruning(b, op.Path), nil
	case "move":
		if err := checkPath(op.To); err != nil {
			return nil, err
		}
		v, ok := lookup(b, op.Path)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		to := strings.Join(op.To, "/")
		if _, taken := lookup(b, op.To); taken {
			return nil, fmt.Errorf("%s already exists: remove it first", to)
		}
		if strings.HasPrefix(to+"/", name+"/") {
			return nil, fmt.Errorf("cannot move %s into itself (%s)", name, to)
		}
		b = unsetPruning(b, op.Path)
		if err := settable(b, op.To); err != nil {
			return nil, err
		}
		b, _ = b.Set(anyPath(op.To), copyValue(v))
		return b, nil
	}
	return nil, fmt.Errorf("unknown value operation %q", op.Op)
}

func checkPath(p []string) error {
	if len(p) == 0 {
		return errors.New("no key path")
	}
	for _, k := range p {
		if k == "" {
			return fmt.Errorf("%q is not a key path (an empty key)", strings.Join(p, "/"))
		}
	}
	if p[0] == "sops" {
		return errors.New("the top-level key sops is sops's own metadata")
	}
	return nil
}

// settable refuses a path that goes through a value that is not a
// mapping, or that names a mapping (setting it would drop what is below).
func settable(b sops.TreeBranch, p []string) error {
	var v any = b
	for i, k := range p {
		branch, ok := v.(sops.TreeBranch)
		if !ok {
			return fmt.Errorf("%s is a value, not a mapping: cannot set %s below it", strings.Join(p[:i], "/"), strings.Join(p, "/"))
		}
		found := false
		for _, item := range branch {
			if item.Key == k {
				v, found = item.Value, true
				break
			}
		}
		if !found {
			return nil
		}
	}
	switch v.(type) {
	case sops.TreeBranch, []any:
		return fmt.Errorf("%s holds several values: remove it first, or name one below it", strings.Join(p, "/"))
	}
	return nil
}

// unsetPruning removes the value at p (which exists) and every mapping
// the removal leaves empty.
func unsetPruning(b sops.TreeBranch, p []string) sops.TreeBranch {
	out := make(sops.TreeBranch, 0, len(b))
	for _, item := range b {
		if item.Key != p[0] {
			out = append(out, item)
			continue
		}
		if len(p) == 1 {
			continue
		}
		sub, ok := item.Value.(sops.TreeBranch)
		if !ok {
			out = append(out, item)
			continue
		}
		sub = unsetPruning(sub, p[1:])
		if len(sub) > 0 {
			out = append(out, sops.TreeItem{Key: item.Key, Value: sub})
		}
	}
	return out
}

func anyPath(p []string) []any {
	out := make([]any, len(p))
	for i, k := range p {
		out[i] = k
	}
	return out
}
