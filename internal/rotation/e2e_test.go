package rotation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/cli"
	"github.com/keycycle/keycycle/internal/initgc"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/testbin"
	"github.com/keycycle/keycycle/internal/transport/sshtest"
)

// mainEnv makes the test binary run keycycle itself: the host side runs
// it through the SSH server, crash tests run the operator side with it.
const mainEnv = "KEYCYCLE_ROTATION_TEST_MAIN"

func TestMain(m *testing.M) {
	// This binary also runs as the host side's keycycle and the killed
	// operator: its start-up is keycycle's (see internal/initgc).
	initgc.Restore()
	if os.Getenv(mainEnv) == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(runTests(m))
}

// shared is what every test of the package uses, made once by TestMain
// and read-only afterwards: one admin key, which the in-process keycycle
// finds through SOPS_AGE_KEY_FILE. With the environment set once here, no
// test needs t.Setenv, and the tests run in parallel (t.Parallel). The
// seeds, the fixtures' files, are built on first use and guard themselves.
var shared struct {
	dir, admin, adminRcp string
	seeds                seeds
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "keycycle-rotation-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	shared.dir, shared.admin, shared.adminRcp = dir, filepath.Join(dir, "admin.key"), id.Recipient().String()
	if err := os.WriteFile(shared.admin, []byte(id.String()+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for k, v := range map[string]string{"SOPS_AGE_KEY_FILE": shared.admin, "SOPS_AGE_KEY": "",
		"KEYCYCLE_ACTOR": "test@rotation", "GIT_AUTHOR_NAME": "Kay Cycle", "GIT_AUTHOR_EMAIL": "kay@example.org",
		"GIT_COMMITTER_NAME": "Kay Cycle", "GIT_COMMITTER_EMAIL": "kay@example.org", "GIT_CONFIG_GLOBAL": os.DevNull} {
		if err := os.Setenv(k, v); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	// The tests wait on other processes most of the time (sops, ssh, the
	// host side's keycycle).
	if err := testbin.MoreParallel(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return m.Run()
}

// sample is xs, or in -short mode its first, middle and last items: a
// quick loop still runs every kind of case once.
func sample[T any](xs []T) []T {
	if !testing.Short() || len(xs) <= 3 {
		return xs
	}
	return []T{xs[0], xs[len(xs)/2], xs[len(xs)-1]}
}

var sopsPath = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "tool", "-n", "sops").Output()
	return strings.TrimSpace(string(out)), err
})

// fixture is a secrets repository, a host root reached over SSH, and the
// keys involved.
type fixture struct {
	repo, hostRoot, admin, oldKey string
	oldRcp                        string
	srv                           *sshtest.Server
	wrapper                       string
}

func newKey(t *testing.T, path string) string {
	t.Helper()
	rcp, err := makeKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return rcp
}

func setup(t *testing.T) *fixture {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("needs the OpenSSH client")
	}
	if _, err := sopsPath(); err != nil {
		t.Skipf("go tool -n sops: %v", err)
	}
	dir := t.TempDir()
	shared.seeds.copyInto(t, "one host", dir, buildHostSeed)
	f := &fixture{repo: filepath.Join(dir, "repo"), hostRoot: filepath.Join(dir, "host"),
		admin: shared.admin, oldKey: filepath.Join(dir, "old.key")}
	f.oldRcp = recipientOf(t, f.oldKey)
	f.wrapper = hostWrapper(t, dir, fmt.Sprintf("%q", f.hostRoot))
	f.srv = sshtest.Start(t, "griefling", []string{"PATH=/usr/bin:/bin"})
	return f
}

// buildHostSeed makes setup's fixture in dir: the repository (three files
// encrypted by the real sops), old.key (griefling's key, also in the host
// root's key.txt) and other.key (another host's).
func buildHostSeed(dir string) error {
	repo, oldKey := filepath.Join(dir, "repo"), filepath.Join(dir, "old.key")
	oldRcp, err := makeKeyAndCopy(filepath.Join(dir, "host", "var/lib/sops-nix/key.txt"), oldKey)
	if err != nil {
		return err
	}
	otherRcp, err := makeKey(filepath.Join(dir, "other.key"))
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(repo, ".sops.yaml"), fmt.Sprintf(sopsYAML, oldRcp, otherRcp, shared.adminRcp)); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(repo, "keycycle.yaml"), "hosts:\n  griefling:\n    ssh: griefling\ndeploy: echo deploying {host} via {ssh}\n"); err != nil {
		return err
	}
	return sopsEncrypt(repo, shared.admin, map[string]string{"shared": "rain: hunter2\n", "griefling": "wifi: swordfish\n", "other": "x: y\n"})
}

// hostWrapper writes the keycycle the SSH server runs on the host side:
// this test binary as keycycle, with --root root (shell-quoted) added.
func hostWrapper(t *testing.T, dir, root string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w := filepath.Join(dir, "keycycle-host")
	write(t, w, fmt.Sprintf("#!/bin/sh\n%s=1 exec %q \"$@\" --root %s\n", mainEnv, exe, root))
	if err := os.Chmod(w, 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

const sopsYAML = `# nix-secrets
keys:
  hosts:
    - &griefling %s
    - &other %s
  users:
    - &rain %s # admin
creation_rules:
  - path_regex: sops/shared\.yaml$
    key_groups:
      - age:
          - *rain
          - *griefling
          - *other
  - path_regex: sops/griefling\.yaml$
    key_groups:
      - age:
          - *rain
          - *griefling
  - path_regex: sops/other\.yaml$
    key_groups:
      - age:
          - *rain
          - *other
`

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := writeFile(path, body); err != nil {
		t.Fatal(err)
	}
}

// kc runs keycycle in this process and returns its exit code and output.
func (f *fixture) kc(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	args = append(args, "--repo", f.repo)
	code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &out)
	return code, out.String()
}

func (f *fixture) startArgs(extra ...string) []string {
	return append([]string{"rotate", "start", "griefling", "--ssh-config", f.srv.ConfigFile,
		"--remote-keycycle", f.wrapper}, extra...)
}

// sopsOpens tells whether the real sops decrypts file with key alone.
func sopsOpens(t *testing.T, file, key string) bool {
	t.Helper()
	sops, _ := sopsPath()
	cmd := exec.Command(sops, "decrypt", file)
	cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+key, "SOPS_AGE_KEY=", "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	return cmd.Run() == nil
}

func (f *fixture) keyTxt() string { return filepath.Join(f.hostRoot, "var/lib/sops-nix/key.txt") }

func (f *fixture) journals(t *testing.T) []*rotation.Journal {
	t.Helper()
	list, err := rotation.Store{Root: f.repo}.List()
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestRotationHostKeyEndToEnd(t *testing.T) {
	t.Parallel()
	f := setup(t)
	before, _ := os.ReadFile(filepath.Join(f.repo, ".sops.yaml"))
	code, out := f.kc(t, f.startArgs()...)
	if code != 0 {
		t.Fatalf("rotate start: exit %d\n%s", code, out)
	}
	js := f.journals(t)
	if len(js) != 1 || js[0].State != rotation.Done {
		t.Fatalf("journals %+v\n%s", js, out)
	}
	j := js[0]
	if !strings.Contains(out, "deploying griefling via griefling") {
		t.Errorf("the deploy command did not run:\n%s", out)
	}
	after, _ := os.ReadFile(filepath.Join(f.repo, ".sops.yaml"))
	if want := strings.Replace(string(before), f.oldRcp, j.New, 1); string(after) != want {
		t.Errorf(".sops.yaml is not the old one with the key swapped:\n%s", after)
	}
	for _, name := range []string{"shared", "griefling"} {
		p := filepath.Join(f.repo, "sops", name+".yaml")
		if !sopsOpens(t, p, f.keyTxt()) {
			t.Errorf("sops cannot open %s with the new key", name)
		}
		if sopsOpens(t, p, f.oldKey) {
			t.Errorf("sops still opens %s with the old key", name)
		}
	}
	for _, suffix := range []string{".keycycle-prev", ".keycycle-new", ".keycycle-none"} {
		if _, err := os.Stat(f.keyTxt() + suffix); err == nil {
			t.Errorf("%s left on the host", suffix)
		}
	}
	if code, out := f.kc(t, "audit", "verify"); code != 0 {
		t.Errorf("audit verify: %s", out)
	}
	keys, _ := os.ReadFile(filepath.Join(f.repo, ".keycycle/keys.yaml"))
	if !strings.Contains(string(keys), "retired:") || !strings.Contains(string(keys), j.New) {
		t.Errorf("keys.yaml:\n%s", keys)
	}
	data, _ := json.Marshal(j)
	if bytes.Contains(data, []byte("AGE-SECRET-KEY")) {
		t.Error("the journal holds a private key")
	}
	if code, out := f.kc(t, "check"); code != 0 {
		t.Errorf("check after the rotation: exit %d\n%s", code, out)
	}
}

// recipients returns each secrets file's recipients, for comparing.
func (f *fixture) recipients(t *testing.T) string {
	t.Helper()
	return recipientLines(t, f.repo, "shared", "griefling", "other")
}

// recipientLines lists the recipient lines of the files sops/NAME.yaml.
func recipientLines(t *testing.T, repo string, names ...string) string {
	t.Helper()
	var b strings.Builder
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(repo, "sops", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, "recipient:") {
				fmt.Fprintf(&b, "%s %s\n", name, strings.TrimSpace(line))
			}
		}
	}
	return b.String()
}

func TestRotationAbortRestoresEachState(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		on    string
		fault sshtest.Fault
		state rotation.State
	}{
		{"lost link before keygen", "host keygen", sshtest.DropBefore, rotation.Planned},
		{"lost link after keygen", "host keygen", sshtest.DropAfter, rotation.Planned},
		{"lost link after install-key", "host install-key", sshtest.DropAfter, rotation.Added},
		{"verify unreachable", "host verify", sshtest.DropBefore, rotation.Deployed},
	}
	for _, c := range sample(cases) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			cfgBefore, _ := os.ReadFile(filepath.Join(f.repo, ".sops.yaml"))
			keyBefore, _ := os.ReadFile(f.keyTxt())
			rcpBefore := f.recipients(t)
			f.srv.SetFault(func(cmd string) sshtest.Fault {
				if strings.Contains(cmd, c.on) {
					return c.fault
				}
				return sshtest.Run
			})
			code, out := f.kc(t, f.startArgs()...)
			if code != 1 || !strings.Contains(out, "cannot reach griefling") {
				t.Fatalf("rotate start: exit %d, want 1 with the ssh failure\n%s", code, out)
			}
			js := f.journals(t)
			if len(js) != 1 || js[0].State != c.state || js[0].Error == "" {
				t.Fatalf("journal state %s (error %q), want %s", js[0].State, js[0].Error, c.state)
			}
			// At every stop the host opens its files with the key it has.
			for _, name := range []string{"shared", "griefling"} {
				if !sopsOpens(t, filepath.Join(f.repo, "sops", name+".yaml"), f.keyTxt()) {
					t.Fatalf("the host's key cannot open %s at %s", name, c.state)
				}
			}
			code, out = f.kc(t, f.startArgs()...)
			if code != 2 || !strings.Contains(out, "already being rotated") {
				t.Fatalf("second start: exit %d\n%s", code, out)
			}
			f.srv.SetFault(nil)
			if code, out := f.kc(t, "rotate", "abort"); code != 0 {
				t.Fatalf("abort: exit %d\n%s", code, out)
			}
			cfgAfter, _ := os.ReadFile(filepath.Join(f.repo, ".sops.yaml"))
			keyAfter, _ := os.ReadFile(f.keyTxt())
			if !bytes.Equal(cfgBefore, cfgAfter) || !bytes.Equal(keyBefore, keyAfter) {
				t.Fatalf("abort did not restore .sops.yaml or the host key:\n%s", cfgAfter)
			}
			if got := f.recipients(t); got != rcpBefore {
				t.Fatalf("recipients after abort:\n%s\nwant:\n%s", got, rcpBefore)
			}
			entries, _ := os.ReadDir(filepath.Dir(f.keyTxt()))
			if len(entries) != 1 {
				t.Fatalf("host key folder after abort: %v", entries)
			}
			if js := f.journals(t); js[0].State != rotation.Aborted {
				t.Fatalf("state %s after abort", js[0].State)
			}
			// A new rotation can start and finish.
			if code, out := f.kc(t, f.startArgs()...); code != 0 {
				t.Fatalf("rotation after abort: exit %d\n%s", code, out)
			}
		})
	}
}

func TestRotationResumesAfterLostLinks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// Every host command is dropped once, after it ran, the first time.
	seen := map[string]bool{}
	var mu sync.Mutex
	f.srv.SetFault(func(cmd string) sshtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		fields := strings.Fields(cmd)
		verb := fields[2]
		if seen[verb] {
			return sshtest.Run
		}
		seen[verb] = true
		return sshtest.DropAfter
	})
	var code int
	var out string
	for i := 0; i < 10; i++ {
		args := []string{"rotate", "resume"}
		if i == 0 {
			args = f.startArgs()
		}
		if code, out = f.kc(t, args...); code == 0 {
			break
		}
		if !strings.Contains(out, "cannot reach griefling") {
			t.Fatalf("run %d: %s", i, out)
		}
	}
	if code != 0 || f.journals(t)[0].State != rotation.Done {
		t.Fatalf("not done after resumes: %s", out)
	}
	for _, name := range []string{"shared", "griefling"} {
		p := filepath.Join(f.repo, "sops", name+".yaml")
		if !sopsOpens(t, p, f.keyTxt()) || sopsOpens(t, p, f.oldKey) {
			t.Errorf("%s: the new key must open it and the old one not", name)
		}
	}
}

func TestRotationWaitsForTheOperatorToDeploy(t *testing.T) {
	t.Parallel()
	f := setup(t)
	write(t, filepath.Join(f.repo, "keycycle.yaml"), "hosts:\n  griefling:\n    ssh: griefling\n")
	code, out := f.kc(t, f.startArgs()...)
	if code != 0 || !strings.Contains(out, "keycycle rotate resume griefling-") {
		t.Fatalf("start: exit %d\n%s", code, out)
	}
	if js := f.journals(t); js[0].State != rotation.Added || !js[0].DeployAsked {
		t.Fatalf("state %s, want added and waiting", js[0].State)
	}
	code, out = f.kc(t, "rotate", "status")
	if code != 0 || !strings.Contains(out, "waiting for the operator to deploy") {
		t.Fatalf("status: %s", out)
	}
	if code, out := f.kc(t, "rotate", "resume"); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	if js := f.journals(t); js[0].State != rotation.Done {
		t.Fatalf("state %s after resume", js[0].State)
	}
	if code, out := f.kc(t, "rotate", "abort"); code != 2 || !strings.Contains(out, "no rotation is open") {
		t.Fatalf("abort with none open: exit %d\n%s", code, out)
	}
}

// TestRotationLeavesOtherFilesAlone: a rotation rekeys only the files its
// key reads. A drifted file that no identity here opens (another team's,
// say) neither stops it nor is touched.
func TestRotationLeavesOtherFilesAlone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	stranger := newKey(t, filepath.Join(t.TempDir(), "stranger.key"))
	p := filepath.Join(f.repo, "sops", "other.yaml")
	sops, _ := sopsPath()
	write(t, p, "x: y\n")
	// Encrypted for a key the rule does not list: drifted, and the admin
	// cannot open it.
	cmd := exec.Command(sops, "encrypt", "-i", "--age", stranger, p)
	cmd.Dir = f.repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sops encrypt: %v\n%s", err, out)
	}
	before, _ := os.ReadFile(p)
	if code, out := f.kc(t, f.startArgs()...); code != 0 {
		t.Fatalf("rotate start: exit %d\n%s", code, out)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Error("the rotation rewrote sops/other.yaml, which griefling's key does not read")
	}
	f.finish(t)
}

// TestRotationWithOnlyDeployConfigured is the "done when": with
// nothing in keycycle.yaml but deploy:, 'keycycle rotate start griefling'
// reaches the host by its name over ssh and rotates through every step.
// (The mapping form names the test's ssh_config and host-side wrapper,
// which a real fleet has in ~/.ssh/config and on $PATH.)
func TestRotationWithOnlyDeployConfigured(t *testing.T) {
	t.Parallel()
	f := setup(t)
	write(t, filepath.Join(f.repo, "keycycle.yaml"), fmt.Sprintf(
		"deploy:\n  command: echo deploying {host}\n  ssh_config: %s\n  remote_keycycle: %s\n", f.srv.ConfigFile, f.wrapper))
	// keys.yaml says the key came from griefling's SSH host key.
	write(t, filepath.Join(f.repo, ".keycycle/keys.yaml"), fmt.Sprintf(
		"keys:\n  - name: griefling\n    recipient: %s\n    kind: host\n    origin: ssh-host-key\n    created: 2025-01-01\n", f.oldRcp))
	code, out := f.kc(t, "rotate", "start", "griefling")
	if code != 0 || !strings.Contains(out, "griefling: deploying griefling") {
		t.Fatalf("rotate start griefling: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "note: &griefling is griefling's SSH host key converted (ssh-to-age)") {
		t.Errorf("no note about the SSH host key:\n%s", out)
	}
	j := f.journals(t)[0]
	if j.State != rotation.Done || j.Remote.SSH != "griefling" || j.Remote.Binary != f.wrapper {
		t.Fatalf("journal: state %s, remote %+v", j.State, j.Remote)
	}
	f.hostCanDecrypt(t, "after the rotation")
	for _, name := range []string{"shared", "griefling"} {
		if sopsOpens(t, filepath.Join(f.repo, "sops", name+".yaml"), f.oldKey) {
			t.Errorf("the old key still opens %s", name)
		}
	}
}

// TestRotationChecksWhatSopsNixLoaded: a host whose sops-nix did not load
// the new key at activation (its /run/secrets.d/age-keys.txt, what
// sops-nix decrypts with, still holds only the old key: say sops-nix
// reads sshKeyPaths and not the key file) stops the rotation before the
// old key leaves the files; once the activation loads it, resume ends it.
func TestRotationChecksWhatSopsNixLoaded(t *testing.T) {
	t.Parallel()
	f := setup(t)
	loaded := filepath.Join(f.hostRoot, "run/secrets.d/age-keys.txt")
	old, _ := os.ReadFile(f.keyTxt())
	write(t, loaded, string(old))
	code, out := f.kc(t, f.startArgs()...)
	if code != 1 || !strings.Contains(out, "sops-nix did not load the key at its last activation") {
		t.Fatalf("rotate start: exit %d, want 1 naming sops-nix\n%s", code, out)
	}
	if j := f.journals(t)[0]; j.State != rotation.Deployed {
		t.Fatalf("state %s, want deployed", j.State)
	}
	for _, name := range []string{"shared", "griefling"} {
		if !sopsOpens(t, filepath.Join(f.repo, "sops", name+".yaml"), loaded) {
			t.Fatalf("what sops-nix loaded no longer opens %s", name)
		}
	}
	// The activation, as sops-nix does it with sops.age.keyFile set.
	installed, _ := os.ReadFile(f.keyTxt())
	write(t, loaded, string(old)+string(installed))
	if code, out := f.kc(t, "rotate", "resume"); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	f.hostCanDecrypt(t, "done")
}

// TestRotationTakesInFilesMadeMeanwhile: a file made during the rotation
// (here by the deploy command, with the real sops, while the rules list
// both keys) is verified and loses the old key with the others; one made
// with the old key alone stops the rotation before step 6 with the
// command that fixes it.
func TestRotationTakesInFilesMadeMeanwhile(t *testing.T) {
	t.Parallel()
	f := setup(t)
	sops, _ := sopsPath()
	cfg := filepath.Join(f.repo, ".sops.yaml")
	data, _ := os.ReadFile(cfg)
	write(t, cfg, string(data)+"  - path_regex: sops/griefling-[a-z]+\\.yaml$\n    key_groups:\n      - age:\n          - *rain\n          - *griefling\n")
	write(t, filepath.Join(f.repo, "plain.yaml"), "made: meanwhile\n")
	script := filepath.Join(t.TempDir(), "deploy.sh")
	write(t, script, fmt.Sprintf("%q encrypt --filename-override sops/griefling-extra.yaml plain.yaml > sops/griefling-extra.yaml\n", sops))
	write(t, filepath.Join(f.repo, "keycycle.yaml"), "hosts:\n  griefling:\n    ssh: griefling\ndeploy: sh "+script+"\n")
	if code, out := f.kc(t, f.startArgs()...); code != 0 {
		t.Fatalf("rotate start: exit %d\n%s", code, out)
	}
	j := f.journals(t)[0]
	if !slices.Contains(j.Files, "sops/griefling-extra.yaml") {
		t.Fatalf("the journal's files %v lack the file made during the rotation", j.Files)
	}
	extra := filepath.Join(f.repo, "sops", "griefling-extra.yaml")
	if !sopsOpens(t, extra, f.keyTxt()) || sopsOpens(t, extra, f.oldKey) {
		t.Error("the file made during the rotation: the new key must open it, and the old one not")
	}

	// A file made with the old key alone (the new one left out by hand).
	f = setup(t)
	write(t, filepath.Join(f.repo, "plain.yaml"), "made: by hand\n")
	script = filepath.Join(t.TempDir(), "deploy.sh")
	admin, err := age.ParseX25519Identity(strings.TrimSpace(string(mustRead(t, f.admin))))
	if err != nil {
		t.Fatal(err)
	}
	write(t, script, fmt.Sprintf("%q encrypt --filename-override sops/old-only.yaml --age %s,%s plain.yaml > sops/old-only.yaml\n",
		sops, f.oldRcp, admin.Recipient()))
	write(t, filepath.Join(f.repo, "keycycle.yaml"), "hosts:\n  griefling:\n    ssh: griefling\ndeploy: sh "+script+"\n")
	write(t, filepath.Join(f.repo, ".sops.yaml"), strings.Replace(string(mustRead(t, filepath.Join(f.repo, ".sops.yaml"))),
		"creation_rules:\n", "creation_rules:\n  - path_regex: sops/old-only\\.yaml$\n    key_groups:\n      - age:\n          - *rain\n          - *griefling\n", 1))
	code, out := f.kc(t, f.startArgs()...)
	if code != 1 || !strings.Contains(out, "sops/old-only.yaml lists the old key but not the new one") || !strings.Contains(out, "keycycle rekey sops/old-only.yaml") {
		t.Fatalf("rotate start: exit %d, want 1 naming sops/old-only.yaml\n%s", code, out)
	}
	if j := f.journals(t)[0]; j.State != rotation.Deployed {
		t.Fatalf("state %s, want deployed", j.State)
	}
	if code, out := f.kc(t, "rekey", filepath.Join(f.repo, "sops", "old-only.yaml")); code != 0 {
		t.Fatalf("rekey: exit %d\n%s", code, out)
	}
	if code, out := f.kc(t, "rotate", "resume"); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	if p := filepath.Join(f.repo, "sops", "old-only.yaml"); sopsOpens(t, p, f.oldKey) || !sopsOpens(t, p, f.keyTxt()) {
		t.Error("sops/old-only.yaml: the new key must open it, and the old one not")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
