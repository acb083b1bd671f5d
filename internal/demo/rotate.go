package demo

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// HostDir is the folder of the demo repository that stands for host
// griefling's / in the demo's rotation: a dot-folder, so no command
// takes it for secrets.
const HostDir = ".demo-host/griefling"

// Prove decrypts each of files (relative to dir) with the identities of
// the key file newKeyFile, requires those of oldKeyFile to open none of
// them, and says so on out for each.
func Prove(out io.Writer, dir string, files []string, newKeyFile, oldKeyFile string) error {
	newKey, err := agekey.IdentityLines(newKeyFile)
	if err != nil {
		return err
	}
	oldKey, err := agekey.IdentityLines(oldKeyFile)
	if err != nil {
		return err
	}
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		if _, err := sopsfile.Decrypt(rel, data, newKey...); err != nil {
			return fmt.Errorf("demo: the new key does not open %s: %v", rel, err)
		}
		_, err = sopsfile.Decrypt(rel, data, oldKey...)
		if !errors.Is(err, sopsfile.ErrNoIdentity) {
			return fmt.Errorf("demo: the old key still opens %s (%v)", rel, err)
		}
		fmt.Fprintf(out, "  %-20s opens with griefling's new key; the old key opens nothing\n", rel)
	}
	return nil
}
