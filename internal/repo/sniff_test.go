package repo

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestLooksEncryptedCorpus: every file real sops wrote is recognised, in
// every store format; every plaintext is not.
func TestLooksEncryptedCorpus(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus", "sops-files")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s: skipping (CI always has it)", dir)
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		encrypted := strings.HasPrefix(rel, "upstream/") || strings.HasPrefix(rel, "generated-sops-3.13.3/")
		if strings.Contains(rel, "plaintext/") || strings.HasSuffix(rel, "sops.yaml") || strings.HasSuffix(rel, "before_updatekeys.yaml") || strings.HasPrefix(filepath.Base(rel), ".sops") ||
			strings.HasSuffix(rel, "secret.json") || strings.HasSuffix(rel, "file.yaml") {
			encrypted = false
		}
		if strings.HasPrefix(rel, "expected/") || strings.HasPrefix(rel, "identities/") {
			encrypted = false
		}
		if got := looksEncrypted(data); got != encrypted {
			t.Errorf("%s: looksEncrypted = %v, want %v", rel, got, encrypted)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 40 {
		t.Fatalf("only %d corpus files seen", n)
	}
}
