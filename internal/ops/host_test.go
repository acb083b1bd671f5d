package ops

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/deploy"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/textutil"
)

// fleetConfig is the seed's nix-secrets .sops.yaml: an admin (rain), two
// hosts, a shared file and a file per host; extra rules are appended.
const fleetConfig = `# nix-secrets
keys:
  hosts:
    - &malphas MALPHAS
    - &sorrow SORROW
  users:
    - &rain RAIN # admin
creation_rules:
  - path_regex: sops/shared\.yaml$
    key_groups:
      - age:
          - *rain
          - *malphas
          - *sorrow
  - path_regex: sops/malphas\.yaml$
    key_groups:
      - age:
          - *rain
          - *malphas
  - path_regex: sops/sorrow\.yaml$
    key_groups:
      - age:
          - *rain
          - *sorrow
`

// fleet is a secrets repository in a temporary folder, its files
// encrypted by the sops library for their rules' keys, and the admin's
// key where sops looks (SOPS_AGE_KEY_FILE, nothing else).
type fleet struct {
	t    *testing.T
	root string
	ids  map[string]*age.X25519Identity
}

func newFleet(t *testing.T, extraRules string, extraFiles map[string][]string) *fleet {
	t.Helper()
	f := &fleet{t: t, root: t.TempDir(), ids: map[string]*age.X25519Identity{}}
	for _, n := range []string{"rain", "malphas", "sorrow", "griefling"} {
		f.ids[n] = f.newID()
	}
	cfg := strings.NewReplacer("MALPHAS", f.recip("malphas"), "SORROW", f.recip("sorrow"), "RAIN", f.recip("rain")).Replace(fleetConfig + extraRules)
	f.write(".sops.yaml", []byte(cfg), 0o644)
	files := map[string][]string{
		"sops/shared.yaml":  {"rain", "malphas", "sorrow"},
		"sops/malphas.yaml": {"rain", "malphas"},
		"sops/sorrow.yaml":  {"rain", "sorrow"},
	}
	for rel, names := range extraFiles {
		files[rel] = names
	}
	for rel, names := range files {
		f.encrypt(rel, "token: abc123\n", names...)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("SOPS_AGE_KEY", "")
	t.Setenv("SOPS_AGE_SSH_PRIVATE_KEY_FILE", "")
	keyFile := filepath.Join(home, "rain.key")
	if err := os.WriteFile(keyFile, []byte(f.ids["rain"].String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	return f
}

func (f *fleet) newID() *age.X25519Identity {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fleet) recip(name string) string { return f.ids[name].Recipient().String() }

func (f *fleet) abs(rel string) string { return filepath.Join(f.root, filepath.FromSlash(rel)) }

func (f *fleet) write(rel string, data []byte, mode os.FileMode) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(f.abs(rel)), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(f.abs(rel), data, mode); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fleet) read(rel string) []byte {
	f.t.Helper()
	data, err := os.ReadFile(f.abs(rel))
	if err != nil {
		f.t.Fatal(err)
	}
	return data
}

func (f *fleet) encrypt(rel, plaintext string, names ...string) {
	f.t.Helper()
	var rs []string
	for _, n := range names {
		rs = append(rs, f.recip(n))
	}
	enc, err := sopsfile.Encrypt(f.abs(rel), []byte(plaintext), sopsfile.EncryptOptions{Groups: [][]string{rs}})
	if err != nil {
		f.t.Fatal(err)
	}
	f.write(rel, enc, 0o644)
}

// opens reports whether id alone opens rel as it is on disk.
func (f *fleet) opens(rel string, id *age.X25519Identity) bool {
	f.t.Helper()
	_, err := sopsfile.Decrypt(f.abs(rel), f.read(rel), id.String())
	return err == nil
}

func (f *fleet) options(command string) Options {
	return Options{Repo: f.root, NoCommit: true, LockTimeout: time.Second, Command: command}
}

func (f *fleet) config() *sopsconfig.Config {
	f.t.Helper()
	cfg, err := sopsconfig.Parse(f.abs(".sops.yaml"), f.read(".sops.yaml"))
	if err != nil {
		f.t.Fatal(err)
	}
	return cfg
}

// aliases are the key names the rule for rel lists, in order.
func (f *fleet) aliases(rel string) []string {
	f.t.Helper()
	r, err := f.config().RuleFor(rel)
	if err != nil {
		f.t.Fatalf("%s: %v", rel, err)
	}
	var out []string
	for _, g := range r.KeyGroups {
		for _, k := range g.Keys {
			out = append(out, k.Alias)
		}
	}
	return out
}

// tree is every file of the repository and its content, but for the
// lock file a session leaves in .keycycle/, and the .gitignore there.
func (f *fleet) tree() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(f.root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == f.abs(".keycycle/.gitignore") || p == f.abs(".keycycle/lock") {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = string(data)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func TestHostAddEdits(t *testing.T) {
	f := newFleet(t, "", nil)
	res, err := HostAdd(context.Background(), f.options("keycycle host add griefling"), HostAddRequest{
		Name: "griefling", Key: hostkey.Source{Age: f.recip("griefling")}, Dir: "sops", Deploy: deploy.Step{MaxParallel: 1}})
	if err != nil {
		t.Fatal(err)
	}
	a, ok := f.config().AnchorByName("griefling")
	if !ok || a.Value != f.recip("griefling") || !slices.Equal(a.Group, []string{"hosts"}) {
		t.Errorf("&griefling = %+v, %v; want its recipient under hosts:", a, ok)
	}
	if got, want := f.aliases("sops/shared.yaml"), []string{"rain", "malphas", "sorrow", "griefling"}; !slices.Equal(got, want) {
		t.Errorf("shared rule lists %v, want %v", got, want)
	}
	if got, want := f.aliases("sops/griefling.yaml"), []string{"rain", "griefling"}; !slices.Equal(got, want) {
		t.Errorf("griefling's rule lists %v, want %v", got, want)
	}
	if got, want := f.aliases("sops/malphas.yaml"), []string{"rain", "malphas"}; !slices.Equal(got, want) {
		t.Errorf("malphas's rule lists %v, want %v", got, want)
	}
	g := f.ids["griefling"]
	if !f.opens("sops/griefling.yaml", g) || !f.opens("sops/shared.yaml", g) || f.opens("sops/malphas.yaml", g) {
		t.Error("griefling's key must open its own file and shared.yaml, and not malphas.yaml")
	}
	if res.Plan == nil || !slices.ContainsFunc(res.Plan.Files, func(r change.FileResult) bool { return r.Rel == "sops/griefling.yaml" }) {
		t.Errorf("the plan does not create sops/griefling.yaml: %+v", res.Plan)
	}
	if d := res.Deployed; d == nil || d.Command != "" || !slices.Equal(d.Hosts, []string{"griefling", "malphas", "sorrow"}) {
		t.Errorf("deploy outcome %+v, want the hosts named (no deploy command)", d)
	}
}

func TestHostAddUserKeyNoShared(t *testing.T) {
	f := newFleet(t, "", nil)
	before := f.read("sops/shared.yaml")
	_, err := HostAdd(context.Background(), f.options("keycycle host add griefling"), HostAddRequest{
		Name: "griefling", Key: hostkey.Source{Age: f.recip("griefling")}, UserKey: "rain", NoShared: true,
		Dir: "sops", Deploy: deploy.Step{Skip: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.aliases("sops/griefling.yaml"), []string{"rain", "rain_griefling", "griefling"}; !slices.Equal(got, want) {
		t.Errorf("griefling's rule lists %v, want %v", got, want)
	}
	if !bytes.Equal(f.read("sops/shared.yaml"), before) || slices.Contains(f.aliases("sops/shared.yaml"), "griefling") {
		t.Error("--no-shared changed the shared rule or its file")
	}
	plain, err := sopsfile.Decrypt(f.abs("sops/griefling.yaml"), f.read("sops/griefling.yaml"), f.ids["griefling"].String())
	if err != nil {
		t.Fatal(err)
	}
	stored, err := age.ParseX25519Identity(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(plain)), "keys:\n    age:")))
	if err != nil {
		t.Fatalf("the host file does not hold the user key under keys/age: %q: %v", plain, err)
	}
	a, ok := f.config().AnchorByName("rain_griefling")
	if !ok || a.Value != stored.Recipient().String() || !slices.Equal(a.Group, []string{"users"}) {
		t.Errorf("&rain_griefling = %+v, %v; want the stored key's recipient under users:", a, ok)
	}
}

func TestHostAddRefusesWritingNothing(t *testing.T) {
	f := newFleet(t, "", nil)
	before := f.tree()
	for _, tc := range []struct {
		name string
		req  HostAddRequest
		want string
	}{
		{"taken name", HostAddRequest{Name: "malphas", Key: hostkey.Source{Age: f.recip("griefling")}}, "&malphas already exists"},
		{"taken key", HostAddRequest{Name: "griefling", Key: hostkey.Source{Age: f.recip("sorrow")}}, "already registered as &sorrow"},
		{"no key", HostAddRequest{Name: "griefling"}, "host add needs the host's key"},
		{"bad name", HostAddRequest{Name: "../x", Key: hostkey.Source{Age: f.recip("griefling")}}, "not a valid host name"},
	} {
		tc.req.Dir = "sops"
		_, err := HostAdd(context.Background(), f.options("keycycle host add"), tc.req)
		if err == nil || !strings.Contains(err.Error(), tc.want) || textutil.IsFindings(err) {
			t.Errorf("%s: err %v, want a cannot-run error with %q", tc.name, err, tc.want)
		}
	}
	if after := f.tree(); !maps.Equal(before, after) {
		for p := range after {
			if w, ok := before[p]; !ok || w != after[p] {
				t.Logf("changed: %s", p)
			}
		}
		t.Error("a refused host add wrote to the repository")
	}
}

func TestHostRemoveRefusals(t *testing.T) {
	f := newFleet(t, "  - path_regex: sops/only\\.yaml$\n    age: *sorrow\n", map[string][]string{"sops/only.yaml": {"sorrow"}})
	before := f.tree()
	ctx := context.Background()
	_, err := HostRemove(ctx, f.options("keycycle host remove nobody"), HostRemoveRequest{Name: "nobody", Dir: "sops"})
	if err == nil || err.Error() != "no key &nobody in .sops.yaml" || textutil.HintOf(err) != "'keycycle inventory' lists the keys .sops.yaml defines" {
		t.Errorf("unknown host: %v (hint %q)", err, textutil.HintOf(err))
	}
	_, err = HostRemove(ctx, f.options("keycycle host remove sorrow"), HostRemoveRequest{Name: "sorrow", Dir: "sops"})
	if err == nil || !strings.Contains(err.Error(), "would leave a key group of creation rule 3") || !strings.HasPrefix(textutil.HintOf(err), "a file must keep at least one recipient") {
		t.Errorf("removing the only key of a rule: %v (hint %q)", err, textutil.HintOf(err))
	}
	if after := f.tree(); !maps.Equal(before, after) {
		for p := range after {
			if w, ok := before[p]; !ok || w != after[p] {
				t.Logf("changed: %s", p)
			}
		}
		t.Error("a refused host remove wrote to the repository")
	}
}

func TestHostRemoveConvergesOnTheAuditLog(t *testing.T) {
	f := newFleet(t, "", nil)
	ctx := context.Background()
	oldShared := f.read("sops/shared.yaml")
	req := HostRemoveRequest{Name: "sorrow", Dir: "sops", Deploy: deploy.Step{Skip: true}}
	res, err := HostRemove(ctx, f.options("keycycle host remove sorrow"), req)
	if err != nil || res.AlreadyRemoved || res.Plan == nil {
		t.Fatalf("host remove: %+v, %v", res, err)
	}
	if _, err := os.Stat(f.abs("sops/sorrow.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sops/sorrow.yaml is still there: %v", err)
	}
	if f.opens("sops/shared.yaml", f.ids["sorrow"]) {
		t.Error("the removed key still opens shared.yaml")
	}
	if _, ok := f.config().AnchorByName("sorrow"); ok {
		t.Error("&sorrow is still in .sops.yaml")
	}
	// Again: the audit log shows it done, and no file lists the key.
	res, err = HostRemove(ctx, f.options("keycycle host remove sorrow --again"), req)
	if err != nil || res == nil || !res.AlreadyRemoved {
		t.Errorf("a second host remove: %+v, %v; want it done already", res, err)
	}
	// A file its key still opens (an old copy put back) is left to do.
	f.write("sops/shared.yaml", oldShared, 0o644)
	_, err = HostRemove(ctx, f.options("keycycle host remove sorrow --again"), req)
	if err == nil || !strings.Contains(err.Error(), "&sorrow is out of .sops.yaml, but its key still opens sops/shared.yaml") ||
		textutil.HintOf(err) != "give them new data keys: 'keycycle rekey --rotate-data-key sops/shared.yaml'" {
		t.Errorf("a removed key that still opens a file: %v (hint %q)", err, textutil.HintOf(err))
	}
}
