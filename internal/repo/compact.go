package repo

import (
	"strings"
	"sync"
)

// compactor makes the files of one Load share what repeats between them,
// so that what a Repo keeps grows by a few hundred bytes per file, not by
// the ~10 KB a parse leaves behind: every file of a rule lists the same
// recipients (one [][]MasterKey shared by all of them, instead of a copy
// each pinning its own strings), and secret names, key types, versions
// and selectors repeat. The Files it returns must be treated as
// read-only, as every user of a Repo already does.
type compactor struct {
	mu     sync.Mutex
	strs   map[string]string
	paths  map[string][]string
	groups map[string][][]MasterKey
	buf    []byte // the lookup key being built, reused
}

func newCompactor() *compactor {
	return &compactor{strs: map[string]string{}, paths: map[string][]string{}, groups: map[string][][]MasterKey{}}
}

// file returns f with its repeated parts shared; f is not used again.
func (c *compactor) file(f *File) *File {
	if f == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := &f.Meta
	m.Groups = c.keyGroups(m.Groups)
	for _, s := range []*string{&m.Version, &m.UnencryptedSuffix, &m.EncryptedSuffix, &m.UnencryptedRegex,
		&m.EncryptedRegex, &m.UnencryptedCommentRegex, &m.EncryptedCommentRegex} {
		*s = c.str(*s)
	}
	if len(f.Secrets) > 0 {
		secrets := make([]Secret, len(f.Secrets))
		for i, s := range f.Secrets {
			secrets[i] = s
			secrets[i].Path = c.path(s.Path)
		}
		f.Secrets = secrets
	}
	return f
}

// path returns the one copy of a secret's path kept for the whole Load:
// the same names recur in file after file.
func (c *compactor) path(p []string) []string {
	c.buf = c.buf[:0]
	for _, e := range p {
		c.buf = append(append(c.buf, e...), 0)
	}
	if shared, ok := c.paths[string(c.buf)]; ok {
		return shared
	}
	out := make([]string, len(p))
	for i, e := range p {
		out[i] = c.str(e)
	}
	c.paths[string(c.buf)] = out
	return out
}

// str returns the one copy of s kept for the whole Load.
func (c *compactor) str(s string) string {
	if s == "" {
		return ""
	}
	if k, ok := c.strs[s]; ok {
		return k
	}
	s = strings.Clone(s)
	c.strs[s] = s
	return s
}

func (c *compactor) keyGroups(gs [][]MasterKey) [][]MasterKey {
	c.buf = c.buf[:0]
	for _, g := range gs {
		for _, k := range g {
			c.buf = append(append(append(append(c.buf, k.Type...), 0), k.ID...), 0)
		}
		c.buf = append(c.buf, 1)
	}
	if shared, ok := c.groups[string(c.buf)]; ok {
		return shared
	}
	key := string(c.buf)
	out := make([][]MasterKey, len(gs))
	for i, g := range gs {
		out[i] = make([]MasterKey, len(g))
		for j, k := range g {
			out[i][j] = MasterKey{Type: c.str(k.Type), ID: c.str(k.ID)}
		}
	}
	c.groups[key] = out
	return out
}
