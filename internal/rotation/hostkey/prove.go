package hostkey

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Proof asks to prove that a key file opens an encrypted file: the last
// check of a rotation before the old key goes.
type Proof struct {
	// KeyFile is the age key file to prove (a path here).
	KeyFile string
	// Recipient, when set, keeps only the key file's identity of it.
	Recipient string
	// Name is the encrypted file's name; its extension tells the format.
	Name string
	Data []byte
	// Root is the host's root folder, which SopsNixKeys is under.
	Root string
	// SopsNixKeys is the host path of the keys sops-nix gathered at its
	// last activation; when set and the file exists, they must open the
	// file too.
	SopsNixKeys string
}

// Prove returns "" when p's key opens p.Data, else why not (a finding);
// an error when the key file cannot be read or is not an age key file.
// The plaintext stays in memory and is dropped.
func Prove(p Proof) (string, error) {
	ids, err := agekey.IdentityLines(p.KeyFile)
	if err != nil {
		return "", err
	}
	if p.Recipient != "" {
		if ids = agekey.OnlyRecipient(ids, p.Recipient); len(ids) == 0 {
			return fmt.Sprintf("%s holds no identity of %s", p.KeyFile, p.Recipient), nil
		}
	}
	if _, err := sopsfile.Decrypt(filepath.Base(p.Name), p.Data, ids...); err != nil {
		return textutil.OneLine(err.Error()), nil
	}
	if p.SopsNixKeys != "" {
		return proveSopsNix(p), nil
	}
	return "", nil
}

// proveSopsNix proves the key with what sops-nix loaded at its last
// activation, when it left that file; "" means proven (or no such file).
func proveSopsNix(p Proof) string {
	hp, err := hostcheck.Root{Dir: p.Root}.Resolve(p.SopsNixKeys, true)
	if err != nil {
		return ""
	}
	path := filepath.Join(p.Root, filepath.FromSlash(hp))
	if _, err := os.Stat(path); err != nil {
		return "" // no sops-nix activation to check against
	}
	ids, err := agekey.IdentityLines(path)
	if err != nil {
		return textutil.OneLine(err.Error())
	}
	if p.Recipient != "" {
		ids = agekey.OnlyRecipient(ids, p.Recipient)
	}
	if len(ids) == 0 {
		return fmt.Sprintf("sops-nix did not load the key at its last activation (%s holds no identity of %s): check that sops.age.keyFile is the key file, and deploy (activate) the host", p.SopsNixKeys, p.Recipient)
	}
	if _, err := sopsfile.Decrypt(filepath.Base(p.Name), p.Data, ids...); err != nil {
		return "with sops-nix's " + p.SopsNixKeys + ": " + textutil.OneLine(err.Error())
	}
	return ""
}
