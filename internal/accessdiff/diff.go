package accessdiff

import (
	"context"
	"os"
	"path/filepath"
	"sort"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/vcs"
)

// RevisionError says which revision Between could not read.
type RevisionError struct {
	// Rev is the revision ("" the working tree).
	Rev string
	Err error
}

func (e *RevisionError) Error() string { return e.Err.Error() }

func (e *RevisionError) Unwrap() error { return e.Err }

// Between compares who can decrypt what between the revisions from and to
// ("" is the working tree) of the repository at root, from the files'
// metadata; the files the exclude globs name are left out of both. Where
// an identity of ids opens both versions of a changed file, it tells
// whether the data key changed. A side that cannot be read gives a
// *RevisionError.
func Between(ctx context.Context, root, from, to string, exclude []string, ids []age.Identity) ([]File, error) {
	a, err := snapshotAt(ctx, root, from, exclude)
	if err != nil {
		return nil, &RevisionError{Rev: from, Err: err}
	}
	b, err := snapshotAt(ctx, root, to, exclude)
	if err != nil {
		return nil, &RevisionError{Rev: to, Err: err}
	}
	files := compareSnapshots(a, b)
	dataKeys(files, ids)
	return files, nil
}

// Key is one recipient in a diff; with File, the JSON form of
// keycycle.diff/v1.
type Key struct {
	Name      string `json:"name,omitempty"`
	Recipient string `json:"recipient"`
}

// File is what changed for one file between two revisions.
type File struct {
	File   string `json:"file"`
	Status string `json:"status"` // added, removed, changed
	Gained []Key  `json:"gained"`
	Lost   []Key  `json:"lost"`
	// Rewritten is true when the file's MAC changed: its values were
	// encrypted again. When it is false the data key is the same, so a
	// key that was removed can still read what the file holds.
	Rewritten bool `json:"rewritten"`
	// DataKeyRotated says whether the data key changed, when an identity
	// here opens both versions (absent otherwise).
	DataKeyRotated *bool `json:"data_key_rotated,omitempty"`
	// raw holds the two versions, for the data key comparison.
	raw [2][]byte
}

// snapshot is the encrypted files of one side and the key names its
// .sops.yaml gives.
type snapshot struct {
	files map[string]*repo.File
	raw   map[string][]byte
	names map[string]string
}

// dataKeys fills in DataKeyRotated where an identity opens both versions
// of a changed file.
func dataKeys(files []File, ids []age.Identity) {
	for i := range files {
		f := &files[i]
		if f.Status != "changed" || f.raw[0] == nil || f.raw[1] == nil {
			continue
		}
		if same, known := sopsfile.SameDataKey(f.File, f.raw[0], f.raw[1], ids); known {
			rotated := !same
			f.DataKeyRotated = &rotated
		}
	}
}

// snapshotAt reads the encrypted files at rev ("" = the working tree).
func snapshotAt(ctx context.Context, root, rev string, exclude []string) (*snapshot, error) {
	contents, err := treeContents(ctx, root, rev, exclude)
	if err != nil {
		return nil, err
	}
	s := &snapshot{files: map[string]*repo.File{}, raw: map[string][]byte{}, names: map[string]string{}}
	if cfg, ok := contents[sopsconfig.FileName]; ok {
		if c, err := sopsconfig.Parse(sopsconfig.FileName, cfg); err == nil {
			s.names = c.NamesByValue()
		}
	}
	for rel, data := range contents {
		if !repo.LooksEncrypted(data) {
			continue
		}
		if f, err := sopsfile.Parse(rel, data); err == nil {
			s.files[rel] = f
			s.raw[rel] = data
		}
	}
	return s, nil
}

func treeContents(ctx context.Context, root, rev string, exclude []string) (map[string][]byte, error) {
	if rev != "" {
		m, err := vcs.ReadTree(ctx, root, rev, nil)
		if err != nil {
			return nil, err
		}
		return filterExcluded(m, exclude), nil
	}
	rels, err := repo.ListFiles(root, exclude)
	if err != nil {
		return nil, err
	}
	m := map[string][]byte{}
	for _, rel := range append(rels, sopsconfig.FileName) {
		if data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel))); err == nil {
			m[rel] = data
		}
	}
	return m, nil
}

func filterExcluded(m map[string][]byte, exclude []string) map[string][]byte {
	for rel := range m {
		if repo.Excluded(exclude, rel) {
			delete(m, rel)
		}
	}
	return m
}

func compareSnapshots(a, b *snapshot) []File {
	seen := map[string]bool{}
	var out []File
	for _, side := range []map[string]*repo.File{a.files, b.files} {
		for rel := range side {
			if seen[rel] {
				continue
			}
			seen[rel] = true
			if d, ok := compareFile(rel, a, b); ok {
				out = append(out, d)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

func compareFile(rel string, a, b *snapshot) (File, bool) {
	fa, fb := a.files[rel], b.files[rel]
	d := File{File: rel, Status: "changed", Gained: []Key{}, Lost: []Key{}}
	var before, after []string
	if fa != nil {
		before = fa.Meta.Recipients()
	} else {
		d.Status = "added"
	}
	if fb != nil {
		after = fb.Meta.Recipients()
	} else {
		d.Status = "removed"
	}
	for _, r := range minusStrings(after, before) {
		d.Gained = append(d.Gained, Key{Name: b.names[r], Recipient: r})
	}
	for _, r := range minusStrings(before, after) {
		d.Lost = append(d.Lost, Key{Name: a.names[r], Recipient: r})
	}
	if fa != nil && fb != nil {
		d.Rewritten = fa.Meta.MAC != fb.Meta.MAC
		d.raw = [2][]byte{a.raw[rel], b.raw[rel]}
	}
	return d, d.Status != "changed" || len(d.Gained)+len(d.Lost) > 0
}

func minusStrings(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}
