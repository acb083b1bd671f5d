package hostkey

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/textutil"
)

// maxVerifyInput bounds what Verify reads.
const maxVerifyInput = 64 << 20

// filesHint is the hint of a failed swap of the key files.
const filesHint = "'keycycle host check' shows the key files"

// Host is the key file of the host-side commands (host keygen, verify,
// install-key, restore-key, retire-key): the folder standing for the
// host's "/" and the host path of the age key file sops-nix reads. The
// methods' errors carry the hint that helps (textutil.HintOf).
type Host struct {
	Root, KeyFile string
}

// KeyPath returns where the key file is on this machine: under Root,
// following links as the host would, never leaving Root.
func (h Host) KeyPath() (string, error) {
	st, err := os.Stat(h.Root)
	if err != nil || !st.IsDir() {
		return "", textutil.Hintf("pass --root the folder that stands for the host's /", "--root %s is not a folder", h.Root)
	}
	if !strings.HasPrefix(h.KeyFile, "/") {
		return "", textutil.Hintf("write the host path in full, e.g. "+hostcheck.DefaultKeyFile, "--key-file %q is not an absolute path", h.KeyFile)
	}
	hp, err := hostcheck.Root{Dir: h.Root}.Resolve(h.KeyFile, true)
	if err != nil {
		return "", textutil.Hintf("fix the links on the way to the key file", "--key-file %s: %v", h.KeyFile, err)
	}
	return filepath.Join(h.Root, filepath.FromSlash(hp)), nil
}

// orStaged is path, or the staged key beside the key file when path is "".
func (h Host) orStaged(path string) (staged, key string, err error) {
	if key, err = h.KeyPath(); err != nil || path != "" {
		return path, key, err
	}
	return Staged(key), key, nil
}

// NewKey makes a new key at out, or staged beside the key file when out
// is "" (Keygen); it returns the key's path and recipient.
func (h Host) NewKey(out string, reuse bool) (path, recipient string, existed bool, err error) {
	if out == "" {
		if out, _, err = h.orStaged(""); err != nil {
			return "", "", false, err
		}
	}
	recipient, existed, err = Keygen(out, reuse)
	if err != nil {
		return out, "", false, textutil.Hintf("pick another path, or pass --reuse to keep a key made before", "cannot make a key at %s: %s", out, textutil.ErrReason(err))
	}
	return out, recipient, existed, nil
}

// Install installs the key at from (default: the staged key) as the key
// file (Install).
func (h Host) Install(from string) (Result, error) {
	from, key, err := h.orStaged(from)
	if err != nil {
		return Result{}, err
	}
	res, err := Install(from, key)
	if err != nil {
		return res, textutil.Hintf(filesHint+"; restore-key or retire-key clears a kept key", "cannot install %s: %s", from, textutil.ErrReason(err))
	}
	return res, nil
}

// Restore puts the kept previous key back and deletes the staged one
// (default: beside the key file) (Restore).
func (h Host) Restore(staged string) (Result, error) {
	staged, key, err := h.orStaged(staged)
	if err != nil {
		return Result{}, err
	}
	res, err := Restore(key, staged)
	if err != nil {
		return res, textutil.Hintf(filesHint, "cannot restore the key: %s", textutil.ErrReason(err))
	}
	return res, nil
}

// Retire deletes the kept previous key (Retire).
func (h Host) Retire() (Result, error) {
	key, err := h.KeyPath()
	if err != nil {
		return Result{}, err
	}
	res, err := Retire(key)
	if err != nil {
		return res, textutil.Hintf(filesHint, "cannot retire the kept key: %s", textutil.ErrReason(err))
	}
	return res, nil
}

// Verify proves p with the sops file read from r (at most 64 MiB): p's
// KeyFile, or the host's key file when it is "", must open it alone
// (Prove). It returns "" when it does, else why not.
func (h Host) Verify(r io.Reader, p Proof) (string, error) {
	if p.KeyFile == "" {
		var err error
		if p.KeyFile, err = h.KeyPath(); err != nil {
			return "", err
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, maxVerifyInput+1))
	if err != nil || len(data) > maxVerifyInput {
		return "", textutil.Hintf("send the encrypted file on stdin", "cannot read stdin (at most 64 MiB): %v", err)
	}
	p.Data, p.Root = data, h.Root
	fail, err := Prove(p)
	return fail, textutil.WithHint(err, "pass --key an age key file (AGE-SECRET-KEY-1… lines)")
}
