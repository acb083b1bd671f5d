package demo

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/sopsfile"
)

// HostDir is the folder of the demo repository that stands for host
// griefling's / in the demo's rotation: a dot-folder, so no command
// takes it for secrets.
const HostDir = ".demo-host/griefling"

// Prove decrypts each of files (relative to dir) with the identities of
// the key file text newKey, requires the key file text oldKey to open
// none of them, and says so on out for each.
func Prove(out io.Writer, dir string, files []string, newKey, oldKey string) error {
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		if _, err := sopsfile.Decrypt(rel, data, keyLines(newKey)...); err != nil {
			return fmt.Errorf("demo: the new key does not open %s: %v", rel, err)
		}
		_, err = sopsfile.Decrypt(rel, data, keyLines(oldKey)...)
		if !errors.Is(err, sopsfile.ErrNoIdentity) {
			return fmt.Errorf("demo: the old key still opens %s (%v)", rel, err)
		}
		fmt.Fprintf(out, "  %-20s opens with griefling's new key; the old key opens nothing\n", rel)
	}
	return nil
}

// keyLines returns the identity lines of an age key file's text.
func keyLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}
