package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/secret/keypath"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Revocation is a revocation found in the audit log and the secrets
// whose values the removed key could read.
type Revocation struct {
	Entry   audit.Entry
	Exposed []audit.SecretRef
	// Since are the exposed secrets a later entry already set, generated
	// or regenerated: their values are new.
	Since []audit.SecretRef
}

// FindRevocation finds the revocation in the log: the entry numbered seq
// (when seq > 0), else the newest entry that removed key (an anchor name
// or a recipient).
func FindRevocation(recs []audit.Record, key string, seq int) (*Revocation, error) {
	idx := -1
	for i := len(recs) - 1; i >= 0 && idx < 0; i-- {
		e := recs[i].Entry
		if recs[i].Err != nil {
			continue
		}
		if seq > 0 {
			if e.Seq == seq {
				idx = i
			}
			continue
		}
		for _, r := range e.Removed {
			if r.Name == key || r.Recipient == key {
				idx = i
			}
		}
	}
	switch {
	case idx < 0 && seq > 0:
		return nil, fmt.Errorf("the audit log has no entry #%d", seq)
	case idx < 0:
		return nil, fmt.Errorf("no entry of the audit log removed %s", key)
	}
	rv := &Revocation{Entry: recs[idx].Entry, Exposed: recs[idx].Entry.Exposed}
	if len(rv.Entry.Removed) == 0 && len(rv.Exposed) == 0 {
		return nil, fmt.Errorf("audit entry #%d (%s) removed no key", rv.Entry.Seq, rv.Entry.Command)
	}
	changed := map[audit.SecretRef]bool{}
	for _, rec := range recs[idx+1:] {
		for _, s := range rec.Entry.Secrets {
			switch s.Action {
			case "set", "generate", "regenerate", "move":
				changed[audit.SecretRef{File: s.File, Path: s.Path}] = true
			}
		}
	}
	var fresh []audit.SecretRef
	for _, s := range rv.Exposed {
		if changed[s] {
			rv.Since = append(rv.Since, s)
		} else {
			fresh = append(fresh, s)
		}
	}
	rv.Exposed = fresh
	return rv, nil
}

// Regen is what a regeneration does with each exposed secret.
type Regen struct {
	// Do are the secrets it makes anew (each has a generator).
	Do []Need
	// ByHand have no generator: change them at their source.
	ByHand []audit.SecretRef
	// Gone are no longer in the repository (the file was deleted, as
	// host remove does, or the path removed).
	Gone []audit.SecretRef
	// Public are public halves of keys in Do, made with them.
	Public []audit.SecretRef
	// Rotate are age keys .sops.yaml lists: 'keycycle rotate start' them.
	Rotate []Registered
}

// PlanRegenerate sorts the exposed secrets: those to make again with
// their generator, those to change by hand, those gone. It reads the
// files' metadata only.
func PlanRegenerate(r *Repo, exposed []audit.SecretRef) (Regen, error) {
	var out Regen
	files := map[string]*repo.File{}
	var cfg *policy.Config
	if r.Policy != nil {
		cfg = r.Policy
	}
	publics := map[audit.SecretRef]bool{}
	for _, s := range exposed {
		f, ok := files[s.File]
		if !ok {
			var err error
			f, err = sopsfile.Read(r.Abs(s.File))
			if errors.Is(err, fs.ErrNotExist) {
				f, err = nil, nil
			}
			if err != nil {
				return out, fmt.Errorf("%s: %w", s.File, err)
			}
			files[s.File] = f
		}
		ref := audit.SecretRef{File: s.File, Path: s.Path}
		switch {
		case f == nil || !f.HasSecret(s.Path):
			out.Gone = append(out.Gone, ref)
		case cfg == nil || cfg.Generator(s.Path) == nil:
			out.ByHand = append(out.ByHand, ref)
		default:
			g := cfg.Generator(s.Path)
			if g.Kind == policy.GenAgeKey {
				anchor, err := r.RegisteredKey(s.File, s.Path)
				if err != nil {
					return out, err
				}
				if anchor != "" {
					out.Rotate = append(out.Rotate, Registered{File: s.File, Path: s.Path, Anchor: anchor})
					continue
				}
			}
			out.Do = append(out.Do, Need{File: s.File, Path: s.Path, Generator: g})
			if g.PublicSecret != "" {
				publics[audit.SecretRef{File: s.File, Path: g.PublicSecret}] = true
			}
		}
	}
	// A public half made beside its private key is not to change by hand.
	byHand := out.ByHand[:0]
	for _, s := range out.ByHand {
		if publics[s] {
			out.Public = append(out.Public, s)
		} else {
			byHand = append(byHand, s)
		}
	}
	out.ByHand = byHand
	return out, nil
}

// Registered is an age key kept as a secret whose recipient .sops.yaml
// lists: making it anew would leave the anchor naming the old key, and
// whoever uses the secret unable to decrypt. It is rotated instead.
type Registered struct {
	File   string `json:"file"`
	Path   string `json:"path"`
	Anchor string `json:"anchor"`
}

// RegisteredKey returns the anchor of .sops.yaml naming the recipient of
// an age identity kept at path in rel, or "" (not an age key, or not
// registered). The value is decrypted in memory only.
func (r *Repo) RegisteredKey(rel, path string) (string, error) {
	keys, err := keypath.Parse(path)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(r.Abs(rel))
	if err != nil {
		return "", err
	}
	v, err := sopsfile.GetValue(r.Abs(rel), data, keys, sopsfile.EditOptions{ConfigPath: r.ConfigPath, Identities: r.Identities})
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	ids, err := agekey.ParseIdentityFile(strings.NewReader(v))
	if err != nil {
		return "", nil // not an age key file: nothing registered
	}
	cfg, err := sopsconfig.Load(r.ConfigPath)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		rcp, err := id.Recipient()
		if err != nil {
			continue
		}
		if a, ok := cfg.AnchorByValue(rcp); ok {
			return a.Name, nil
		}
	}
	return "", nil
}

// ReadRevocation finds the revocation (FindRevocation) in the audit log
// of the repository at root.
func ReadRevocation(root, key string, seq int) (*Revocation, error) {
	f, err := os.Open(audit.Path(root))
	if err != nil {
		return nil, textutil.Hintf("regenerate reads the revocation from .keycycle/audit.log, which host remove and user remove write",
			"cannot read the audit log: %s", textutil.ErrReason(err))
	}
	defer f.Close()
	recs, err := audit.Read(f)
	if err != nil {
		return nil, err
	}
	rv, err := FindRevocation(recs, key, seq)
	if err != nil {
		return nil, textutil.Hintf("'keycycle audit log' shows the entries and the keys each removed", "%v", err)
	}
	return rv, nil
}
