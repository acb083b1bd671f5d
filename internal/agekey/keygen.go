package agekey

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
)

// Generate creates a new X25519 identity and writes it to path in the
// age-keygen format ("# created: …", "# public key: age1…", then the
// AGE-SECRET-KEY-1… line). The file is created with O_EXCL and mode 0600,
// synced to disk, and closed with its error checked; an existing path is
// never overwritten (the error wraps fs.ErrExist). On a write error the
// half-written file is removed. It returns the public recipient.
func Generate(path string) (recipient string, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%s already exists; a key file is never overwritten: %w", path, fs.ErrExist)
		}
		return "", err
	}
	recipient, err = GenerateTo(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return recipient, nil
}

// GenerateTo creates a new X25519 identity, writes it to w in the
// age-keygen format and returns its public recipient.
func GenerateTo(w io.Writer) (recipient string, err error) {
	return generateAt(w, time.Now())
}

func generateAt(w io.Writer, now time.Time) (string, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	r := id.Recipient().String()
	_, err = fmt.Fprintf(w, "# created: %s\n# public key: %s\n%s\n", now.Format(time.RFC3339), r, id)
	if err != nil {
		return "", err
	}
	return r, nil
}

// syncDir makes a new directory entry durable. It is best effort: some
// systems cannot sync a directory, and the key file itself is already
// synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
