package policy

import "strings"

// Requirement is one secret a host needs and the file it must be in.
type Requirement struct {
	// Path is the secret's path, e.g. passwords/borg.
	Path string `json:"path"`
	// File is the repository-relative file, {host} filled in.
	File string `json:"file"`
	// Category is the category that asks for it.
	Category string `json:"category"`
	// Pos is where the category lists the secret in keycycle.yaml.
	Pos Pos `json:"pos"`
}

// FileFor resolves a secret's file (shared, host or a path) for host.
func (c *Config) FileFor(spec, host string) string {
	switch spec {
	case FileShared:
		spec = c.Files.Shared
	case FileHost:
		spec = c.Files.Host
	}
	return strings.ReplaceAll(spec, "{host}", host)
}

// HostCategories returns the names of every category host h needs: its
// role's (with included roles), its own, and the categories those
// include, each once, in keycycle.yaml's order.
func (c *Config) HostCategories(h *Host) []string {
	want := map[string]bool{}
	var addCat func(name string)
	addCat = func(name string) {
		cat := c.Category(name)
		if cat == nil || want[name] {
			return
		}
		want[name] = true
		for _, r := range cat.Includes {
			addCat(r.Name)
		}
	}
	seenRole := map[string]bool{}
	var addRole func(name string)
	addRole = func(name string) {
		role := c.Role(name)
		if role == nil || seenRole[name] {
			return
		}
		seenRole[name] = true
		for _, r := range role.Categories {
			addCat(r.Name)
		}
		for _, r := range role.Includes {
			addRole(r.Name)
		}
	}
	addRole(h.Role.Name)
	for _, r := range h.Categories {
		addCat(r.Name)
	}
	var out []string
	for _, cat := range c.Categories {
		if want[cat.Name] {
			out = append(out, cat.Name)
		}
	}
	return out
}

// Requirements returns every secret host h needs, in category order, a
// path required twice for the same file listed once.
func (c *Config) Requirements(h *Host) []Requirement {
	var out []Requirement
	seen := map[string]bool{}
	for _, name := range c.HostCategories(h) {
		for _, s := range c.Category(name).Secrets {
			file := c.FileFor(s.File, h.Name)
			if seen[file+"\x00"+s.Path] {
				continue
			}
			seen[file+"\x00"+s.Path] = true
			out = append(out, Requirement{Path: s.Path, File: file, Category: name, Pos: s.Pos})
		}
	}
	return out
}

// KeyNames returns the .sops.yaml anchor names of host h's keys: those
// keycycle.yaml lists, else the host's own name.
func (h *Host) KeyNames() []string {
	if len(h.Keys) == 0 {
		return []string{h.Name}
	}
	out := make([]string, len(h.Keys))
	for i, r := range h.Keys {
		out[i] = r.Name
	}
	return out
}
