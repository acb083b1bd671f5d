package hostcheck

import (
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNixFilesParse parses every .nix file of the repository with a real
// Nix (nix-instantiate --parse, Debian's nix-bin); skipped without it.
func TestNixFilesParse(t *testing.T) {
	bin, err := exec.LookPath("nix-instantiate")
	if err != nil {
		t.Skip("nix-instantiate not installed (apt-get install nix-bin)")
	}
	root := filepath.Join("..", "..")
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".nix") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found only %d .nix files: %v", len(files), files)
	}
	for _, f := range files {
		out, err := exec.Command(bin, "--store", "dummy://", "--parse", f).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
}
