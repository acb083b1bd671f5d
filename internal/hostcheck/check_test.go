package hostcheck

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

func registeredIn(t *testing.T, yaml string) []Registered {
	t.Helper()
	cfg, err := sopsconfig.Parse("/repo/.sops.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return RegisteredFromConfig(cfg)
}

func TestGoodHost(t *testing.T) {
	h := newHost(t)
	o := h.opts()
	o.Registered = registeredIn(t, "keys:\n  - &admin "+h.userAge+"\n  - &host "+h.sshAge+"\ncreation_rules:\n  - path_regex: sops/.*\n    age: [*admin, *host]\n")
	o.RegisteredFrom = ".sops.yaml"
	o.Audit = []byte{}
	rep := run(t, o)
	want(t, rep, nil)
	if rep.SecretsExpected != 2 || rep.SecretsPresent != 2 {
		t.Errorf("secrets %d/%d, want 2/2", rep.SecretsPresent, rep.SecretsExpected)
	}
	if len(rep.Recipients) != 2 || rep.Recipients[0].Age != h.sshAge || rep.Recipients[1].Age != h.keyAge {
		t.Errorf("recipients %s", mustJSON(t, rep.Recipients))
	}
	if r := rep.Recipients[0]; r.Registered == nil || !*r.Registered || r.SSH != h.sshPub {
		t.Errorf("ssh recipient %s", mustJSON(t, r))
	}
	if rep.KeyFileAge == nil {
		t.Error("no key file age")
	}
	noSecrets(t, rep)
}

func TestWrongModesThenFix(t *testing.T) {
	h := newHost(t)
	os.Chmod(h.path("/etc/ssh/ssh_host_ed25519_key"), 0o644)
	os.Chmod(h.path("/var/lib/sops-nix/key.txt"), 0o640)
	os.Chmod(h.path("/run/secrets.d/1/db/password"), 0o644)
	os.Chmod(h.path("/home/rain/.config/sops/age/keys.txt"), 0o604)
	rep := run(t, h.opts())
	want(t, rep, map[string]Status{"HC002": Fail, "HC004": Fail, "HC009": Fail, "HC010": Fail})
	if d := get(t, rep, "HC004").Details; len(d) != 1 || !strings.Contains(d[0], "/var/lib/sops-nix/key.txt has mode 0640, want 0600") {
		t.Errorf("HC004 details %q", d)
	}
	o := h.opts()
	o.Fix = true
	rep = run(t, o)
	want(t, rep, nil)
	fixed := get(t, rep, "HC009").Fixed
	if len(fixed) != 1 || fixed[0] != "chmod 0400 /run/secrets.d/1/db/password (was 0644)" {
		t.Errorf("HC009 fixed %q", fixed)
	}
	if len(get(t, rep, "HC002").Fixed) != 1 || len(get(t, rep, "HC010").Fixed) != 1 {
		t.Errorf("fixed: %s", mustJSON(t, rep.Results))
	}
	want(t, run(t, h.opts()), nil)
}

func TestBadBech32Line(t *testing.T) {
	h := newHost(t)
	data, _ := os.ReadFile(h.path("/var/lib/sops-nix/key.txt"))
	lines := strings.Split(string(data), "\n")
	k := []byte(lines[2])
	k[30] ^= 'A' ^ 'B'
	if k[30] == lines[2][30] {
		t.Fatal("no change")
	}
	lines[2] = string(k)
	lines = append(lines[:3], append([]string{"# a comment is fine", ""}, lines[3:]...)...)
	h.write("/var/lib/sops-nix/key.txt", strings.Join(lines, "\n"), 0o600)
	rep := run(t, h.opts())
	want(t, rep, map[string]Status{"HC003": Fail})
	d := get(t, rep, "HC003").Details
	if len(d) != 1 || !strings.HasPrefix(d[0], "/var/lib/sops-nix/key.txt:3: ") {
		t.Errorf("HC003 details %q", d)
	}
	noSecrets(t, rep)
}

func TestMissingHostKey(t *testing.T) {
	h := newHost(t)
	os.Remove(h.path("/etc/ssh/ssh_host_ed25519_key"))
	rep := run(t, h.opts())
	want(t, rep, map[string]Status{"HC001": Fail})
	if !get(t, rep, "HC002").Skipped {
		t.Error("HC002 not skipped")
	}
	// No SSH key and no key file: nothing decrypts.
	os.Remove(h.path("/var/lib/sops-nix/key.txt"))
	rep = run(t, h.opts())
	want(t, rep, map[string]Status{"HC001": Fail, "HC003": Fail})
}

func TestKeyFileOptional(t *testing.T) {
	h := newHost(t)
	os.Remove(h.path("/var/lib/sops-nix/key.txt"))
	o := h.opts()
	o.Expect[0].AgeKeyFile = "" // sops.age.keyFile unset
	want(t, run(t, o), nil)
	o.KeyFile, o.KeyFileSet = DefaultKeyFile, true
	want(t, run(t, o), map[string]Status{"HC003": Fail})
	// sops-install-secrets stops when the key file its manifest names
	// cannot be read: every secret is lost.
	rep := run(t, h.opts())
	want(t, rep, map[string]Status{"HC003": Fail})
	if d := get(t, rep, "HC003").Details; len(d) != 1 || !strings.Contains(d[0], "/var/lib/sops-nix/key.txt") {
		t.Errorf("HC003 %q", d)
	}
}

func TestRSAOnlyHost(t *testing.T) {
	h := newHost(t)
	os.Remove(h.path("/etc/ssh/ssh_host_ed25519_key"))
	h.write("/etc/ssh/ssh_host_rsa_key", sshRSA(t), 0o600)
	o := h.opts()
	rep := run(t, o)
	if r := get(t, rep, "HC001"); r.Status != Fail || !strings.Contains(r.Hint, "only RSA") {
		t.Errorf("HC001 %s", mustJSON(t, r))
	}
	o.SSHKeyPaths = []string{"/etc/ssh/ssh_host_rsa_key"}
	r := get(t, run(t, o), "HC001")
	if r.Status != Fail || !strings.Contains(r.Details[0], "a RSA key, not ed25519") {
		t.Errorf("HC001 %s", mustJSON(t, r))
	}
}

func TestLeftoverKey(t *testing.T) {
	h := newHost(t)
	kf, _ := ageKey(t)
	h.write("/var/lib/sops-nix/key.txt.keycycle-previous", kf, 0o644)
	rep := run(t, h.opts())
	want(t, rep, map[string]Status{"HC005": Fail})
	o := h.opts()
	o.Fix = true
	rep = run(t, o)
	r := get(t, rep, "HC005")
	if r.Status != Warn || len(r.Fixed) != 1 || !strings.Contains(r.Details[0], "key.txt.keycycle-previous") {
		t.Errorf("HC005 %s", mustJSON(t, r))
	}
	if data, _ := os.ReadFile(h.path("/var/lib/sops-nix/key.txt.keycycle-previous")); string(data) != kf {
		t.Error("--fix changed a key's contents")
	}
}

func TestHalfInstalledGeneration(t *testing.T) {
	h := newHost(t)
	h.write("/run/secrets.d/2/db/password", "new", 0o400)
	rep := run(t, h.opts())
	want(t, rep, map[string]Status{"HC007": Warn})
	if d := get(t, rep, "HC007").Details; len(d) != 1 || !strings.Contains(d[0], "generation /run/secrets.d/2 exists beyond the current 1") {
		t.Errorf("HC007 %q", d)
	}
	// The link points to a generation that is gone.
	os.Remove(h.path("/run/secrets"))
	h.symlink("/run/secrets.d/7", "/run/secrets")
	rep = run(t, h.opts())
	want(t, rep, map[string]Status{"HC007": Fail, "HC008": Fail})
	if r := get(t, rep, "HC008"); r.Message != "0 of 2 secret(s) installed" {
		t.Errorf("HC008 %s", r.Message)
	}
}

func TestNoExpect(t *testing.T) {
	h := newHost(t)
	o := h.opts()
	o.Expect = nil
	rep := run(t, o)
	want(t, rep, nil)
	if rep.SecretsPresent != 2 || rep.SecretsExpected != -1 {
		t.Errorf("secrets %d/%d", rep.SecretsPresent, rep.SecretsExpected)
	}
	os.RemoveAll(h.path("/run/secrets.d/1"))
	os.MkdirAll(h.path("/run/secrets.d/1"), 0o751)
	want(t, run(t, o), map[string]Status{"HC007": Fail})
	os.Remove(h.path("/run/secrets"))
	want(t, run(t, o), map[string]Status{"HC007": Fail})
}

func TestSecretOwnerByNumericID(t *testing.T) {
	h := newHost(t)
	other := os.Getuid() + 4242
	m, err := ParseManifest([]byte(strings.Replace(h.manifest(), `"uid": `+itoa(os.Getuid()), `"uid": `+itoa(other), 1)))
	if err != nil {
		t.Fatal(err)
	}
	o := h.opts()
	o.Expect = []*Manifest{m}
	rep := run(t, o)
	want(t, rep, map[string]Status{"HC009": Fail})
	if d := get(t, rep, "HC009").Details; len(d) != 1 || !strings.Contains(d[0], "want "+itoa(other)+":") {
		t.Errorf("HC009 %q", d)
	}
	o.Fix = true
	rep = run(t, o)
	r := get(t, rep, "HC009")
	if os.Getuid() == 0 {
		if r.Status != OK || len(r.Fixed) != 1 {
			t.Errorf("as root, --fix: %s", mustJSON(t, r))
		}
	} else if r.Status != Fail || !strings.Contains(strings.Join(r.Details, "\n"), "could not repair") {
		t.Errorf("as a user, --fix: %s", mustJSON(t, r))
	}
}

func TestUnknownOwnerName(t *testing.T) {
	h := newHost(t)
	h.write("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644)
	o := h.opts()
	o.User = ""
	rep := run(t, o)
	if d := get(t, rep, "HC009").Details; len(d) != 1 || !strings.Contains(d[0], `owner "svc" is not in /etc/passwd`) {
		t.Errorf("HC009 %q", d)
	}
}

func TestSSHFormConfusion(t *testing.T) {
	h := newHost(t)
	os.Remove(h.path("/var/lib/sops-nix/key.txt"))
	o := h.opts()
	o.Registered = registeredIn(t, "creation_rules:\n  - age: '"+h.sshPub+"'\n")
	o.RegisteredFrom = ".sops.yaml"
	rep := run(t, o)
	r := get(t, rep, "HC006")
	if r.Status != Fail || !strings.Contains(r.Hint, "ssh-ed25519") || !strings.Contains(r.Hint, h.sshAge) {
		t.Errorf("HC006 %s", mustJSON(t, r))
	}
	// Registered only as an anchor nothing uses.
	o.Registered = registeredIn(t, "keys:\n  - &h "+h.sshAge+"\ncreation_rules:\n  - age: "+h.userAge+"\n")
	if r := get(t, run(t, o), "HC006"); r.Status != Fail || len(r.Details) != 1 {
		t.Errorf("HC006 %s", mustJSON(t, r))
	}
	// A plain list, as --recipients reads it.
	o.Registered = RegisteredFromList([]byte("# hosts\n" + h.sshAge + "\n"))
	if r := get(t, run(t, o), "HC006"); r.Status != OK {
		t.Errorf("HC006 %s", mustJSON(t, r))
	}
}

func TestKeyAge(t *testing.T) {
	h := newHost(t)
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(h.path("/var/lib/sops-nix/key.txt"), old, old)
	o := h.opts()
	o.MaxKeyAge = 90 * 24 * time.Hour
	o.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rep := run(t, o)
	want(t, rep, map[string]Status{"HC011": Warn})
	if rep.KeyFileAge == nil || *rep.KeyFileAge != 365*24*time.Hour {
		t.Errorf("age %v", rep.KeyFileAge)
	}
}

func TestRootNotAFolder(t *testing.T) {
	if _, err := Run(Options{Root: "/nonexistent/root"}); err == nil {
		t.Fatal("no error")
	}
}

func itoa(n int) string { return fmtInt(n) }

// TestSopsNixLoaded: HC013 compares the key file with what sops-nix
// gathered at its last activation (/run/secrets.d/age-keys.txt).
func TestSopsNixLoaded(t *testing.T) {
	h := newHost(t)
	if r := get(t, run(t, h.opts()), "HC013"); !r.Skipped {
		t.Errorf("without age-keys.txt: %s %s", r.Status, r.Message)
	}
	other, _ := ageKey(t)
	h.write("/run/secrets.d/age-keys.txt", other, 0o600)
	rep := run(t, h.opts())
	want(t, rep, map[string]Status{"HC013": Warn})
	if r := get(t, rep, "HC013"); len(r.Details) != 1 || !strings.Contains(r.Details[0], h.keyAge+" (from /var/lib/sops-nix/key.txt) is not among the keys sops-nix loaded") {
		t.Errorf("HC013 details %q", r.Details)
	}
	noSecrets(t, rep)
	keyFile, err := os.ReadFile(h.path("/var/lib/sops-nix/key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	h.write("/run/secrets.d/age-keys.txt", other+string(keyFile), 0o600)
	want(t, run(t, h.opts()), nil)
}
