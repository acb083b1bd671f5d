// Package change applies a change to a secrets repository safely: a new
// .sops.yaml and the files to create, planned and verified entirely in
// memory (every affected file rekeyed, decrypted back and compared),
// then written — the config first, each file atomically after it — only
// when every part verified. A crash between writes leaves a repository
// that 'keycycle check' describes and 'keycycle rekey' finishes; no
// secret is ever lost.
package change

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/failpoint"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// NewFile is a secrets file to create, given as plaintext that is
// encrypted in memory for the recipients its rule wants under the new
// config. The plaintext never touches the disk.
type NewFile struct {
	// Rel is the path relative to the repository root.
	Rel       string
	Plaintext []byte
}

// PublicFile is a non-secret file a change writes as it is.
type PublicFile struct {
	Rel  string
	Data []byte
}

// Request is one change.
type Request struct {
	// ConfigPath is the repository's .sops.yaml.
	ConfigPath string
	// OldConfig and NewConfig are its bytes before and after.
	OldConfig, NewConfig []byte
	// Create lists files to create (skipped when they exist).
	Create []NewFile
	// Delete lists files (relative) to delete after the rest is written.
	Delete []string
	// Public lists files that hold no secret (.keycycle/keys.yaml) to
	// write after the config, atomically.
	Public []PublicFile
	// Identities open the data keys of the files to rekey.
	Identities []age.Identity
	// RotateFor forces a new data key for every file any of these
	// recipients could read (revocation), even if nothing else changes.
	RotateFor []string
	// Exclude holds globs of files to leave alone.
	Exclude []string
	// Only, when not nil, limits the rekeys to these files (relative):
	// a rotation touches the files its key reads and no other, so that
	// unrelated drift, or a file no identity opens, cannot stop it.
	Only []string
}

// FileResult is what happens to one file.
type FileResult struct {
	Rel            string   `json:"file"`
	Action         string   `json:"action"` // create, rekey, delete
	Added          []string `json:"added,omitempty"`
	Removed        []string `json:"removed,omitempty"`
	DataKeyRotated bool     `json:"data_key_rotated,omitempty"`
	// Readable lists the secret paths of a file some RotateFor recipient
	// could read before the change.
	Readable []string `json:"exposed_secrets,omitempty"`
	output   []byte
	mode     os.FileMode
	// input is the hash of the bytes the rekey started from.
	input [sha256.Size]byte
}

// Plan is a verified change, ready to apply.
type Plan struct {
	req   Request
	Files []FileResult `json:"files"`
	// Stray lists the sops files that a RotateFor recipient can open but
	// that no creation rule matches: they cannot be rekeyed, so the
	// revoked key keeps opening them until someone moves or deletes them.
	Stray []string `json:"stray,omitempty"`
}

// Prepare computes and verifies the whole change in memory. The new
// config is written to a temporary file beside .sops.yaml while it runs
// (sops's rule loader reads a path) and removed before Prepare returns.
func Prepare(req Request) (*Plan, error) {
	if err := checkPaths(req); err != nil {
		return nil, err
	}
	cfg, err := sopsconfig.Parse(req.ConfigPath, req.NewConfig)
	if err != nil {
		return nil, fmt.Errorf("the new .sops.yaml does not parse: %w", err)
	}
	tmp, err := writeTempConfig(req.ConfigPath, req.NewConfig)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	p := &Plan{req: req}
	root := filepath.Dir(req.ConfigPath)
	if err := p.creates(root, tmp); err != nil {
		return nil, err
	}
	rels, err := repo.SecretsFiles(req.ConfigPath, cfg, req.Exclude)
	if err != nil {
		return nil, err
	}
	if req.Only != nil {
		rels = slices.DeleteFunc(rels, func(rel string) bool { return !slices.Contains(req.Only, rel) })
	}
	deleted := map[string]bool{}
	for _, rel := range req.Delete {
		deleted[rel] = true
	}
	rels = slices.DeleteFunc(rels, func(rel string) bool { return deleted[rel] })
	results, errs := p.rekeyAll(cfg, root, tmp, rels)
	var failures []error
	for i, rel := range rels {
		if errs[i] != nil {
			failures = append(failures, fmt.Errorf("%s: %w", rel, errs[i]))
		} else if results[i] != nil {
			p.Files = append(p.Files, *results[i])
		}
	}
	for _, rel := range req.Delete {
		fr := FileResult{Rel: rel, Action: "delete"}
		if f, err := sopsfile.Read(filepath.Join(root, filepath.FromSlash(rel))); err == nil {
			fr.Readable = p.exposed(f)
		}
		p.Files = append(p.Files, fr)
	}
	if len(failures) > 0 {
		return nil, &Error{Files: failures}
	}
	if len(req.RotateFor) > 0 {
		if p.Stray, err = p.strays(cfg, root); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(p.Files, func(i, j int) bool { return p.Files[i].Rel < p.Files[j].Rel })
	return p, nil
}

// checkPaths refuses paths outside the repository, and a file both
// created and deleted.
func checkPaths(req Request) error {
	seen := map[string]string{}
	check := func(rel, what string) error {
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			return fmt.Errorf("%s %q is not a path inside the repository", what, rel)
		}
		if prev, ok := seen[rel]; ok && prev != what {
			return fmt.Errorf("%s is both %s and %s in one change", rel, prev, what)
		}
		seen[rel] = what
		return nil
	}
	for _, f := range req.Create {
		if err := check(f.Rel, "created"); err != nil {
			return err
		}
	}
	for _, rel := range req.Delete {
		if err := check(rel, "deleted"); err != nil {
			return err
		}
	}
	for _, f := range req.Public {
		if err := check(f.Rel, "written"); err != nil {
			return err
		}
	}
	return nil
}

// Error lists the files a change could not be prepared for; nothing was
// written.
type Error struct{ Files []error }

// Unwrap gives errors.Is and errors.As the failures of each file.
func (e *Error) Unwrap() []error { return e.Files }

func (e *Error) Error() string {
	msg := fmt.Sprintf("nothing was changed: %d file(s) cannot be rekeyed", len(e.Files))
	for _, f := range e.Files {
		msg += "; " + f.Error()
	}
	return msg
}

func writeTempConfig(configPath string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(configPath), ".sops.yaml.keycycle-plan-*")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func (p *Plan) creates(root, tmpConfig string) error {
	for _, nf := range p.req.Create {
		abs := filepath.Join(root, filepath.FromSlash(nf.Rel))
		if _, err := os.Lstat(abs); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: cannot create it: %w", nf.Rel, err)
		}
		w, err := sopsfile.WantedFor(tmpConfig, abs)
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

// rekeyAll plans every file on all CPUs; results and errors come back in
// the order of rels.
func (p *Plan) rekeyAll(cfg *sopsconfig.Config, root, tmpConfig string, rels []string) ([]*FileResult, []error) {
	results := make([]*FileResult, len(rels))
	errs := make([]error, len(rels))
	cache := sopsfile.NewRuleCache()
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.NumCPU(), len(rels)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rule, err := cfg.Match(rels[i])
				if err != nil {
					rule = -1
				}
				results[i], errs[i] = p.rekey(root, rels[i], tmpConfig, cache, rule)
			}
		}()
	}
	for i := range rels {
		work <- i
	}
	close(work)
	wg.Wait()
	return results, errs
}

// rekey plans one existing file; nil means it needs nothing.
func (p *Plan) rekey(root, rel, tmpConfig string, cache *sopsfile.RuleCache, rule int) (*FileResult, error) {
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
			return nil, err
		}
		exposed = p.exposed(f)
	}
	res, err := sopsfile.Rekey(abs, data, sopsfile.RekeyOptions{ConfigPath: tmpConfig,
		Identities: p.req.Identities, RotateDataKey: exposed != nil, Cache: cache, Rule: rule})
	if err != nil {
		return nil, err
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

// strays returns the files no rule matches that a RotateFor recipient
// can open.
func (p *Plan) strays(cfg *sopsconfig.Config, root string) ([]string, error) {
	rels, err := repo.StrayFiles(p.req.ConfigPath, cfg, p.req.Exclude)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rel := range rels {
		if f, err := sopsfile.Read(filepath.Join(root, filepath.FromSlash(rel))); err == nil && p.exposed(f) != nil {
			out = append(out, rel)
		}
	}
	return out, nil
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

// Apply writes the plan: the new .sops.yaml first, then the public
// files, every secrets file atomically, and the deletions last. Before
// the first write it checks that .sops.yaml and every file to rekey are
// still the bytes Prepare read (nothing is written otherwise). It stops
// at the first error; what was written stays consistent (see the package
// doc).
func (p *Plan) Apply() (err error) {
	if err := p.unchanged(); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(p.req.ConfigPath, p.req.NewConfig, configMode(p.req.ConfigPath)); err != nil {
		return err
	}
	failpoint.Hit("change.config")
	root := filepath.Dir(p.req.ConfigPath)
	for _, f := range p.req.Public {
		if err := fsutil.WriteFileAtomic(filepath.Join(root, filepath.FromSlash(f.Rel)), f.Data, 0o644); err != nil {
			return err
		}
	}
	// The secrets files' folders are synced once each, at the end (also
	// after a failure, for what was written).
	var b fsutil.Batch
	defer func() { err = errors.Join(err, b.Sync()) }()
	for _, f := range p.Files {
		if f.Action == "delete" {
			continue
		}
		if err := b.WriteFile(filepath.Join(root, filepath.FromSlash(f.Rel)), f.output, f.mode); err != nil {
			return err
		}
		failpoint.Hit("change.file")
	}
	for _, f := range p.Files {
		if f.Action != "delete" {
			continue
		}
		if err := b.Remove(filepath.Join(root, filepath.FromSlash(f.Rel))); err != nil {
			return err
		}
		failpoint.Hit("change.file")
	}
	return nil
}

// unchanged checks that nobody changed .sops.yaml or a file to rekey
// since Prepare read them.
func (p *Plan) unchanged() error {
	if p.req.OldConfig != nil {
		cur, err := os.ReadFile(p.req.ConfigPath)
		if err != nil {
			return err
		}
		if !bytes.Equal(cur, p.req.OldConfig) {
			return fmt.Errorf("nothing was changed: %s changed since the change was planned; run the command again", filepath.Base(p.req.ConfigPath))
		}
	}
	root := filepath.Dir(p.req.ConfigPath)
	for _, f := range p.Files {
		if f.Action != "rekey" {
			continue
		}
		cur, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Rel)))
		if err != nil {
			return err
		}
		if sha256.Sum256(cur) != f.input {
			return fmt.Errorf("nothing was changed: %s changed since the change was planned; run the command again", f.Rel)
		}
	}
	return nil
}

func configMode(path string) os.FileMode {
	if st, err := os.Stat(path); err == nil {
		return st.Mode().Perm()
	}
	return 0o644
}
