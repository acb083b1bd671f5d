package repo

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Entry of WalkAll: a file anywhere in the repository.
type WalkEntry struct {
	// Rel is the path relative to the root, slash-separated.
	Rel string
	// Link is the target of a symbolic link as written ("" for a regular
	// file); Target is that target relative to the root, when it is a
	// regular file inside the repository.
	Link, Target string
}

// vcsDirs are the folders no secrets file lives in.
var vcsDirs = []string{".git", ".jj", ".hg", ".keycycle"}

// WalkAll lists every regular file and every symbolic link to a regular
// file below root, dot-folders included (but for the VCS's and
// keycycle's own): where a revocation must look for files its key still
// opens, beyond the files rekey works on.
func WalkAll(root string) ([]WalkEntry, error) {
	var out []WalkEntry
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
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
		if d.IsDir() {
			for _, v := range vcsDirs {
				if d.Name() == v {
					return filepath.SkipDir
				}
			}
			return nil
		}
		e := WalkEntry{Rel: filepath.ToSlash(rel)}
		switch {
		case d.Type().IsRegular():
		case d.Type()&fs.ModeSymlink != 0:
			if e.Link, err = os.Readlink(p); err != nil {
				return nil
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return nil
			}
			if st, err := os.Stat(real); err != nil || !st.Mode().IsRegular() {
				return nil
			}
			if t, err := filepath.Rel(realRoot, real); err == nil && filepath.IsLocal(t) {
				e.Target = filepath.ToSlash(t)
			}
		default:
			return nil
		}
		out = append(out, e)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, err
}

// InDotFolder tells whether rel lies below a folder whose name starts
// with a dot (which the scans of check and rekey skip).
func InDotFolder(rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		if strings.HasPrefix(p, ".") {
			return true
		}
	}
	return false
}

// Excluded tells whether an --exclude glob leaves rel out, matched as the
// scans match them.
func Excluded(exclude []string, rel string) bool {
	parts := strings.Split(rel, "/")
	for i := range parts {
		if matchAny(exclude, strings.Join(parts[:i+1], "/"), parts[i]) {
			return true
		}
	}
	return false
}
