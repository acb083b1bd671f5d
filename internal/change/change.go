// Package change applies a change to a secrets repository safely: a new
// .sops.yaml and the files to create, planned and verified entirely in
// memory (every affected file rekeyed, decrypted back and compared),
// then written — the config first, each file atomically after it — only
// when every part verified. A crash between writes leaves a repository
// that 'keycycle check' describes and 'keycycle rekey' finishes; no
// secret is ever lost.
package change

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/audit"
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
	Rel  string `json:"file"`
	Data []byte `json:"data"`
}

// Edit rewrites an existing secrets file in memory (a value set,
// generated or removed).
type Edit struct {
	// Rel is the path relative to the repository root, slash-separated.
	Rel string
	// Apply gets the file's absolute path and current bytes and returns
	// its new encrypted bytes, verified (MAC valid, recipients kept); it
	// must write nothing.
	Apply func(abs string, current []byte) ([]byte, error)
}

// Request is one change.
type Request struct {
	// ConfigPath is the repository's .sops.yaml.
	ConfigPath string
	// OldConfig and NewConfig are its bytes before and after; a nil
	// NewConfig leaves the config as it is.
	OldConfig, NewConfig []byte
	// Create lists files to create (skipped when they exist).
	Create []NewFile
	// Edit lists existing files whose values change; an edited file is
	// not also rekeyed in the same change.
	Edit []Edit
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
	// RotateDataKey gives every file planned a new data key;
	// KeepDataKey keeps it even when a recipient leaves (sops updatekeys).
	RotateDataKey, KeepDataKey bool
	// Exclude holds globs of files to leave alone.
	Exclude []string
	// Audit is what the command adds to the change's audit entry (the
	// secrets it set or generated, a note): names, never values.
	Audit audit.Entry
	// Only, when not nil, limits the rekeys to these files (relative):
	// a rotation touches the files its key reads and no other, so that
	// unrelated drift, or a file no identity opens, cannot stop it.
	Only []string
	// KeepGoing plans every file it can: a file that cannot be rekeyed is
	// listed in Plan.Failed instead of stopping the change (rekey).
	KeepGoing bool
	// Jobs is how many files are planned at once (0: every CPU).
	Jobs int
	// Progress, when set, is called once per file planned.
	Progress func()

	// ready holds files already encrypted (an interrupted change being
	// finished: its creates and edits, kept in its record).
	ready []FileResult
}

// FileResult is what happens to one file.
type FileResult struct {
	Rel            string   `json:"file"`
	Action         string   `json:"action"` // create, edit, rekey, delete
	Added          []string `json:"added,omitempty"`
	Removed        []string `json:"removed,omitempty"`
	DataKeyRotated bool     `json:"data_key_rotated,omitempty"`
	// Readable lists the secret paths of a file some RotateFor recipient
	// could read before the change.
	Readable []string `json:"exposed_secrets,omitempty"`
	output   []byte
	mode     os.FileMode
	// input is the hash of the bytes the change started from (rekey,
	// edit); a create starts from no file.
	input [sha256.Size]byte
}

// FileError is a file a KeepGoing change could not plan.
type FileError struct {
	Rel string
	Err error
}

// Plan is a verified change, ready to apply.
type Plan struct {
	req   Request
	Files []FileResult `json:"files"`
	// Failed lists the files a KeepGoing change could not plan; they are
	// left as they are.
	Failed []FileError `json:"-"`
	// Stray is kept for the JSON schema; a revocation that would leave a
	// file open to the revoked key is refused (UncoveredError) instead.
	Stray []string `json:"stray,omitempty"`
	// Checked lists the files planned for a rekey (those that needed
	// nothing included).
	Checked []string `json:"-"`
	// Skipped lists, when an interrupted change is finished, the files
	// another tool changed since: they are left as they are.
	Skipped []string `json:"skipped,omitempty"`

	// written, when set (tests), is called after each secrets file is
	// written.
	written func(rel string)
}

// Request returns what the plan was made from.
func (p *Plan) Request() Request { return p.req }

// Prepare computes and verifies the whole change in memory; it writes
// nothing, anywhere (the new config is held in memory, see
// sopsfile.MemConfig). Every creation rule of the new config must be
// usable: a path_regex that does not compile stops the change, since
// sops could not tell which files it governs.
func Prepare(req Request) (*Plan, error) {
	if err := checkPaths(req); err != nil {
		return nil, err
	}
	if req.NewConfig == nil {
		req.NewConfig = req.OldConfig
	}
	if req.NewConfig == nil {
		data, err := os.ReadFile(req.ConfigPath)
		if err != nil {
			return nil, err
		}
		req.OldConfig, req.NewConfig = data, data
	}
	cfg, err := UsableConfig(req.ConfigPath, req.NewConfig)
	if err != nil {
		return nil, err
	}
	mem, err := sopsfile.NewMemConfig(req.ConfigPath, req.NewConfig)
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	p := &Plan{req: req}
	root := filepath.Dir(req.ConfigPath)
	if err := p.creates(root, mem); err != nil {
		return nil, err
	}
	if err := p.edits(root); err != nil {
		return nil, err
	}
	if err := p.planRekeys(cfg, root, mem); err != nil {
		return nil, err
	}
	p.Files = append(p.Files, req.ready...)
	for _, rel := range req.Delete {
		fr := FileResult{Rel: rel, Action: "delete"}
		if f, err := sopsfile.Read(filepath.Join(root, filepath.FromSlash(rel))); err == nil {
			fr.Readable = p.exposed(f)
		}
		p.Files = append(p.Files, fr)
	}
	if len(req.RotateFor) > 0 {
		if err := p.coverage(cfg, root); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(p.Files, func(i, j int) bool { return p.Files[i].Rel < p.Files[j].Rel })
	return p, nil
}

// UsableConfig parses a config and refuses one with a rule sops cannot
// evaluate (*ConfigError): no change can be planned against it.
func UsableConfig(path string, data []byte) (*sopsconfig.Config, error) {
	cfg, err := sopsconfig.Parse(path, data)
	if err != nil {
		return nil, fmt.Errorf("the new .sops.yaml does not parse: %w", err)
	}
	for i, r := range cfg.Rules {
		if r.RegexError != "" {
			return nil, &ConfigError{Line: r.PathRegexPos.Line, Msg: fmt.Sprintf(
				"creation rule %d: path_regex %s does not compile (%s): sops cannot tell which files it governs, so no change is safe",
				i+1, r.PathRegex, r.RegexError)}
		}
	}
	return cfg, nil
}

// ConfigError is a .sops.yaml no change can be planned against.
type ConfigError struct {
	Line int
	Msg  string
}

func (e *ConfigError) Error() string { return fmt.Sprintf(".sops.yaml:%d: %s", e.Line, e.Msg) }

// planRekeys plans every secrets file a rule governs (or Only), on all
// CPUs.
func (p *Plan) planRekeys(cfg *sopsconfig.Config, root string, mem *sopsfile.MemConfig) error {
	rels, err := repo.SecretsFiles(p.req.ConfigPath, cfg, p.req.Exclude)
	if err != nil {
		return err
	}
	if p.req.Only != nil {
		rels = slices.DeleteFunc(rels, func(rel string) bool { return !slices.Contains(p.req.Only, rel) })
	}
	skip := map[string]bool{}
	for _, rel := range p.req.Delete {
		skip[rel] = true
	}
	for _, e := range p.req.Edit {
		skip[e.Rel] = true
	}
	for _, f := range p.req.ready {
		skip[f.Rel] = true
	}
	rels = slices.DeleteFunc(rels, func(rel string) bool { return skip[rel] })
	p.Checked = rels
	results, errs := p.rekeyAll(cfg, root, mem, rels)
	var failures []error
	for i, rel := range rels {
		switch {
		case errs[i] != nil && p.req.KeepGoing:
			p.Failed = append(p.Failed, FileError{Rel: rel, Err: errs[i]})
		case errs[i] != nil:
			failures = append(failures, fmt.Errorf("%s: %w", rel, errs[i]))
		case results[i] != nil:
			p.Files = append(p.Files, *results[i])
		}
	}
	if len(failures) > 0 {
		return &Error{Files: failures}
	}
	return nil
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
	for _, e := range req.Edit {
		if seen[e.Rel] == "edited" {
			// The second would start from the bytes the first replaces.
			return fmt.Errorf("%s is edited twice in one change", e.Rel)
		}
		if err := check(e.Rel, "edited"); err != nil {
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
