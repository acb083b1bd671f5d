package nix_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// configuration.nix beside a snippet's flake.nix: a host with a secret
// and an age key, as a newcomer's would be.
const configurationNix = `{
  sops.defaultSopsFile = SECRETS;
  sops.age.keyFile = "/var/lib/sops-nix/key.txt";
  sops.secrets."app/token" = { };
}
`

var nixBlock = regexp.MustCompile("(?s)```nix\n(.*?)```")

// flakeSnippet returns the ```nix block of a document that holds a whole
// flake using keycycle.nixosModules.default.
func flakeSnippet(t *testing.T, doc string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range nixBlock.FindAllStringSubmatch(string(data), -1) {
		if strings.Contains(m[1], "outputs") && strings.Contains(m[1], "keycycle.nixosModules.default") {
			return m[1]
		}
	}
	t.Fatalf("%s has no ```nix flake with keycycle.nixosModules.default", doc)
	return ""
}

// TestFlakeSnippets evaluates the flake a newcomer copies from the
// README and docs/host.md: written to flake.nix beside a
// configuration.nix, its outputs called with nixpkgs' lib, sops-nix's
// module and keycycle's own flake, as `nix flake check` would.
func TestFlakeSnippets(t *testing.T) {
	secrets, err := filepath.Abs(filepath.Join(root, "nix", "tests", "secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{"README.md", filepath.Join("docs", "host.md")} {
		t.Run(doc, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "flake.nix"), flakeSnippet(t, doc))
			write(t, filepath.Join(dir, "configuration.nix"), strings.Replace(configurationNix, "SECRETS", nixPath(secrets), 1))
			var f facts
			evalJSON(t, cases(t)+".snippet "+nixPath(dir), &f)
			f.noFailures(t)
			v := f.service(t, "keycycle-verify")
			if got := args(v.execStart(), "--expect"); len(got) != 1 || got[0] != deref(f.Sops.ManifestPath) {
				t.Errorf("--expect %v", got)
			}
			if !strings.Contains(f.SystemPackages[0], "-keycycle-0.1.0-dev+") {
				t.Errorf("the flake's package is not used: %v", f.SystemPackages)
			}
		})
	}
}

// TestHostDocFiveLines: docs/host.md promises keycycle in five lines of
// a flake; they are the snippet's lines that name keycycle.
func TestHostDocFiveLines(t *testing.T) {
	n := 0
	for _, l := range strings.Split(flakeSnippet(t, filepath.Join("docs", "host.md")), "\n") {
		if strings.Contains(l, "keycycle") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("docs/host.md's flake names keycycle on %d lines, and says five", n)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
