package nix_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/testbin"
)

// pkgFacts is what cases.nix reports of the flake's package.
type pkgFacts struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	VendorHash  string   `json:"vendorHash"`
	FakeHash    string   `json:"fakeHash"`
	Ldflags     []string `json:"ldflags"`
	SubPackages []string `json:"subPackages"`
}

func packageFacts(t *testing.T) pkgFacts {
	t.Helper()
	var p pkgFacts
	evalJSON(t, cases(t)+".package", &p)
	return p
}

// TestVendorHash recomputes nix/package.nix's vendorHash as nixpkgs'
// buildGoModule does: `go mod vendor` (GOTOOLCHAIN=local, no GOFLAGS),
// then the NAR hash of the vendor folder (`nix hash path --sri`). It
// changes with go.mod, go.sum and the imports of the module's packages.
func TestVendorHash(t *testing.T) {
	t.Parallel() // beside TestVersionStamp: the two slow tests of the package
	nix := needNix(t, "nix")
	want := packageFacts(t).VendorHash
	dir := filepath.Join(t.TempDir(), "vendor")
	cmd := exec.Command("go", "mod", "vendor", "-o", dir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOTOOLCHAIN=local", "GO111MODULE=on")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	hash := exec.Command(nix, "hash", "path", "--sri", dir)
	hash.Env = nixEnv()
	out, err := hash.Output()
	if err != nil {
		t.Fatalf("nix hash path: %v", err)
	}
	got := strings.TrimSpace(string(out))
	if !strings.HasPrefix(got, "sha256-") {
		t.Fatalf("nix hash path printed %q", got)
	}
	if got != want {
		t.Errorf("nix/package.nix has vendorHash = %q; go.mod, go.sum or the imports changed it: set\n  vendorHash = %q;", want, got)
	}
}

// TestVersionStamp builds keycycle with nix/package.nix's ldflags and
// checks `keycycle --version` prints the package's version.
func TestVersionStamp(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds keycycle")
	}
	p := packageFacts(t)
	if p.VendorHash == p.FakeHash {
		t.Error("vendorHash is lib.fakeHash")
	}
	var x string
	for _, f := range p.Ldflags {
		if strings.HasPrefix(f, "-X ") {
			x = strings.TrimPrefix(f, "-X ")
		}
	}
	if !strings.HasSuffix(x, "="+p.Version) {
		t.Fatalf("ldflags %q do not stamp the version %q", p.Ldflags, p.Version)
	}
	// Built as 'go build -ldflags …' builds it, kept in Go's build cache.
	bin, err := testbin.Build("./"+p.SubPackages[0], "-ldflags", strings.Join(p.Ldflags, " "))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("keycycle --version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), p.Version) {
		t.Errorf("keycycle --version printed %q, want %q", out, p.Version)
	}
}

// TestGoDirective: nixpkgs builds with GOTOOLCHAIN=local, so go.mod must
// not ask for a patch release newer than a nixpkgs' Go: `go X.Y` or
// `go X.Y.0`.
func TestGoDirective(t *testing.T) {
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^go [0-9]+\.[0-9]+(\.0)?$`)
	found := false
	for s := bufio.NewScanner(f); s.Scan(); {
		line := strings.TrimSpace(s.Text())
		if strings.HasPrefix(line, "go ") {
			found = true
			if !re.MatchString(line) {
				t.Errorf("go.mod: %q pins a patch release; nixpkgs' buildGoModule (GOTOOLCHAIN=local) fails with an older Go: write the lowest the dependencies allow, e.g. go 1.26.0", line)
			}
		}
	}
	if !found {
		t.Error("go.mod has no go line")
	}
}
