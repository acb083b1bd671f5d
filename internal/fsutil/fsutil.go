// Package fsutil holds keycycle's durable writes: every file keycycle
// writes goes through here, so that a crash leaves either the old file or
// the new one, never a mix, and private keys are never readable by others.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// WriteFileAtomic replaces path with data: a temporary file in the same
// folder (never elsewhere, so the rename cannot cross file systems), its
// data synced, renamed over path, then the folder synced so that the
// rename itself is durable. A crash leaves the old file or the new one.
// An existing file keeps its mode; a new one gets perm. The parent folder
// is created (0755) when missing.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := replace(path, data, perm, nil); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// TempMark is in the name of every temporary file keycycle writes
// (".NAME"+TempMark+"RANDOM", beside NAME): a run that holds the
// repository lock removes the ones a killed run left (RemoveStaleTemps).
const TempMark = ".keycycle-tmp-"

// replace is WriteFileAtomic but for the folder sync. check, when set,
// runs after the new data is durable and right before the rename: an
// error from it leaves path untouched.
func replace(path string, data []byte, perm os.FileMode, check func() error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil {
		perm = st.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+TempMark+"*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			err = fmt.Errorf("cannot write %s: %w", path, err)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if check != nil {
		if err = check(); err != nil {
			return err
		}
	}
	return os.Rename(tmp, path)
}

// Batch is a run of atomic replaces and removals whose folders are synced
// once each, by Sync, instead of once per file: a rekey of 500 files in
// one folder syncs it once. Until Sync returns, a power cut may undo some
// of the renames — each file is then its old version or its new one,
// both complete — so callers record the run as done only after Sync.
// A Batch is safe for concurrent use.
type Batch struct {
	mu   sync.Mutex
	dirs map[string]bool
}

// WriteFile replaces path as WriteFileAtomic does, but for the folder
// sync, which Sync does.
func (b *Batch) WriteFile(path string, data []byte, perm os.FileMode) error {
	return b.WriteFileIf(path, data, perm, nil)
}

// WriteFileIf is WriteFile with check run right before the rename (see
// replace): a caller compares the file with what it planned from there,
// so that a change made meanwhile by another tool is not overwritten.
func (b *Batch) WriteFileIf(path string, data []byte, perm os.FileMode, check func() error) error {
	if err := replace(path, data, perm, check); err != nil {
		return err
	}
	b.add(filepath.Dir(path))
	return nil
}

// Remove removes path (a missing file is no error); Sync makes it durable.
func (b *Batch) Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	b.add(filepath.Dir(path))
	return nil
}

func (b *Batch) add(dir string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dirs == nil {
		b.dirs = map[string]bool{}
	}
	b.dirs[dir] = true
}

// Sync syncs every folder written to since the last Sync.
func (b *Batch) Sync() error {
	b.mu.Lock()
	dirs := b.dirs
	b.dirs = nil
	b.mu.Unlock()
	var errs []error
	for dir := range dirs {
		if err := SyncDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SyncDir makes the entries of dir (a rename, a new or removed file)
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteNewPrivate creates path with mode 0600 and data, refusing to
// overwrite anything (O_EXCL; the error then wraps fs.ErrExist). The
// parent folder is created 0700 when missing. The data is synced, the
// file closed with its error checked, and the folder synced, so that the
// new key survives a crash; on a failure the partial file is removed.
func WriteNewPrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists: keycycle never overwrites a key: %w", path, fs.ErrExist)
		}
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return err
	}
	return SyncDir(dir)
}

// RemoveStaleTemps removes the temporary files (TempMark) that runs killed
// mid-write left below root (VCS folders skipped), and returns their
// paths. Call it only while holding the repository lock: no other
// keycycle is writing then.
func RemoveStaleTemps(root string) ([]string, error) {
	var removed []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".jj" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), ".") && strings.Contains(d.Name(), TempMark) {
			if err := os.Remove(p); err == nil {
				removed = append(removed, p)
			}
		}
		return nil
	})
	return removed, err
}
