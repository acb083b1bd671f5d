package repo

import (
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// opensSecrets are the packages whose tests may link the sops library:
// their own code opens secrets files (or drives a command that does).
// Linking it costs every such test binary 3.5–4 s of CPU on each
// `go test` (docs/design.md); every other package keeps it out of its
// imports, as check, inventory, deploy and complete do.
var opensSecrets = []string{
	"internal/accessdiff", // whether a data key changed between revisions
	"internal/change",     // rekeys and verifies files
	"internal/cli",        // every command, end to end
	"internal/demo",       // encrypts its example files
	"internal/ops",        // the changing commands
	"internal/pipeline",   // its tests apply real changes
	"internal/rotation",   // rotations end to end
	"internal/rotation/hostkey",
	"internal/secret",   // edits values
	"internal/sopsfile", // the one package that imports sops
}

// TestOnlyPackagesThatOpenSecretsLinkSops: a package outside opensSecrets
// whose tests link the sops library fails, naming it.
func TestOnlyPackagesThatOpenSecretsLinkSops(t *testing.T) {
	if testing.Short() {
		t.Skip("lists the module's packages with the go command")
	}
	const module = "github.com/keycycle/keycycle/"
	cmd := exec.Command("go", "list", "-test", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", module+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	var linking []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		bin, ok := strings.CutSuffix(pkg, ".test")
		if !ok || !slices.Contains(strings.Fields(deps), "github.com/getsops/sops/v3") {
			continue
		}
		linking = append(linking, strings.TrimPrefix(bin, module))
	}
	sort.Strings(linking)
	for _, p := range linking {
		if !slices.Contains(opensSecrets, p) {
			t.Errorf("%s's tests link the sops library: keep it out of the package's imports (give it its own input types, as deploy.Change), or add it to opensSecrets with the reason", p)
		}
	}
	for _, p := range opensSecrets {
		if !slices.Contains(linking, p) {
			t.Errorf("%s's tests do not link the sops library: take it out of opensSecrets", p)
		}
	}
}
