// Package hostkey holds the host side of a key rotation: the age key file
// sops-nix reads (/var/lib/sops-nix/key.txt), a new key staged beside it,
// and the previous key kept beside it for rollback until the rotation is
// done. Every operation is idempotent, so that the operator can repeat it
// after a lost SSH link; every private key is written 0600 and synced,
// and none is ever returned or printed — only recipients are.
//
// The companions of KEY are:
//
//	KEY.keycycle-new   the new key, made by Keygen, installed by Install
//	KEY.keycycle-prev  the key Install replaced, put back by Restore
//	KEY.keycycle-none  a marker: there was no key file before Install
//
// 'keycycle host check' reports any of them left behind (HC005).
package hostkey

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/fsutil"
)

// Suffixes of a key file's companions.
const (
	StagedSuffix = ".keycycle-new"
	KeptSuffix   = ".keycycle-prev"
	NoneSuffix   = ".keycycle-none"
)

// Staged returns the default path of the new key for key file key.
func Staged(key string) string { return key + StagedSuffix }

// Kept returns the path of the previous key kept for rollback.
func Kept(key string) string { return key + KeptSuffix }

// none returns the path of the "there was no key" marker.
func none(key string) string { return key + NoneSuffix }

// ErrKeptExists means a previous key is already kept from another
// rotation; it must be restored or retired first.
var ErrKeptExists = errors.New("a previous key is already kept beside the key file")

// Recipient returns the recipient of the single X25519 identity in the
// key file at path. A file with several identities, a plugin identity or
// a mode other than 0600 is refused: rotation needs one known key.
func Recipient(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s has mode %04o: a private key must be 0600", path, st.Mode().Perm())
	}
	return recipientOf(path, data)
}

func recipientOf(path string, data []byte) (string, error) {
	ids, err := agekey.ParseIdentityFile(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if len(ids) != 1 {
		return "", fmt.Errorf("%s holds %d identities; rotation needs exactly one", path, len(ids))
	}
	r, err := ids[0].Recipient()
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Keygen makes a new key at out (O_EXCL, 0600, synced) and returns its
// recipient. With reuse, an existing valid key at out is kept and its
// recipient returned (existed is then true): a repeated step gets the
// same key.
func Keygen(out string, reuse bool) (recipient string, existed bool, err error) {
	if reuse {
		if r, err := Recipient(out); err == nil {
			return r, true, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", false, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return "", false, err
	}
	r, err := agekey.Generate(out)
	return r, false, err
}

// Result says what Install, Restore or Retire did.
type Result struct {
	// Recipient is the recipient of the key file afterwards ("" when
	// there is none).
	Recipient string
	// Changed is false when there was nothing left to do.
	Changed bool
}

// Install makes the key at from the key file key: the current key is
// first kept (0600, synced) at Kept(key) — or a marker is left when there
// is none — then key is replaced atomically and from is removed.
// Repeating it after a crash or a lost link finishes the same swap; it
// refuses when another rotation's kept key is in the way.
func Install(from, key string) (Result, error) {
	newData, err := os.ReadFile(from)
	if errors.Is(err, fs.ErrNotExist) && installed(key) {
		r, err := Recipient(key)
		return Result{Recipient: r}, err
	}
	if err != nil {
		return Result{}, err
	}
	r, err := recipientOf(from, newData)
	if err != nil {
		return Result{}, err
	}
	cur, err := os.ReadFile(key)
	hasCur := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Result{}, err
	}
	if hasCur && bytes.Equal(cur, newData) {
		// Swapped before; only the staged copy is left to remove.
		return Result{Recipient: r, Changed: true}, removeSynced(from)
	}
	if err := keep(key, cur, hasCur); err != nil {
		return Result{}, err
	}
	if err := fsutil.WriteFileAtomic(key, newData, 0o600); err != nil {
		return Result{}, err
	}
	return Result{Recipient: r, Changed: true}, removeSynced(from)
}

// installed tells whether an Install already happened (a kept key or the
// marker is there).
func installed(key string) bool {
	for _, p := range []string{Kept(key), none(key)} {
		if _, err := os.Lstat(p); err == nil {
			return true
		}
	}
	return false
}

// keep saves the current key (or the marker of its absence) for Restore.
func keep(key string, cur []byte, hasCur bool) error {
	kept, err := os.ReadFile(Kept(key))
	switch {
	case err == nil && hasCur && bytes.Equal(kept, cur):
		return nil // kept before a crash
	case err == nil:
		return fmt.Errorf("%s: %w; run 'keycycle host restore-key' or 'keycycle host retire-key' first", Kept(key), ErrKeptExists)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if !hasCur {
		if _, err := os.Lstat(none(key)); err == nil {
			return nil
		}
		return fsutil.WriteNewPrivate(none(key), nil)
	}
	return fsutil.WriteNewPrivate(Kept(key), cur)
}

// Restore undoes Install: the kept key is put back (atomically) and
// removed, or, when there was no key before, the key file is removed.
// A staged key that was never installed (at staged, when not "") is
// removed too. With nothing to undo it changes nothing.
func Restore(key, staged string) (Result, error) {
	res := Result{}
	kept, err := os.ReadFile(Kept(key))
	switch {
	case err == nil:
		if err := fsutil.WriteFileAtomic(key, kept, 0o600); err != nil {
			return res, err
		}
		if err := removeSynced(Kept(key)); err != nil {
			return res, err
		}
		res.Changed = true
	case !errors.Is(err, fs.ErrNotExist):
		return res, err
	default:
		if _, err := os.Lstat(none(key)); err == nil {
			if err := removeSynced(key); err != nil {
				return res, err
			}
			if err := removeSynced(none(key)); err != nil {
				return res, err
			}
			res.Changed = true
		}
	}
	if staged != "" {
		if _, err := os.Lstat(staged); err == nil {
			res.Changed = true
			if err := removeSynced(staged); err != nil {
				return res, err
			}
		}
	}
	if r, err := Recipient(key); err == nil {
		res.Recipient = r
	}
	return res, nil
}

// Retire deletes the kept key (and the marker) once the rotation is
// done; the key file itself is left alone.
func Retire(key string) (Result, error) {
	res := Result{}
	for _, p := range []string{Kept(key), none(key)} {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := removeSynced(p); err != nil {
			return res, err
		}
		res.Changed = true
	}
	if r, err := Recipient(key); err == nil {
		res.Recipient = r
	}
	return res, nil
}

// removeSynced removes path (a missing path is fine) and syncs its folder
// so that the removal survives a crash.
func removeSynced(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	_ = fsutil.SyncDir(filepath.Dir(path)) // best effort: the removal is done
	return nil
}
