package inventory

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Build makes the inventory of r. It reads nothing: everything comes
// from the snapshot r holds.
func Build(r *repo.Repo) *Inventory {
	inv := &Inventory{Root: r.Root, Config: relPath(r.Root, r.ConfigPath)}
	h := &hints{hostNames: map[string]bool{}}
	for _, e := range r.Entries {
		h.addPath(e.Rel)
	}
	s := &keySet{index: map[string]int{}, h: h}
	if r.ConfigErr != nil {
		// Name the config as the rest of the inventory does, relative.
		msg := strings.ReplaceAll(r.ConfigErr.Error(), r.ConfigPath, inv.Config)
		inv.ConfigError = textutil.OneLine(msg)
	}
	if r.Config != nil {
		h.cfg = r.Config
		for _, rule := range r.Config.Rules {
			h.regexes = append(h.regexes, rule.PathRegex)
		}
		s.configKeys(r.Config)
	}
	s.entryKeys(r.Entries)
	inv.Keys = s.keys
	for _, e := range r.Entries {
		inv.Files = append(inv.Files, buildFile(e, s))
	}
	for _, f := range inv.Files {
		for _, a := range f.Access {
			if a.Has {
				inv.Keys[a.Key].Files++
			}
			if a.Wanted {
				inv.Keys[a.Key].Wanted++
			}
		}
	}
	return inv
}

// buildFile makes the matrix row of one entry.
func buildFile(e *repo.Entry, s *keySet) *File {
	f := &File{Path: e.Rel, Rule: e.Rule}
	cells := map[int]*Access{}
	cell := func(i int) *Access {
		if cells[i] == nil {
			cells[i] = &Access{Key: i}
		}
		return cells[i]
	}
	if e.File != nil {
		for _, g := range e.File.Meta.Groups {
			for _, mk := range g {
				cell(s.lookup(mk.Type, mk.ID)).Has = true
			}
		}
	}
	if e.Wanted != nil {
		f.RuleKnown = true
		for _, g := range e.Wanted.Groups {
			for _, mk := range g {
				cell(s.lookup(mk.Type, mk.ID)).Wanted = true
			}
		}
	}
	for i := range s.keys {
		if c := cells[i]; c != nil {
			f.Access = append(f.Access, *c)
		}
	}
	f.Status, f.Error = fileStatus(e, f)
	return f
}

// fileStatus sums up a row.
func fileStatus(e *repo.Entry, f *File) (FileStatus, string) {
	switch {
	case errors.Is(e.ReadErr, repo.ErrNoMetadata):
		return FilePlaintext, ""
	case e.ReadErr != nil:
		return FileUnreadable, textutil.OneLine(e.ReadErr.Error())
	case e.Rule < 0 || errors.Is(e.WantedErr, repo.ErrNoRule):
		return FileNoRule, ""
	case e.WantedErr != nil:
		return FileRuleError, textutil.OneLine(e.WantedErr.Error())
	case !f.RuleKnown:
		return FileNoRule, ""
	case f.Extra() > 0 || f.Missing() > 0:
		return FileDrift, ""
	}
	return FileOK, ""
}

// relPath returns p relative to root, slash-separated, or p itself.
func relPath(root, p string) string {
	if x, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(x)
	}
	return p
}
