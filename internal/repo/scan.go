package repo

import (
	"context"
	"errors"
	"fmt"
	"github.com/keycycle/keycycle/internal/parallel"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// Backend reads what needs the sops library. internal/sopsfile implements
// it; tests may use the same.
type Backend interface {
	// ParseFile reads an encrypted file's metadata and secret paths. A
	// file without sops metadata gives ErrNoMetadata.
	ParseFile(path string, data []byte) (*File, error)
	// Wanted resolves the creation rule of configPath for file. No rule
	// gives ErrNoRule.
	Wanted(configPath, file string) (*Wanted, error)
}

// ErrNoMetadata means a file has no sops metadata: it is plaintext.
var ErrNoMetadata = errors.New("no sops metadata: the file is not encrypted")

// ErrDamaged means a file has sops metadata that sops cannot load: cut
// short, or edited by hand.
var ErrDamaged = errors.New("damaged sops metadata")

// ErrNoRule means no creation rule matches a file.
var ErrNoRule = errors.New("no creation rule matches the file")

// Entry is one file of the repository that a rule matches or that carries
// sops metadata.
type Entry struct {
	// Rel is the path relative to the config's folder, slash-separated.
	Rel string
	// Abs is the absolute path.
	Abs string
	// Rule is the index of the creation rule that matches, -1 for none.
	Rule int
	// File is the metadata read, nil when ReadErr is set.
	File *File
	// ReadErr is ErrNoMetadata for a plaintext file, or why it could not
	// be read.
	ReadErr error
	// Wanted is what the rule wants, per the sops library; nil when
	// WantedErr is set.
	Wanted    *Wanted
	WantedErr error
}

// Repo is a snapshot of a secrets repository.
type Repo struct {
	// Root is the folder holding the config; paths are relative to it.
	Root string
	// ConfigPath is the .sops.yaml read.
	ConfigPath string
	// Config is nil when ConfigErr is set.
	Config    *sopsconfig.Config
	ConfigErr error
	// Entries are sorted by Rel (empty after Open).
	Entries []*Entry

	// paths are the candidate files Open listed, for Each; jobs is
	// Options.Jobs.
	paths []string
	jobs  int
}

// Options tune Load.
type Options struct {
	// Exclude holds glob patterns (path.Match on the relative path or on
	// the base name) of files never to consider.
	Exclude []string
	// Jobs bounds the files read at once; 0 means one per CPU.
	Jobs int
}

// maxFileSize bounds what is read of one candidate file.
const maxFileSize = 64 << 20

// Load reads the repository whose config is configPath: Open, then
// every file (Each), all kept in Entries.
func Load(ctx context.Context, configPath string, b Backend, opts Options) (*Repo, error) {
	r, err := Open(configPath, opts)
	if err != nil {
		return nil, err
	}
	var entries []*Entry
	if err := r.Each(ctx, b, func(e *Entry) { entries = append(entries, e) }); err != nil {
		return nil, err
	}
	r.Entries = entries
	return r, nil
}

// Open reads the config and lists the candidate files, reading none of
// them: Each reads them. Entries stays empty.
func Open(configPath string, opts Options) (*Repo, error) {
	abs, err := filepath.Abs(configPath)
	if err != nil {
		return nil, err
	}
	r := &Repo{Root: filepath.Dir(abs), ConfigPath: abs, jobs: opts.Jobs}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	r.Config, r.ConfigErr = sopsconfig.Load(abs)
	if r.paths, err = walk(r.Root, opts.Exclude); err != nil {
		return nil, err
	}
	return r, nil
}

// Each reads the candidate files Open listed, as Load does (on Options.Jobs
// goroutines), and calls visit with each secrets file's Entry in Rel
// order, on the caller's goroutine. It keeps no Entry: what it holds at
// once is a few files per job, whatever the size of the repository, so a
// caller that keeps only what it needs of each (check) runs in bounded
// memory. It returns ctx's error when ctx is done.
func (r *Repo) Each(ctx context.Context, b Backend, visit func(*Entry)) error {
	jobs := r.jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	memo := &wantedMemo{byRule: map[int]*wantedOnce{}, compact: newCompactor()}
	parallel.Ordered(len(r.paths), jobs, 4*jobs, func(i int) *Entry {
		if ctx.Err() != nil {
			return nil
		}
		return r.inspect(r.paths[i], b, memo)
	}, func(_ int, e *Entry) {
		if e != nil && ctx.Err() == nil {
			visit(e)
		}
	})
	return ctx.Err()
}

// SecretsFiles lists, relative to the config's folder, the files rekey
// works on, chosen as Load chooses them: every file a creation rule with
// a path_regex matches, and the files a catch-all rule matches that carry
// sops metadata. It reads no metadata (only a cheap look at the
// catch-all's candidates).
func SecretsFiles(configPath string, cfg *sopsconfig.Config, exclude []string) ([]string, error) {
	return sopsLooking(configPath, cfg, exclude, true)
}

// StrayFiles returns the files (relative, slash-separated) that look
// like sops wrote them but that no creation rule of cfg matches: nothing
// can rekey them, so a revocation must name them.
func StrayFiles(configPath string, cfg *sopsconfig.Config, exclude []string) ([]string, error) {
	return sopsLooking(configPath, cfg, exclude, false)
}

// sopsLooking returns the files with sops metadata that a rule matches
// (matched) or that none does (!matched).
func sopsLooking(configPath string, cfg *sopsconfig.Config, exclude []string, matched bool) ([]string, error) {
	root := filepath.Dir(configPath)
	paths, err := walk(root, exclude)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rel := range paths {
		i, err := cfg.Match(rel)
		if (err == nil) != matched {
			continue
		}
		if matched && cfg.Rules[i].PathRegex != "" {
			// As Load: a file a path_regex names is a secrets file,
			// whatever it holds (a damaged one must be reported, never
			// skipped).
			out = append(out, rel)
			continue
		}
		data, err := readLimited(filepath.Join(root, filepath.FromSlash(rel)))
		if err == nil && looksEncrypted(data) {
			out = append(out, rel)
		}
	}
	return out, nil
}

// inspect reads one candidate; nil means the file is no secrets file.
func (r *Repo) inspect(rel string, b Backend, memo *wantedMemo) *Entry {
	e := &Entry{Rel: rel, Abs: filepath.Join(r.Root, filepath.FromSlash(rel)), Rule: -1}
	if tail := len(e.Abs) - len(rel); filepath.Separator == '/' && tail > 0 && e.Abs[tail:] == rel {
		e.Rel = e.Abs[tail:] // one string for both: kept for every file
	}
	if r.Config != nil {
		if i, err := r.Config.Match(rel); err == nil {
			e.Rule = i
		}
	}
	data, err := readLimited(e.Abs)
	if err != nil {
		e.ReadErr = err
		return e
	}
	if e.Rule < 0 && !looksEncrypted(data) {
		return nil
	}
	if e.Rule >= 0 && r.Config.Rules[e.Rule].PathRegex == "" && !looksEncrypted(data) {
		// A rule without path_regex matches every path, notes and
		// configs included: only files sops wrote count there.
		return nil
	}
	e.File, e.ReadErr = b.ParseFile(e.Abs, data)
	e.File = memo.compact.file(e.File)
	if r.ConfigErr == nil {
		e.Wanted, e.WantedErr = memo.wanted(e.Rule, func() (*Wanted, error) { return b.Wanted(r.ConfigPath, e.Abs) })
	}
	return e
}

// wantedMemo asks the Backend (the sops library) once per creation rule:
// what a rule wants does not depend on the file, only on the rule, and
// sopsconfig.Match picks the rule exactly as sops does (proven against
// sops's loader in sopsconfig's tests). Re-reading .sops.yaml for every
// file was half of check's time on a large repository.
type wantedMemo struct {
	mu     sync.Mutex
	byRule map[int]*wantedOnce
	// compact shares what repeats between the files of the Load.
	compact *compactor
}

type wantedOnce struct {
	once sync.Once
	w    *Wanted
	err  error
}

func (m *wantedMemo) wanted(rule int, ask func() (*Wanted, error)) (*Wanted, error) {
	if rule < 0 {
		return ask() // no rule by our reckoning: let sops say why
	}
	m.mu.Lock()
	o, ok := m.byRule[rule]
	if !ok {
		o = &wantedOnce{}
		m.byRule[rule] = o
	}
	m.mu.Unlock()
	o.once.Do(func() { o.w, o.err = ask() })
	return o.w, o.err
}

func readLimited(p string) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("file is larger than %d MiB: not read", maxFileSize>>20)
	}
	return os.ReadFile(p)
}

// looksEncrypted is a cheap test for sops metadata in any store format:
// a top-level `sops:` key (YAML), a "sops" member (JSON and the binary
// store), `sops_…=` lines (dotenv) or a [sops] section (INI), next to a
// MAC or an age/pgp/kms stanza.
func looksEncrypted(data []byte) bool {
	s := string(data)
	if !strings.Contains(s, "mac") && !strings.Contains(s, "lastmodified") {
		return false
	}
	return strings.HasPrefix(s, "sops:") || strings.Contains(s, "\nsops:") ||
		strings.Contains(s, `"sops":`) || strings.Contains(s, `"sops" :`) ||
		strings.Contains(s, "\nsops_mac=") || strings.HasPrefix(s, "sops_") ||
		strings.Contains(s, "\n[sops]") || strings.HasPrefix(s, "[sops]")
}

// skipNames returns the names that are never secrets files, whatever a
// rule says: sops's and keycycle's own configs, VCS and tool dotfiles,
// documentation and Nix code.
func skipNames() []string {
	return []string{".sops.yaml", ".sops.yml", "keycycle.yaml", ".gitignore", ".gitattributes", ".envrc",
		".pre-commit-config.yaml", ".pre-commit-hooks.yaml", "README*", "LICENSE*", "*.md", "*.nix", "flake.lock", "*.txtar"}
}

func walk(root string, exclude []string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() {
			if strings.HasPrefix(name, ".") || name == "node_modules" || matchAny(exclude, rel, name) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if matchAny(skipNames(), rel, name) || matchAny(exclude, rel, name) {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}

func matchAny(patterns []string, rel, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// LooksEncrypted tells whether data carries sops metadata, cheaply.
func LooksEncrypted(data []byte) bool { return looksEncrypted(data) }

// ListFiles lists the candidate files below root, as Load walks them:
// relative, slash-separated, sorted; dot-folders, documentation and tool
// configs left out, and the exclude globs.
func ListFiles(root string, exclude []string) ([]string, error) { return walk(root, exclude) }
