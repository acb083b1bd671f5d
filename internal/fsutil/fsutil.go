// Package fsutil holds keycycle's durable writes: every file keycycle
// writes goes through here, so that a crash leaves either the old file or
// the new one, never a mix, and private keys are never readable by others.
package fsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// WriteFileAtomic replaces path with data: a temporary file in the same
// folder, fsync, rename over path, fsync of the folder. The parent folder
// is created (0755) when missing.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := renameio.WriteFile(path, data, perm); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// WriteNewPrivate creates path with mode 0600 and data, refusing to
// overwrite anything (O_EXCL). The parent folder is created 0700 when
// missing. The data is synced before the file is closed.
func WriteNewPrivate(path string, data []byte) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists: keycycle never overwrites a key", path)
		}
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}
