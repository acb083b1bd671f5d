package secret

import (
	"errors"
	"io/fs"
	"slices"
	"strings"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Kinds are the generator kinds --kind takes: the built-in ones (a
// command generator needs its command, which only keycycle.yaml gives).
func Kinds() []string {
	var out []string
	for _, k := range policy.GeneratorKinds {
		if k != policy.GenCommand {
			out = append(out, k)
		}
	}
	return out
}

// GenOptions are what 'secret generate' is told about the generator.
type GenOptions struct {
	// Kind is --kind: a built-in kind instead of keycycle.yaml's.
	Kind string
	// Length and Bytes, when > 0, override the generator's.
	Length, Bytes int
	// AddKey is --add-key: the value is to be registered as an age key.
	AddKey string
}

// GeneratorFor is the generator that makes path's value: o.Kind's (with
// its defaults) when keycycle.yaml declares none of that kind, else the
// declared one; o.Length and o.Bytes override it.
func (r *Repo) GeneratorFor(path string, o GenOptions) (*policy.Generator, error) {
	var declared *policy.Generator
	if r.Policy != nil {
		declared = r.Policy.Generator(path)
	}
	g := declared
	switch {
	case o.Kind == policy.GenCommand:
		return nil, textutil.Hintf("declare it in keycycle.yaml under generators: (docs/secrets.md)", "--kind command needs its command, which only keycycle.yaml gives")
	case o.Kind != "" && (declared == nil || declared.Kind != o.Kind):
		if !slices.Contains(Kinds(), o.Kind) {
			return nil, textutil.Hintf("use one of: "+strings.Join(Kinds(), ", "), "unknown --kind %q", o.Kind)
		}
		g = &policy.Generator{Path: path, Kind: o.Kind, Length: policy.DefaultPasswordLength, Alphabet: policy.DefaultAlphabet, Bytes: policy.DefaultBytes}
	case g == nil:
		return nil, textutil.Hintf("pass --kind KIND, or declare a generator for "+path+" under generators: in keycycle.yaml",
			"keycycle.yaml declares no generator for %s", path)
	}
	c := *g
	if o.Length > 0 {
		c.Length = o.Length
	}
	if o.Bytes > 0 {
		c.Bytes = o.Bytes
	}
	if o.AddKey != "" && c.Kind != policy.GenAgeKey {
		return nil, textutil.Hintf("drop --add-key, or generate with --kind age-key", "--add-key is for age-key values, not %s", c.Kind)
	}
	return &c, nil
}

// RefuseExisting refuses to replace the value at path in rel unless
// force.
func (r *Repo) RefuseExisting(rel, path string, force bool) error {
	f, err := sopsfile.Read(r.Abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return textutil.Hintf("name a sops-encrypted file", "%s: %v", rel, err)
	}
	if f.HasSecret(path) && !force {
		return textutil.Hintf("pass --force to replace it (the old value stays in the VCS history, encrypted)",
			"%s already holds %s", rel, path)
	}
	return nil
}

// RefuseRegistered refuses to make anew with g an age identity whose
// recipient .sops.yaml lists: the anchor would still name the old key.
func (r *Repo) RefuseRegistered(rel, path string, g *policy.Generator) error {
	if g.Kind != policy.GenAgeKey {
		return nil
	}
	f, err := sopsfile.Read(r.Abs(rel))
	if err != nil || !f.HasSecret(path) {
		return nil
	}
	anchor, err := r.RegisteredKey(rel, path)
	if err != nil {
		return textutil.WithHint(err, "set SOPS_AGE_KEY_FILE to a key that opens the file")
	}
	if anchor != "" {
		return textutil.Hintf("rotate it instead: 'keycycle rotate start "+anchor+"' replaces the key, its anchor and its files together",
			"%s in %s is the identity of &%s, which .sops.yaml lists: a new value would leave &%s naming the old key", path, rel, anchor, anchor)
	}
	return nil
}
