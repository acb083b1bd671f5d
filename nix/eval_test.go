package nix_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const (
	needsSops = "services.keycycle needs sops-nix: add sops-nix.nixosModules.sops"
	keyFile   = "/var/lib/sops-nix/key.txt"
	hostKey   = "/etc/ssh/ssh_host_ed25519_key"
)

var (
	okMu    sync.Mutex
	okTried bool
	okCases map[string]*facts
)

// okCase returns the facts of an `ok` case of cases.nix. All cases are
// evaluated at once (one nix-instantiate); when that fails, each case
// alone, so that a failure names its case and Nix's message.
func okCase(t *testing.T, name string) *facts {
	t.Helper()
	okMu.Lock()
	defer okMu.Unlock()
	if !okTried {
		okTried = true
		if out, err := evalRaw(t, cases(t)+".ok"); err == nil {
			if err := json.Unmarshal(out, &okCases); err != nil {
				t.Fatal(err)
			}
		}
	}
	if okCases == nil {
		var f facts
		evalJSON(t, cases(t)+".ok."+strconv.Quote(name), &f)
		return &f
	}
	f, ok := okCases[name]
	if !ok {
		t.Fatalf("no case %q in cases.nix", name)
	}
	return f
}

// Finding 1: without sops-nix, the module evaluates when disabled (also
// with userKey set), and enabled it stops at the friendly assertion, not
// at "The option `sops' does not exist".
func TestWithoutSopsNix(t *testing.T) {
	for _, name := range []string{"no-sops-disabled", "no-sops-disabled-user-key"} {
		f := okCase(t, name)
		f.noFailures(t)
		if len(f.Services) != 0 || f.EnforceScript != nil || len(f.SystemPackages) != 0 {
			t.Errorf("%s: disabled keycycle defines units %v, activation %v, packages %v", name, keys(f.Services), deref(f.EnforceScript), f.SystemPackages)
		}
	}
	for _, name := range []string{"no-sops-enabled", "no-sops-enabled-user-key"} {
		f := okCase(t, name)
		if len(f.FailedAssertions) != 1 || !strings.HasPrefix(f.FailedAssertions[0], needsSops) {
			t.Errorf("%s: failed assertions %q, want only %q", name, f.FailedAssertions, needsSops)
		}
	}
}

// With sops-nix but no age key, keycycle's assertion names the options.
func TestNoKeyAssertion(t *testing.T) {
	f := okCase(t, "no-key")
	if len(f.FailedAssertions) != 1 || !strings.Contains(f.FailedAssertions[0], "neither sops.age.keyFile nor sops.age.sshKeyPaths") {
		t.Errorf("failed assertions %q", f.FailedAssertions)
	}
}

// Finding 2: SSH host keys given as strings, as path values (sops-nix's
// own type, as its tests write them) or by sops-nix's default from
// services.openssh all reach --ssh-key as the path on the host, never a
// copy in the Nix store.
func TestSSHKeyPaths(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join(root, "nix", "tests", "keys", "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"ssh-strings": hostKey, "ssh-openssh": hostKey, "ssh-paths": abs} {
		f := okCase(t, name)
		f.noFailures(t)
		if !slices.Equal(f.Keycycle.SSHKeyPaths, []string{want}) {
			t.Errorf("%s: sshKeyPaths %v, want [%s]", name, f.Keycycle.SSHKeyPaths, want)
		}
		for _, cmd := range []string{f.service(t, "keycycle-verify").execStart(), deref(f.EnforceScript)} {
			if got := args(cmd, "--ssh-key"); !slices.Equal(got, []string{want}) {
				t.Errorf("%s: --ssh-key %v, want [%s] in %s", name, got, want, cmd)
			}
			if len(args(cmd, "--key-file")) != 0 {
				t.Errorf("%s: a --key-file without sops.age.keyFile: %s", name, cmd)
			}
		}
	}
}

// The key file case: the units check it and sops-nix's real manifest,
// re-run when it changes, and activation repairs the key's mode after
// sops-nix installed the secrets.
func TestKeyFile(t *testing.T) {
	f := okCase(t, "key-file")
	f.noFailures(t)
	v := f.service(t, "keycycle-verify")
	if got := args(v.execStart(), "--key-file"); !slices.Equal(got, []string{keyFile}) {
		t.Errorf("--key-file %v in %s", got, v.execStart())
	}
	if !slices.Equal(f.expects(t), []string{deref(f.Sops.ManifestPath)}) {
		t.Errorf("--expect %v, want sops-nix's manifest %s", f.expects(t), deref(f.Sops.ManifestPath))
	}
	if !slices.Equal(v.RestartTriggers, []string{deref(f.Sops.ManifestPath)}) {
		t.Errorf("restartTriggers %v", v.RestartTriggers)
	}
	if !slices.Contains(v.WantedBy, "multi-user.target") || v.ServiceConfig["Type"] != "oneshot" {
		t.Errorf("keycycle-verify %+v", v)
	}
	e := deref(f.EnforceScript)
	for _, w := range []string{"--only HC001,HC002,HC003,HC004,HC005", "--key-file " + keyFile, "--fix", "false"} {
		if !strings.Contains(e, w) {
			t.Errorf("activation snippet lacks %q:\n%s", w, e)
		}
	}
	f.runsAfter(t, "keycycle-enforce", "setupSecrets")
	if _, ok := f.Timers["keycycle-rotation-check"]; !ok {
		t.Errorf("no rotation check timer: %v", keys(f.Timers))
	}
	m := manifest(t, f.Sops.Manifest)
	if len(m.Secrets) != 1 || m.Secrets[0].Name != "app/token" || deref(m.Secrets[0].Owner) != "alice" || m.AgeKeyFile != keyFile {
		t.Errorf("manifest %+v", m)
	}
}

// Finding 5: activation runs keycycle-enforce after sops-nix made its key
// (generateKey) and installed the secrets, by dependency, not by the
// alphabetical order of the snippets' names.
func TestEnforceOrder(t *testing.T) {
	f := okCase(t, "generate-key")
	f.noFailures(t)
	f.runsAfter(t, "keycycle-enforce", "generate-age-key")
	f.runsAfter(t, "keycycle-enforce", "setupSecrets")
	f = okCase(t, "for-users-only")
	f.runsAfter(t, "keycycle-enforce", "setupSecretsForUsers")
	if slices.Contains(f.ActivationDeps["keycycle-enforce"], "setupSecrets") {
		t.Errorf("depends on setupSecrets, which this host does not have: %v", f.ActivationDeps["keycycle-enforce"])
	}
}

// With sops.useSystemdActivation (sysusers), the units run after
// sops-nix's units, with the very manifests those units install.
func TestSystemdActivation(t *testing.T) {
	f := okCase(t, "systemd-activation")
	f.noFailures(t)
	for _, n := range []string{"keycycle-verify", "keycycle-rotation-check"} {
		if u := f.service(t, n); !slices.Equal(u.After, []string{"sops-install-secrets.service"}) {
			t.Errorf("%s after %v", n, u.After)
		}
	}
	if w := f.service(t, "keycycle-verify").Wants; !slices.Equal(w, []string{"sops-install-secrets.service"}) {
		t.Errorf("wants %v", w)
	}
	sameManifests(t, f)
	f = okCase(t, "for-users-systemd")
	f.noFailures(t)
	want := []string{"sops-install-secrets-for-users.service", "sops-install-secrets.service"}
	if a := f.service(t, "keycycle-verify").After; !slices.Equal(a, want) {
		t.Errorf("after %v, want %v", a, want)
	}
	sameManifests(t, f)
}

// sameManifests checks that keycycle expects exactly the manifests
// sops-nix's units install.
func sameManifests(t *testing.T, f *facts) {
	t.Helper()
	var installed []string
	for _, n := range []string{"sops-install-secrets", "sops-install-secrets-for-users"} {
		if u, ok := f.Services[n]; ok {
			fields := strings.Fields(u.execStart())
			installed = append(installed, fields[len(fields)-1])
		}
	}
	got := f.expects(t)
	slices.Sort(got)
	slices.Sort(installed)
	if !slices.Equal(got, installed) {
		t.Errorf("--expect %v, sops-nix installs %v", got, installed)
	}
}

// Finding 4: templates and neededForUsers secrets are expected, from
// sops-nix's own manifests.
func TestTemplatesAndForUsers(t *testing.T) {
	f := okCase(t, "templates")
	f.noFailures(t)
	m := manifest(t, f.Sops.Manifest)
	if len(m.Templates) != 1 || m.Templates[0].Name != "app.env" || m.Templates[0].Path != "/run/secrets/rendered/app.env" {
		t.Errorf("templates %+v", m.Templates)
	}
	if got := f.expects(t); !slices.Equal(got, []string{deref(f.Sops.ManifestPath)}) {
		t.Errorf("--expect %v", got)
	}

	f = okCase(t, "for-users-only")
	f.noFailures(t)
	want := []string{deref(f.Sops.ManifestPath), deref(f.Sops.UsersManifestPath)}
	if got := f.expects(t); !slices.Equal(got, want) {
		t.Errorf("--expect %v, want %v", got, want)
	}
	u := manifest(t, f.Sops.UsersManifest)
	if len(u.Secrets) != 1 || u.Secrets[0].Path != "/run/secrets-for-users/alice-password" || u.SymlinkPath != "/run/secrets-for-users" {
		t.Errorf("users manifest %+v", u)
	}
	if r := manifest(t, f.Sops.Manifest); len(r.Secrets) != 0 {
		t.Errorf("regular manifest holds %+v", r.Secrets)
	}
	// Without neededForUsers secrets, no second manifest.
	if got := okCase(t, "key-file").expects(t); len(got) != 1 {
		t.Errorf("--expect %v", got)
	}
}

func TestUserKey(t *testing.T) {
	f := okCase(t, "user-key")
	f.noFailures(t)
	s, ok := f.Sops.Secrets["keys/age"]
	if !ok || s.Path != "/home/alice/.config/sops/age/keys.txt" || deref(s.Owner) != "alice" || s.Mode != "0400" {
		t.Errorf("sops.secrets.\"keys/age\" %+v", s)
	}
	if got := args(f.service(t, "keycycle-verify").execStart(), "--user"); !slices.Equal(got, []string{"alice"}) {
		t.Errorf("--user %v", got)
	}
	if got := args(okCase(t, "key-file").service(t, "keycycle-verify").execStart(), "--user"); len(got) != 0 {
		t.Errorf("--user %v without userKey", got)
	}
}

// Finding 5: ausearch is on the units' PATH when audit is on; the rules
// watch the keys where they are on the host.
func TestAudit(t *testing.T) {
	f := okCase(t, "audit")
	f.noFailures(t)
	for _, n := range []string{"keycycle-verify", "keycycle-rotation-check"} {
		p := f.service(t, n).Path
		if len(p) != 1 || !strings.Contains(p[0], "-audit-") {
			t.Errorf("%s path %v, want the audit package (ausearch)", n, p)
		}
	}
	if p := okCase(t, "key-file").service(t, "keycycle-verify").Path; len(p) != 0 {
		t.Errorf("path %v without audit", p)
	}
	if f.Audit.Enable != true || !f.Audit.Auditd {
		t.Errorf("audit %+v", f.Audit)
	}
	want := []string{"-w " + keyFile + " -p r -k keycycle", "-w /run/secrets.d -p r -k keycycle", "-w /run/secrets-for-users.d -p r -k keycycle"}
	for _, w := range want {
		if !slices.Contains(f.Audit.Rules, w) {
			t.Errorf("rules %q lack %q", f.Audit.Rules, w)
		}
	}
	for _, r := range f.Audit.Rules {
		if strings.Contains(r, "/nix/store") {
			t.Errorf("a rule watches a store path: %s", r)
		}
	}
}

func TestMetrics(t *testing.T) {
	f := okCase(t, "metrics")
	f.noFailures(t)
	dir := "/var/lib/prometheus-node-exporter-text-files"
	if !slices.Equal(f.Tmpfiles, []string{"d " + dir + " 0755 root root -"}) {
		t.Errorf("tmpfiles %q", f.Tmpfiles)
	}
	for n, file := range map[string]string{"keycycle-verify": "keycycle-verify.prom", "keycycle-rotation-check": "keycycle-rotation.prom"} {
		if got := args(f.service(t, n).execStart(), "--metrics"); !slices.Equal(got, []string{dir + "/" + file}) {
			t.Errorf("%s --metrics %v", n, got)
		}
	}
	if got := args(f.service(t, "keycycle-rotation-check").execStart(), "--max-key-age"); !slices.Equal(got, []string{"90d"}) {
		t.Errorf("--max-key-age %v", got)
	}
}

// Finding 3: the VM test's machine declares secrets (a regular one, a
// template, a user's password) and installs the key they are encrypted
// to before sops-nix runs, so that it can pass where KVM is.
func TestVMNode(t *testing.T) {
	f := okCase(t, "vm-node")
	f.noFailures(t)
	if f.Name != "keycycle-host-check" || !strings.Contains(f.TestScript, "keycycle-verify.service") {
		t.Errorf("test %q script %q", f.Name, f.TestScript)
	}
	for _, s := range []string{"setupSecrets", "setupSecretsForUsers"} {
		f.runsAfter(t, s, "keycycle-test-keys")
	}
	f.runsAfter(t, "keycycle-enforce", "setupSecrets")
	if len(f.expects(t)) != 2 {
		t.Errorf("--expect %v: want the manifest and the users' manifest", f.expects(t))
	}
	m, u := manifest(t, f.Sops.Manifest), manifest(t, f.Sops.UsersManifest)
	if len(m.Secrets) != 2 || len(m.Templates) != 1 || len(u.Secrets) != 1 {
		t.Fatalf("manifest %+v, users' %+v", m, u)
	}
	if m.AgeKeyFile != keyFile || !slices.Equal(m.AgeSSHKeyPaths, []string{hostKey}) {
		t.Errorf("keys %q %q", m.AgeKeyFile, m.AgeSSHKeyPaths)
	}
	var names []string
	for _, s := range append(m.Secrets, u.Secrets...) {
		names = append(names, s.Key)
	}
	checkVMSecrets(t, names)
	if !strings.Contains(f.TestScript, "keycycle_host_secrets_present 4") {
		t.Errorf("the script does not count the 4 secrets (2 + 1 template + 1 for users)")
	}
	for _, p := range []string{"keys/age.key", "keys/ssh_host_ed25519_key", "secrets.yaml"} {
		if _, err := os.Stat(filepath.Join(root, "nix", "tests", p)); err != nil {
			t.Error(err)
		}
	}
}
