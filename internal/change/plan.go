package change

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/keycycle/keycycle/internal/parallel"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

func (p *Plan) creates(root string, mem *sopsfile.MemConfig) error {
	for _, nf := range p.req.Create {
		abs := filepath.Join(root, filepath.FromSlash(nf.Rel))
		if _, err := os.Lstat(abs); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: cannot create it: %w", nf.Rel, err)
		}
		w, err := sopsfile.WantedFor(mem.Path(), mem.RulePath(abs))
		if err != nil {
			return fmt.Errorf("%s: no creation rule applies to the new file: %w", nf.Rel, err)
		}
		var groups [][]string
		for _, g := range w.Groups {
			var rs []string
			for _, k := range g {
				if k.Type != "age" {
					return fmt.Errorf("%s: its rule wants a %s key; keycycle creates files for age keys only", nf.Rel, k.Type)
				}
				rs = append(rs, k.ID)
			}
			groups = append(groups, rs)
		}
		enc, err := sopsfile.Encrypt(abs, nf.Plaintext, sopsfile.EncryptOptions{Groups: groups, ShamirThreshold: w.ShamirThreshold})
		if err != nil {
			return fmt.Errorf("%s: %w", nf.Rel, err)
		}
		if err := verifyCreated(abs, enc, w.Recipients()); err != nil {
			return fmt.Errorf("%s: refusing to write: %w", nf.Rel, err)
		}
		p.Files = append(p.Files, FileResult{Rel: nf.Rel, Action: "create", Added: w.Recipients(), output: enc, mode: 0o644})
	}
	return nil
}

// edits runs each Edit on the file's current bytes.
func (p *Plan) edits(root string) error {
	for _, e := range p.req.Edit {
		abs := filepath.Join(root, filepath.FromSlash(e.Rel))
		data, err := os.ReadFile(abs)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Rel, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return err
		}
		out, err := e.Apply(abs, data)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Rel, err)
		}
		p.Files = append(p.Files, FileResult{Rel: e.Rel, Action: "edit", output: out, mode: st.Mode().Perm(), input: sha256.Sum256(data)})
	}
	return nil
}

// verifyCreated reads a new file back: it parses as a sops file and lists
// exactly the recipients its rule wants.
func verifyCreated(abs string, data []byte, want []string) error {
	f, err := sopsfile.Parse(abs, data)
	if err != nil {
		return err
	}
	got := f.Meta.Recipients()
	if !slices.Equal(sorted(got), sorted(want)) {
		return fmt.Errorf("the new file lists %v, its rule wants %v", got, want)
	}
	return nil
}

func sorted(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}

// rekeyAll plans every file on Jobs workers; results and errors come back
// in the order of rels.
func (p *Plan) rekeyAll(cfg *sopsconfig.Config, root string, mem *sopsfile.MemConfig, rels []string) ([]*FileResult, []error) {
	results := make([]*FileResult, len(rels))
	errs := make([]error, len(rels))
	cache := sopsfile.NewRuleCache()
	jobs := p.req.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	parallel.Each(len(rels), jobs, func(i int) {
		rule, err := cfg.Match(rels[i])
		if err != nil {
			rule = -1
		}
		results[i], errs[i] = p.rekey(root, rels[i], mem, cache, rule)
		if p.req.Progress != nil {
			p.req.Progress()
		}
	})
	return results, errs
}

// rekey plans one existing file; nil means it needs nothing.
func (p *Plan) rekey(root, rel string, mem *sopsfile.MemConfig, cache *sopsfile.RuleCache, rule int) (*FileResult, error) {
	abs := filepath.Join(root, filepath.FromSlash(rel))
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	var exposed []string
	if len(p.req.RotateFor) > 0 {
		// Only a revocation needs the recipients and secret names up
		// front; other changes leave the one parse to Rekey.
		f, err := sopsfile.Parse(abs, data)
		if err != nil {
			return nil, unreadable(rel, err)
		}
		exposed = p.exposed(f)
	}
	res, err := sopsfile.Rekey(abs, data, sopsfile.RekeyOptions{ConfigPath: mem.Path(), RulePath: mem.RulePath(abs),
		Identities: p.req.Identities, RotateDataKey: exposed != nil || p.req.RotateDataKey,
		KeepDataKey: p.req.KeepDataKey && exposed == nil, Cache: cache, Rule: rule})
	if err != nil {
		return nil, unreadable(rel, err)
	}
	if !res.Changed {
		return nil, nil
	}
	fr := &FileResult{Rel: rel, Action: "rekey", DataKeyRotated: res.DataKeyRotated, output: res.Output, mode: st.Mode().Perm(),
		input: sha256.Sum256(data)}
	for _, k := range res.Added {
		fr.Added = append(fr.Added, k.ID)
	}
	for _, k := range res.Removed {
		fr.Removed = append(fr.Removed, k.ID)
	}
	fr.Readable = exposed
	return fr, nil
}

// exposed returns the secret paths of f when a RotateFor recipient can
// read it today.
func (p *Plan) exposed(f *repo.File) []string {
	has := map[string]bool{}
	for _, r := range f.Meta.Recipients() {
		has[r] = true
	}
	for _, r := range p.req.RotateFor {
		if has[r] {
			var out []string
			for _, s := range f.Secrets {
				out = append(out, s.Name())
			}
			if out == nil {
				out = []string{}
			}
			return out
		}
	}
	return nil
}

// unreadable says what to do about a file a rule governs that cannot be
// read as a sops file.
func unreadable(rel string, err error) error {
	switch {
	case errors.Is(err, repo.ErrNoMetadata):
		return notSops{rel}
	case errors.Is(err, repo.ErrDamaged):
		return fmt.Errorf("%w; restore it from the VCS history ('git checkout -- %s')", err, rel)
	}
	return err
}

// notSops is a file a rule governs that carries no sops metadata; it is
// repo.ErrNoMetadata to errors.Is.
type notSops struct{ rel string }

func (e notSops) Error() string {
	return fmt.Sprintf("a creation rule governs it but it carries no sops metadata (empty, junk or never encrypted): restore it from the VCS history, or encrypt it with 'sops encrypt -i %s'", e.rel)
}

func (e notSops) Unwrap() error { return repo.ErrNoMetadata }

// Unreadable reports whether every file a change could not be prepared
// for failed because it is no sops file or its sops data is damaged, not
// because no key opened it.
func (e *Error) Unreadable() bool {
	for _, f := range e.Files {
		if !errors.Is(f, repo.ErrNoMetadata) && !errors.Is(f, repo.ErrDamaged) {
			return false
		}
	}
	return len(e.Files) > 0
}
