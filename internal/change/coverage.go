package change

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// Uncovered is a file a revoked key opens that the change does not
// rekey.
type Uncovered struct {
	Rel string `json:"file"`
	Why string `json:"why"`
}

// UncoveredError refuses a revocation that would end with the revoked key
// still opening files in the repository; nothing was written.
type UncoveredError struct{ Files []Uncovered }

func (e *UncoveredError) Error() string {
	var parts []string
	for _, u := range e.Files {
		parts = append(parts, u.Rel+" ("+u.Why+")")
	}
	return fmt.Sprintf("nothing was changed: the revoked key would still open %d file(s) keycycle cannot rekey: %s",
		len(e.Files), strings.Join(parts, "; "))
}

// coverage refuses the change when a RotateFor recipient opens a file
// anywhere in the repository (dot-folders, symlinks, files no rule or an
// --exclude leaves out) that the plan does not give a new data key.
func (p *Plan) coverage(cfg *sopsconfig.Config, root string) error {
	covered := map[string]bool{}
	for _, f := range p.Files {
		covered[f.Rel] = true
	}
	entries, err := repo.WalkAll(root)
	if err != nil {
		return err
	}
	var out []Uncovered
	for _, e := range entries {
		target, why := e.Rel, ""
		if e.Link != "" {
			if e.Target == "" {
				why = "a symbolic link to " + e.Link + ", outside the repository"
			} else if covered[e.Target] {
				continue
			} else {
				target, why = e.Target, "a symbolic link to "+e.Target
			}
		} else if covered[e.Rel] {
			continue
		}
		f, err := sopsfile.Read(filepath.Join(root, filepath.FromSlash(e.Rel)))
		if err != nil || p.exposed(f) == nil {
			continue
		}
		if why == "" {
			why = p.uncoveredWhy(cfg, target)
		}
		out = append(out, Uncovered{Rel: e.Rel, Why: why})
	}
	if len(out) > 0 {
		return &UncoveredError{Files: out}
	}
	return nil
}

func (p *Plan) uncoveredWhy(cfg *sopsconfig.Config, rel string) string {
	switch {
	case repo.InDotFolder(rel):
		return "in a dot-folder, which keycycle does not rekey"
	case repo.Excluded(p.req.Exclude, rel):
		return "left out by --exclude"
	case p.req.Only != nil:
		return "not among the files this change rekeys"
	}
	if _, err := cfg.Match(rel); err != nil {
		return "no creation rule matches it"
	}
	return "not rekeyed by this change"
}

// Opens lists the files anywhere in the repository at root (as the
// coverage check walks it) whose metadata lists one of recipients.
func Opens(root string, recipients []string) ([]string, error) {
	entries, err := repo.WalkAll(root)
	if err != nil {
		return nil, err
	}
	p := &Plan{req: Request{RotateFor: recipients}}
	var out []string
	for _, e := range entries {
		f, err := sopsfile.Read(filepath.Join(root, filepath.FromSlash(e.Rel)))
		if err == nil && p.exposed(f) != nil {
			out = append(out, e.Rel)
		}
	}
	return out, nil
}
