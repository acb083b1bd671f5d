package nix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// manifest parses a manifest sops-nix's module wrote, as `host check
// --expect` reads it.
func manifest(t *testing.T, text *string) *hostcheck.Manifest {
	t.Helper()
	if text == nil {
		t.Fatal("no manifest: sops-nix did not define it")
	}
	m, err := hostcheck.ParseManifest([]byte(*text))
	if err != nil {
		t.Fatalf("host check cannot read sops-nix's manifest: %v\n%s", err, *text)
	}
	return m
}

// TestGoldenManifests: internal/hostcheck/testdata/sops-nix holds the
// manifests sops-nix's module writes for the persist case, so that host
// check's tests read the real thing without Nix. When sops-nix (or
// the case) changes, this fails and says how to write them again.
func TestGoldenManifests(t *testing.T) {
	f := okCase(t, "persist")
	f.noFailures(t)
	for name, got := range map[string]*string{"manifest.json": f.Sops.Manifest, "manifest-for-users.json": f.Sops.UsersManifest} {
		p := filepath.Join(root, "internal", "hostcheck", "testdata", "sops-nix", name)
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(want)) != deref(got) {
			t.Errorf("%s differs from what sops-nix's module writes now; write it again with\n"+
				"  nix-instantiate --eval --strict --json nix/tests/eval/cases.nix --arg vendor ../shared/vendor -A ok.persist.sops.%s | jq -r . > %s\ngot:\n%s",
				p, map[string]string{"manifest.json": "manifest", "manifest-for-users.json": "usersManifest"}[name], p, deref(got))
		}
	}
}

// checkVMSecrets: the VM test's secrets.yaml opens with its age key and
// with its SSH host key (converted as sops-nix does), and holds every key
// the machine's secrets name.
func checkVMSecrets(t *testing.T, keys []string) {
	t.Helper()
	dir := filepath.Join(root, "nix", "tests")
	data, err := os.ReadFile(filepath.Join(dir, "secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ageKey, err := os.ReadFile(filepath.Join(dir, "keys", "age.key"))
	if err != nil {
		t.Fatal(err)
	}
	sshKey, err := os.ReadFile(filepath.Join(dir, "keys", "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	fromSSH, err := agekey.SSHPrivateToAge(sshKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	var identity string
	for _, l := range strings.Split(string(ageKey), "\n") {
		if strings.HasPrefix(l, "AGE-SECRET-KEY-") {
			identity = l
		}
	}
	for name, id := range map[string]string{"keys/age.key": identity, "keys/ssh_host_ed25519_key": fromSSH} {
		plain, err := sopsfile.Decrypt("secrets.yaml", data, id)
		if err != nil {
			t.Errorf("secrets.yaml does not open with %s: %v", name, err)
			continue
		}
		var tree map[string]any
		if err := yaml.Unmarshal(plain, &tree); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !hasKey(tree, strings.Split(k, "/")) {
				t.Errorf("secrets.yaml has no %q, which the VM test's machine installs", k)
			}
		}
	}
}

func hasKey(tree map[string]any, path []string) bool {
	v, ok := tree[path[0]]
	if !ok || len(path) == 1 {
		return ok
	}
	sub, ok := v.(map[string]any)
	return ok && hasKey(sub, path[1:])
}
