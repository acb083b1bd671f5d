package nix_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/hostcheck"
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

// checkVMSecrets: the real sops opens the VM test's secrets.yaml with its
// age key and with its SSH host key (converted as sops-nix does), and it
// holds every key the machine's secrets name.
func checkVMSecrets(t *testing.T, keys []string) {
	t.Helper()
	dir := filepath.Join(root, "nix", "tests")
	sshKey, err := os.ReadFile(filepath.Join(dir, "keys", "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	fromSSH, err := agekey.SSHPrivateToAge(sshKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	sshAge := filepath.Join(t.TempDir(), "ssh-host.age")
	if err := os.WriteFile(sshAge, []byte(fromSSH+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sops, err := exec.Command("go", "tool", "-n", "sops").Output()
	if err != nil {
		t.Skipf("go tool -n sops: %v", err)
	}
	for name, keyFile := range map[string]string{"keys/age.key": filepath.Join(dir, "keys", "age.key"), "keys/ssh_host_ed25519_key": sshAge} {
		cmd := exec.Command(strings.TrimSpace(string(sops)), "decrypt", filepath.Join(dir, "secrets.yaml"))
		cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+keyFile, "SOPS_AGE_KEY=", "SOPS_AGE_SSH_PRIVATE_KEY_FILE=", "HOME="+t.TempDir())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		plain, err := cmd.Output()
		if err != nil {
			t.Errorf("sops decrypt secrets.yaml with %s: %v\n%s", name, err, stderr.String())
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
