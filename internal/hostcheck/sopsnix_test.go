package hostcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The manifests in testdata/sops-nix are what sops-nix's own module
// writes (nix/tests/eval, case persist; nix/eval_test.go keeps them in
// step with ../shared/vendor): a key file at /persist/sops/key.txt, an
// SSH host key, a secret owned by alice, a template, and a neededForUsers
// secret in the second manifest.
func sopsNixManifests(t *testing.T) []*Manifest {
	t.Helper()
	var out []*Manifest
	for _, name := range []string{"manifest.json", "manifest-for-users.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "sops-nix", name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseManifest(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, m)
	}
	return out
}

// persistHost lays out a host as sops-nix leaves it for those manifests.
func persistHost(t *testing.T) *host {
	h := &host{t: t, dir: t.TempDir()}
	priv, pub := sshEd25519(t)
	h.write("/etc/ssh/ssh_host_ed25519_key", priv, 0o600)
	h.write("/etc/ssh/ssh_host_ed25519_key.pub", pub+"\n", 0o644)
	kf, rec := ageKey(t)
	h.keyAge = rec
	h.write("/persist/sops/key.txt", kf, 0o600)
	uid, gid := os.Getuid(), os.Getgid()
	h.write("/etc/passwd", fmt.Sprintf("root:x:0:0::/root:/bin/sh\nalice:x:%d:%d::/home/alice:/bin/sh\n", uid, gid), 0o644)
	h.write("/etc/group", fmt.Sprintf("root:x:0:\nusers:x:%d:\n", gid), 0o644)
	h.write("/run/secrets.d/1/app/token", "t", 0o440)
	h.write("/run/secrets.d/1/rendered/app.env", "TOKEN=t", 0o400)
	h.write("/run/secrets.d/age-keys.txt", kf, 0o600)
	h.symlink("/run/secrets.d/1", "/run/secrets")
	h.write("/run/secrets-for-users.d/1/alice-password", "$6$x", 0o400)
	h.write("/run/secrets-for-users.d/age-keys.txt", kf, 0o600)
	h.symlink("/run/secrets-for-users.d/1", "/run/secrets-for-users")
	return h
}

func persistOpts(t *testing.T, h *host) Options {
	return Options{Root: h.dir, RootUID: os.Getuid(), Expect: sopsNixManifests(t)}
}

// forUsersOwner adds to statuses what a test run by another user than
// root finds: the neededForUsers secret belongs to uid 0, and such a test
// cannot make it so.
func forUsersOwner(statuses ...string) map[string]Status {
	w := map[string]Status{}
	for i := 0; i+1 < len(statuses); i += 2 {
		w[statuses[i]] = Status(statuses[i+1])
	}
	if os.Getuid() != 0 {
		w["HC009"] = Fail
	}
	return w
}

// TestRealManifests: the manifests as sops-nix writes them are read
// fully: the key file and SSH key they name, the template under
// rendered/, the neededForUsers secret under /run/secrets-for-users.
func TestRealManifests(t *testing.T) {
	h := persistHost(t)
	rep := run(t, persistOpts(t, h))
	want(t, rep, forUsersOwner())
	if rep.SecretsExpected != 3 || rep.SecretsPresent != 3 {
		t.Errorf("secrets %d/%d, want 3/3", rep.SecretsPresent, rep.SecretsExpected)
	}
	if m := get(t, rep, "HC003").Message; !strings.Contains(m, "/persist/sops/key.txt") {
		t.Errorf("HC003 %q: the manifest's ageKeyFile was not read", m)
	}
	if m := get(t, rep, "HC001").Message; !strings.Contains(m, "/etc/ssh/ssh_host_ed25519_key") {
		t.Errorf("HC001 %q", m)
	}
	m := get(t, rep, "HC007").Message
	for _, w := range []string{"/run/secrets → /run/secrets.d/1", "/run/secrets-for-users → /run/secrets-for-users.d/1"} {
		if !strings.Contains(m, w) {
			t.Errorf("HC007 %q lacks %q", m, w)
		}
	}
	if m := get(t, rep, "HC013").Message; !strings.Contains(m, "/run/secrets.d/age-keys.txt, /run/secrets-for-users.d/age-keys.txt") {
		t.Errorf("HC013 %q", m)
	}
	noSecrets(t, rep)
}

// TestManifestKeyFilePerms: a key at the manifest's ageKeyFile with mode
// 0644 is found and repaired, though no --key-file names it.
func TestManifestKeyFilePerms(t *testing.T) {
	h := persistHost(t)
	if err := os.Chmod(h.path("/persist/sops/key.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := persistOpts(t, h)
	rep := run(t, o)
	want(t, rep, forUsersOwner("HC004", string(Fail)))
	if d := get(t, rep, "HC004").Details; len(d) != 1 || !strings.Contains(d[0], "/persist/sops/key.txt has mode 0644, want 0600") {
		t.Errorf("HC004 %q", d)
	}
	o.Fix, o.Only = true, []string{"HC004"}
	if r := get(t, run(t, o), "HC004"); r.Status != OK || !slices.Equal(r.Fixed, []string{"chmod 0600 /persist/sops/key.txt (was 0644)"}) {
		t.Errorf("HC004 after --fix: %s %q", r.Status, r.Fixed)
	}
}

// TestManifestMissing: a missing template and a missing neededForUsers
// secret are named where sops-nix installs them; a for-users activation
// that did not load the key file is named by its own age-keys.txt.
func TestManifestMissing(t *testing.T) {
	h := persistHost(t)
	os.Remove(h.path("/run/secrets.d/1/rendered/app.env"))
	os.Remove(h.path("/run/secrets-for-users.d/1/alice-password"))
	other, _ := ageKey(t)
	h.write("/run/secrets-for-users.d/age-keys.txt", other, 0o600)
	rep := run(t, persistOpts(t, h))
	want(t, rep, map[string]Status{"HC008": Fail, "HC013": Warn})
	d := get(t, rep, "HC008").Details
	if !slices.Equal(d, []string{"/run/secrets/rendered/app.env: missing", "/run/secrets-for-users/alice-password: missing"}) {
		t.Errorf("HC008 %q", d)
	}
	if d := get(t, rep, "HC013").Details; len(d) != 1 || !strings.Contains(d[0], "sops-nix loaded in /run/secrets-for-users.d/age-keys.txt") {
		t.Errorf("HC013 %q", d)
	}
	os.Remove(h.path("/run/secrets-for-users"))
	rep = run(t, persistOpts(t, h))
	if d := get(t, rep, "HC007").Details; len(d) != 1 || !strings.HasPrefix(d[0], "/run/secrets-for-users: ") {
		t.Errorf("HC007 %q", d)
	}
}

// TestByNameForUsers: in `builtins.toJSON config.sops.secrets`, a
// neededForUsers secret is looked for under /run/secrets-for-users, as
// sops-nix installs it, not reported missing under /run/secrets.
func TestByNameForUsers(t *testing.T) {
	h := persistHost(t)
	m, err := ParseManifest([]byte(`{
  "app/token": {"name": "app/token", "owner": "alice", "group": "users", "mode": "0440", "path": "/run/secrets/app/token", "neededForUsers": false},
  "alice-password": {"name": "alice-password", "owner": null, "group": null, "uid": 0, "gid": 0, "mode": "0400", "neededForUsers": true}
}`))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Root: h.dir, RootUID: os.Getuid(), Expect: []*Manifest{m}, KeyFile: "/persist/sops/key.txt"}
	rep := run(t, o)
	want(t, rep, forUsersOwner())
	if rep.SecretsExpected != 2 || rep.SecretsPresent != 2 {
		t.Errorf("secrets %d/%d: %s", rep.SecretsPresent, rep.SecretsExpected, mustJSON(t, get(t, rep, "HC008")))
	}
}

// TestManifestWithoutSSHKeys: a manifest whose ageSshKeyPaths is empty
// means sops-nix uses no SSH host key: none is required.
func TestManifestWithoutSSHKeys(t *testing.T) {
	h := persistHost(t)
	os.Remove(h.path("/etc/ssh/ssh_host_ed25519_key"))
	o := persistOpts(t, h)
	for _, m := range o.Expect {
		m.AgeSSHKeyPaths = []string{}
	}
	rep := run(t, o)
	want(t, rep, forUsersOwner())
	if r := get(t, rep, "HC001"); !r.Skipped {
		t.Errorf("HC001 %s %q", r.Status, r.Message)
	}
	o = persistOpts(t, h) // it names the key: its absence fails
	want(t, run(t, o), forUsersOwner("HC001", string(Fail)))
}
