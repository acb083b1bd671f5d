// Package nix_test evaluates keycycle's Nix code with a real Nix
// (Debian's nix-bin) and the nixpkgs lib and sops-nix modules of
// ../shared/vendor: the NixOS module in the shapes users give it, the
// flake, the VM test's machine, the README's flake snippet, and the
// package's vendorHash and version stamp. Every test skips with a message
// where nix or ../shared/vendor is absent.
package nix_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// root is the repository, seen from this package's folder.
const root = ".."

// nixEnv is the environment for nix commands: no build users (there is no
// Nix daemon or store here), the experimental CLI for `nix hash`.
func nixEnv() []string {
	return append(os.Environ(),
		"NIX_CONFIG=build-users-group =\nexperimental-features = nix-command",
		"NIX_PATH=")
}

// needNix returns the path of a nix tool, or skips the test.
func needNix(t *testing.T, tool string) string {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s not installed (apt-get install nix-bin): the Nix code is not evaluated", tool)
	}
	return bin
}

// vendorDir returns ../shared/vendor (absolute), or skips the test.
func vendorDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(root, "..", "shared", "vendor"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"nixpkgs-lib/lib/default.nix", "sops-nix/modules/sops/default.nix"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err != nil {
			t.Skipf("%s absent: the NixOS module is not evaluated (see ../shared/vendor/README.md)", filepath.Join(dir, sub))
		}
	}
	return dir
}

// evalJSON evaluates a Nix expression strictly and decodes its JSON.
func evalJSON(t *testing.T, expr string, v any) {
	t.Helper()
	out, err := evalRaw(t, expr)
	if err != nil {
		t.Fatalf("nix-instantiate --eval: %v", err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
}

// evalRaw evaluates expr and returns its JSON, or an error with Nix's
// message.
func evalRaw(t *testing.T, expr string) ([]byte, error) {
	t.Helper()
	bin := needNix(t, "nix-instantiate")
	// The dummy store: nothing is built or written, and no Nix state is
	// needed (a user other than root can run it).
	cmd := exec.Command(bin, "--store", "dummy://", "--eval", "--strict", "--json", "--expr", expr)
	cmd.Env = nixEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, &nixError{err: err, stderr: stderr.String()}
	}
	return out, nil
}

type nixError struct {
	err    error
	stderr string
}

func (e *nixError) Error() string { return e.err.Error() + "\n" + e.stderr }

// cases returns the Nix expression of nix/tests/eval/cases.nix applied
// to the vendor folder.
func cases(t *testing.T) string {
	t.Helper()
	v := vendorDir(t)
	file, err := filepath.Abs(filepath.Join(root, "nix", "tests", "eval", "cases.nix"))
	if err != nil {
		t.Fatal(err)
	}
	return "(import " + file + " { vendor = " + nixPath(v) + "; })"
}

// nixPath writes an absolute path as a Nix path value.
func nixPath(p string) string {
	return "(/. + " + strconv.Quote(p) + ")"
}
