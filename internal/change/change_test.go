package change

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// plainA is the plaintext of most test files; its secret paths are
// db/password and token.
const plainA = "db:\n    password: hunter2\ntoken: abc123\n"

func newIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func recip(id *age.X25519Identity) string { return id.Recipient().String() }

// rule is one creation rule of a test .sops.yaml.
func rule(pathRegex string, ids ...*age.X25519Identity) string {
	var rs []string
	for _, id := range ids {
		rs = append(rs, recip(id))
	}
	return fmt.Sprintf("  - path_regex: '%s'\n    age: %s\n", pathRegex, strings.Join(rs, ","))
}

func config(rules ...string) []byte {
	return []byte("creation_rules:\n" + strings.Join(rules, ""))
}

// testRepo is a repository in a temporary folder.
type testRepo struct {
	t    *testing.T
	root string
	cfg  string
	old  []byte
}

func newRepo(t *testing.T, cfg []byte) *testRepo {
	t.Helper()
	root := t.TempDir()
	r := &testRepo{t: t, root: root, cfg: filepath.Join(root, ".sops.yaml"), old: cfg}
	if err := os.WriteFile(r.cfg, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *testRepo) abs(rel string) string { return filepath.Join(r.root, filepath.FromSlash(rel)) }

func (r *testRepo) write(rel string, data []byte, mode os.FileMode) {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(r.abs(rel)), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(r.abs(rel), data, mode); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Chmod(r.abs(rel), mode); err != nil { // past the umask
		r.t.Fatal(err)
	}
}

// secret writes rel encrypted (one key group) for ids.
func (r *testRepo) secret(rel, plaintext string, ids ...*age.X25519Identity) []byte {
	r.t.Helper()
	var rs []string
	for _, id := range ids {
		rs = append(rs, recip(id))
	}
	enc, err := sopsfile.Encrypt(r.abs(rel), []byte(plaintext), sopsfile.EncryptOptions{Groups: [][]string{rs}})
	if err != nil {
		r.t.Fatal(err)
	}
	r.write(rel, enc, 0o644)
	return enc
}

func (r *testRepo) read(rel string) []byte {
	r.t.Helper()
	data, err := os.ReadFile(r.abs(rel))
	if err != nil {
		r.t.Fatal(err)
	}
	return data
}

// open decrypts rel, as it is on disk, with id alone.
func (r *testRepo) open(rel string, id *age.X25519Identity) ([]byte, error) {
	r.t.Helper()
	return sopsfile.Decrypt(r.abs(rel), r.read(rel), id.String())
}

// mustOpen requires id alone to open rel to want.
func (r *testRepo) mustOpen(rel string, id *age.X25519Identity, want string) {
	r.t.Helper()
	got, err := r.open(rel, id)
	if err != nil {
		r.t.Fatalf("%s does not open with %s: %v", rel, recip(id), err)
	}
	if string(got) != want {
		r.t.Fatalf("%s decrypts to\n%s\nwant\n%s", rel, got, want)
	}
}

// mustNotOpen requires id alone not to open rel (no stanza for it).
func (r *testRepo) mustNotOpen(rel string, id *age.X25519Identity) {
	r.t.Helper()
	got, err := r.open(rel, id)
	if err == nil {
		r.t.Fatalf("%s still opens with %s:\n%s", rel, recip(id), got)
	}
	if !errors.Is(err, sopsfile.ErrNoIdentity) {
		r.t.Fatalf("%s with %s: %v, want ErrNoIdentity", rel, recip(id), err)
	}
}

func (r *testRepo) request(newCfg []byte, ids ...*age.X25519Identity) Request {
	req := Request{ConfigPath: r.cfg, OldConfig: r.old, NewConfig: newCfg}
	for _, id := range ids {
		req.Identities = append(req.Identities, id)
	}
	return req
}

// snapshot is every entry below root (dot-folders included): its type,
// mode and, for a file, the SHA-256 of every byte.
func (r *testRepo) snapshot() map[string]string {
	r.t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(r.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		v := info.Mode().String()
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			v += " " + hex.EncodeToString(sum[:])
		}
		out[filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *testRepo) sameAs(before map[string]string, when string) {
	r.t.Helper()
	after := r.snapshot()
	var diffs []string
	for k, v := range before {
		if after[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: %q -> %q", k, v, after[k]))
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: new (%s)", k, v))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		r.t.Fatalf("%s changed the repository:\n%s", when, strings.Join(diffs, "\n"))
	}
}

// noTemporaries requires that no temporary file (the plan's config, an
// atomic write's) is left anywhere in the repository.
func (r *testRepo) noTemporaries() {
	r.t.Helper()
	for rel := range r.snapshot() {
		base := filepath.Base(rel)
		if strings.Contains(base, ".keycycle-plan-") || strings.Contains(base, fsutil.TempMark) {
			r.t.Errorf("temporary file left: %s", rel)
		}
	}
}

// prepare runs Prepare and requires that it wrote nothing, whether it
// succeeded or not.
func (r *testRepo) prepare(req Request) (*Plan, error) {
	r.t.Helper()
	before := r.snapshot()
	p, err := Prepare(req)
	r.sameAs(before, "Prepare")
	return p, err
}

var encValue = regexp.MustCompile(`ENC\[AES256_GCM,data:[^,]*,`)

// encValues returns the encrypted values of a file (the MAC included).
func encValues(data []byte) []string { return encValue.FindAllString(string(data), -1) }

func rels(p *Plan) []string {
	var out []string
	for _, f := range p.Files {
		out = append(out, f.Action+" "+f.Rel)
	}
	return out
}

func fileResult(t *testing.T, p *Plan, rel string) FileResult {
	t.Helper()
	for _, f := range p.Files {
		if f.Rel == rel {
			return f
		}
	}
	t.Fatalf("%s is not in the plan: %v", rel, rels(p))
	return FileResult{}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestAddRecipient(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/a\.yaml$`, a), rule(`^secrets/b\.yaml$`, a), rule(`^other/`, a)))
	if err := os.Chmod(r.cfg, 0o640); err != nil {
		t.Fatal(err)
	}
	oldA := r.secret("secrets/a.yaml", plainA, a)
	r.secret("secrets/b.yaml", "token: b\n", a)
	oldC := r.secret("other/c.yaml", "token: c\n", a)
	if err := os.Chmod(r.abs("secrets/a.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.write("secrets/plain.yaml", []byte("not: encrypted\n"), 0o644) // matches no rule
	newCfg := config(rule(`^secrets/a\.yaml$`, a, b), rule(`^secrets/b\.yaml$`, a, b), rule(`^other/`, a))

	p, err := r.prepare(r.request(newCfg, a))
	if err != nil {
		t.Fatal(err)
	}
	r.noTemporaries()
	if got, want := rels(p), []string{"rekey secrets/a.yaml", "rekey secrets/b.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	for _, f := range p.Files {
		if !slices.Equal(f.Added, []string{recip(b)}) || len(f.Removed) != 0 || f.DataKeyRotated || f.Readable != nil {
			t.Errorf("%s: added %v removed %v rotated %v readable %v; want only %s added",
				f.Rel, f.Added, f.Removed, f.DataKeyRotated, f.Readable, recip(b))
		}
	}

	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	r.noTemporaries()
	if got := r.read(".sops.yaml"); string(got) != string(newCfg) {
		t.Fatalf(".sops.yaml is\n%s\nwant\n%s", got, newCfg)
	}
	if m := mode(t, r.cfg); m != 0o640 {
		t.Errorf(".sops.yaml mode %v, want 0640 kept", m)
	}
	if m := mode(t, r.abs("secrets/a.yaml")); m != 0o600 {
		t.Errorf("secrets/a.yaml mode %v, want 0600 kept", m)
	}
	for _, id := range []*age.X25519Identity{a, b} {
		r.mustOpen("secrets/a.yaml", id, plainA)
		r.mustOpen("secrets/b.yaml", id, "token: b\n")
	}
	// Adding a recipient keeps the data key: the values are not
	// re-encrypted.
	if got, want := encValues(r.read("secrets/a.yaml")), encValues(oldA); !slices.Equal(got, want) {
		t.Errorf("adding a recipient re-encrypted the values:\n%v\nwas\n%v", got, want)
	}
	if got := r.read("other/c.yaml"); string(got) != string(oldC) {
		t.Error("other/c.yaml, whose rule did not change, was rewritten")
	}
	r.mustNotOpen("other/c.yaml", b)

	// Nothing is left to do.
	again, err := r.prepare(r.request(newCfg, a))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Files) != 0 {
		t.Fatalf("a second Prepare plans %v, want nothing", rels(again))
	}
}

func TestRemoveRecipientRotateFor(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a, b), rule(`^solo/`, a)))
	oldX := r.secret("secrets/x.yaml", plainA, a, b)
	oldY := r.secret("solo/y.yaml", "token: y\n", a)
	newCfg := config(rule(`^secrets/`, a), rule(`^solo/`, a))
	req := r.request(newCfg, a)
	req.RotateFor = []string{recip(b)}

	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	r.noTemporaries()
	if got, want := rels(p), []string{"rekey secrets/x.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v (solo/y.yaml was never readable by the revoked key)", got, want)
	}
	f := p.Files[0]
	if len(f.Added) != 0 || !slices.Equal(f.Removed, []string{recip(b)}) || !f.DataKeyRotated {
		t.Errorf("added %v removed %v rotated %v; want %s removed and a new data key", f.Added, f.Removed, f.DataKeyRotated, recip(b))
	}
	if want := []string{"db/password", "token"}; !slices.Equal(f.Readable, want) {
		t.Errorf("exposed secrets %v, want %v", f.Readable, want)
	}

	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	r.noTemporaries()
	r.mustOpen("secrets/x.yaml", a, plainA)
	r.mustNotOpen("secrets/x.yaml", b)
	// A new data key: every value (and the MAC) is encrypted anew.
	now := encValues(r.read("secrets/x.yaml"))
	if len(now) != 3 {
		t.Fatalf("%d encrypted values, want 3 (two secrets and the MAC)", len(now))
	}
	for _, v := range encValues(oldX) {
		if slices.Contains(now, v) {
			t.Errorf("value %s survived the data key rotation", v)
		}
	}
	if got := r.read("solo/y.yaml"); string(got) != string(oldY) {
		t.Error("solo/y.yaml was rewritten")
	}
}

// TestRotateForOnly forces a new data key on every file a recipient could
// read, though the config does not change; other files stay as they are.
func TestRotateForOnly(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	cfg := config(rule(`^shared/`, a, b), rule(`^own/`, a))
	r := newRepo(t, cfg)
	oldS := r.secret("shared/s.yaml", plainA, a, b)
	oldO := r.secret("own/o.yaml", "token: o\n", a)
	req := r.request(cfg, a)
	req.RotateFor = []string{recip(b)}

	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rels(p), []string{"rekey shared/s.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	s := fileResult(t, p, "shared/s.yaml")
	if len(s.Added) != 0 || len(s.Removed) != 0 || !s.DataKeyRotated {
		t.Errorf("added %v removed %v rotated %v; want only a new data key", s.Added, s.Removed, s.DataKeyRotated)
	}
	if want := []string{"db/password", "token"}; !slices.Equal(s.Readable, want) {
		t.Errorf("exposed %v, want %v", s.Readable, want)
	}

	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []*age.X25519Identity{a, b} {
		r.mustOpen("shared/s.yaml", id, plainA)
	}
	for _, v := range encValues(r.read("shared/s.yaml")) {
		if slices.Contains(encValues(oldS), v) {
			t.Errorf("value %s survived the data key rotation", v)
		}
	}
	if got := r.read("own/o.yaml"); string(got) != string(oldO) {
		t.Error("own/o.yaml, never readable by the revoked key, was rewritten")
	}
	if got := r.read(".sops.yaml"); string(got) != string(cfg) {
		t.Error(".sops.yaml changed")
	}
}

// TestRotateForFileWithoutSecrets: a file the RotateFor recipient can
// read gets a new data key even when it holds no secret (one empty
// mapping): the recipient must learn nothing of what is added later.
func TestRotateForFileWithoutSecrets(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	cfg := config(rule(`^shared/`, a, b))
	r := newRepo(t, cfg)
	old := r.secret("shared/empty.yaml", "{}\n", a, b)
	req := r.request(cfg, a)
	req.RotateFor = []string{recip(b)}
	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := rels(p); !slices.Equal(got, []string{"rekey shared/empty.yaml"}) {
		t.Fatalf("plan %v, want the file rekeyed", got)
	}
	if f := fileResult(t, p, "shared/empty.yaml"); !f.DataKeyRotated || f.Readable == nil || len(f.Readable) != 0 {
		t.Errorf("result %+v, want a new data key and an empty list of exposed secrets", f)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	if string(r.read("shared/empty.yaml")) == string(old) {
		t.Error("shared/empty.yaml was not rewritten")
	}
	r.mustOpen("shared/empty.yaml", a, "{}\n")
}

func TestCreate(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	oldCfg := config(rule(`^secrets/`, a))
	r := newRepo(t, oldCfg)
	r.secret("secrets/x.yaml", plainA, a)
	newCfg := config(rule(`^hosts/new\.yaml$`, a, b), rule(`^secrets/`, a))
	req := r.request(newCfg)
	req.Create = []NewFile{{Rel: "hosts/new.yaml", Plaintext: []byte("keys:\n    age: secret-value\n")}}

	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	r.noTemporaries()
	if _, err := os.Stat(r.abs("hosts")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Prepare made hosts/: %v", err)
	}
	if got, want := rels(p), []string{"create hosts/new.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if f := p.Files[0]; !slices.Equal(f.Added, []string{recip(a), recip(b)}) || f.DataKeyRotated {
		t.Errorf("added %v rotated %v, want both recipients", f.Added, f.DataKeyRotated)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	r.noTemporaries()
	for _, id := range []*age.X25519Identity{a, b} {
		r.mustOpen("hosts/new.yaml", id, "keys:\n    age: secret-value\n")
	}
	if strings.Contains(string(r.read("hosts/new.yaml")), "secret-value") {
		t.Error("the plaintext reached the disk")
	}
	if m := mode(t, r.abs("hosts/new.yaml")); m != 0o644 {
		t.Errorf("new file mode %v, want 0644", m)
	}
	if got := r.read(".sops.yaml"); string(got) != string(newCfg) {
		t.Error(".sops.yaml not written")
	}
}

// TestCreateExisting: a file to create that exists is skipped (Request
// documents it): never overwritten with the new plaintext, though, as any
// existing file, rekeyed when its rule changed. A plaintext file in the
// way is left as it is, and the plan does not mention it.
func TestCreateExisting(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^hosts/`, a)))
	r.secret("hosts/h1.yaml", plainA, a)
	h2 := r.secret("hosts/h2.yaml", plainA, a)
	newCfg := config(rule(`^hosts/`, a, b))
	req := r.request(newCfg, a)
	req.Create = []NewFile{
		{Rel: "hosts/h1.yaml", Plaintext: []byte("new: value\n")},
		{Rel: "hosts/h2.yaml", Plaintext: []byte("new: value\n")},
	}
	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rels(p), []string{"rekey hosts/h1.yaml", "rekey hosts/h2.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	r.mustOpen("hosts/h1.yaml", b, plainA)
	r.mustOpen("hosts/h2.yaml", b, plainA) // its values, not the create's
	if string(r.read("hosts/h2.yaml")) == string(h2) {
		t.Error("hosts/h2.yaml was not rekeyed")
	}
}

func TestCreateRefused(t *testing.T) {
	a := newIdentity(t)
	cases := []struct {
		name   string
		cfg    []byte
		create NewFile
		want   string
		is     error
	}{
		{"no rule", config(rule(`^secrets/`, a)), NewFile{Rel: "hosts/new.yaml", Plaintext: []byte("a: b\n")},
			"hosts/new.yaml: no creation rule applies to the new file", repo.ErrNoRule},
		{"pgp rule", []byte("creation_rules:\n  - path_regex: '^hosts/'\n    pgp: 85D77543B3D624B63CEA9E6DBC17301B491B3F21\n"),
			NewFile{Rel: "hosts/new.yaml", Plaintext: []byte("a: b\n")}, "wants a pgp key; keycycle creates files for age keys only", nil},
		{"bad plaintext", config(rule(`^hosts/`, a)), NewFile{Rel: "hosts/new.json", Plaintext: []byte("{not json")},
			"cannot parse plaintext", nil},
		{"empty plaintext", config(rule(`^hosts/`, a)), NewFile{Rel: "hosts/new.yaml", Plaintext: nil},
			"empty file", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t, config(rule(`^secrets/`, a)))
			r.secret("secrets/x.yaml", plainA, a)
			req := r.request(tc.cfg, a)
			req.Create = []NewFile{tc.create}
			p, err := r.prepare(req)
			if err == nil {
				t.Fatalf("Prepare planned %v, want an error", rels(p))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^hosts/`, a, b), rule(`^notes/`, a)))
	r.secret("hosts/gone.yaml", plainA, a, b)
	r.secret("hosts/stay.yaml", "token: s\n", a, b)
	r.write("notes/plain.txt", []byte("plain\n"), 0o644)
	newCfg := config(rule(`^hosts/`, a), rule(`^notes/`, a))
	req := r.request(newCfg, a)
	req.RotateFor = []string{recip(b)}
	req.Delete = []string{"hosts/gone.yaml", "notes/plain.txt", "hosts/never-was.yaml"}

	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"delete hosts/gone.yaml", "delete hosts/never-was.yaml", "rekey hosts/stay.yaml", "delete notes/plain.txt"}
	if got := rels(p); !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	// A file to delete is not rekeyed, but its secrets the revoked key
	// could read are listed.
	if g := fileResult(t, p, "hosts/gone.yaml"); !slices.Equal(g.Readable, []string{"db/password", "token"}) || g.DataKeyRotated || g.Removed != nil {
		t.Errorf("hosts/gone.yaml: exposed %v rotated %v removed %v", g.Readable, g.DataKeyRotated, g.Removed)
	}
	if n := fileResult(t, p, "notes/plain.txt"); n.Readable != nil {
		t.Errorf("a plaintext file to delete lists exposed secrets %v", n.Readable)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"hosts/gone.yaml", "notes/plain.txt"} {
		if _, err := os.Stat(r.abs(rel)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not deleted: %v", rel, err)
		}
	}
	r.mustOpen("hosts/stay.yaml", a, "token: s\n")
	r.mustNotOpen("hosts/stay.yaml", b)
}

func TestPublic(t *testing.T) {
	a := newIdentity(t)
	cfg := config(rule(`^secrets/`, a))
	r := newRepo(t, cfg)
	r.write(".keycycle/keys.yaml", []byte("old\n"), 0o600)
	req := r.request(cfg)
	req.Public = []PublicFile{
		{Rel: ".keycycle/keys.yaml", Data: []byte("keys: new\n")},
		{Rel: "docs/new/readme.txt", Data: []byte("hello\n")},
	}
	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 0 {
		t.Errorf("public files in the plan's files: %v", rels(p))
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	r.noTemporaries()
	if got := r.read(".keycycle/keys.yaml"); string(got) != "keys: new\n" {
		t.Errorf(".keycycle/keys.yaml is %q", got)
	}
	if m := mode(t, r.abs(".keycycle/keys.yaml")); m != 0o600 {
		t.Errorf("an existing public file's mode became %v, want 0600 kept", m)
	}
	if got := r.read("docs/new/readme.txt"); string(got) != "hello\n" {
		t.Errorf("docs/new/readme.txt is %q", got)
	}
	if m := mode(t, r.abs("docs/new/readme.txt")); m != 0o644 {
		t.Errorf("a new public file's mode is %v, want 0644", m)
	}
}

// TestExclude: an excluded file is neither rekeyed nor read, even when no
// identity opens it; the others are.
func TestExclude(t *testing.T) {
	a, b, c := newIdentity(t), newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a)))
	r.secret("secrets/x.yaml", plainA, a)
	vendored := r.secret("secrets/vendor/v.yaml", "token: v\n", c) // no identity given opens it
	oldSkip := r.secret("secrets/skip.yaml", "token: k\n", a)
	newCfg := config(rule(`^secrets/`, a, b))
	req := r.request(newCfg, a)
	req.Exclude = []string{"secrets/vendor", "skip.yaml"} // a folder by path, a file by base name

	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rels(p), []string{"rekey secrets/x.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	r.mustOpen("secrets/x.yaml", b, plainA)
	if string(r.read("secrets/vendor/v.yaml")) != string(vendored) || string(r.read("secrets/skip.yaml")) != string(oldSkip) {
		t.Error("an excluded file was rewritten")
	}
}

// TestNoIdentity: a file no given identity opens stops the whole change,
// naming every such file and who can open it; nothing is written.
func TestNoIdentity(t *testing.T) {
	a, b, c := newIdentity(t), newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a), rule(`^theirs/`, c)))
	r.secret("secrets/ok.yaml", plainA, a)
	r.secret("theirs/t1.yaml", "token: 1\n", c)
	r.secret("theirs/t2.yaml", "token: 2\n", c)
	newCfg := config(rule(`^secrets/`, a, b), rule(`^theirs/`, c, b))

	for _, tc := range []struct {
		ids  []*age.X25519Identity
		fail []string
	}{
		{[]*age.X25519Identity{a}, []string{"theirs/t1.yaml", "theirs/t2.yaml"}},
		{nil, []string{"secrets/ok.yaml", "theirs/t1.yaml", "theirs/t2.yaml"}},
	} {
		p, err := r.prepare(r.request(newCfg, tc.ids...))
		if err == nil {
			t.Fatalf("Prepare planned %v, want an error", rels(p))
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %T %q, want *Error", err, err)
		}
		if len(ce.Files) != len(tc.fail) {
			t.Fatalf("%d failures, want %d: %v", len(ce.Files), len(tc.fail), err)
		}
		for i, rel := range tc.fail {
			if !strings.HasPrefix(ce.Files[i].Error(), rel+": ") {
				t.Errorf("failure %d %q does not name %s", i, ce.Files[i], rel)
			}
			owner := c
			if strings.HasPrefix(rel, "secrets/") {
				owner = a
			}
			var ne *sopsfile.NoIdentityError
			if !errors.As(ce.Files[i], &ne) || !slices.Equal(ne.Recipients, []string{recip(owner)}) {
				t.Errorf("failure %d %q: want a NoIdentityError naming %s", i, ce.Files[i], recip(owner))
			}
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, fmt.Sprintf("nothing was changed: %d file(s) cannot be rekeyed; ", len(tc.fail))) {
			t.Errorf("message %q", msg)
		}
		if len(tc.ids) > 0 && strings.Contains(msg, "secrets/ok.yaml") {
			t.Errorf("message %q names a file the identity opens", msg)
		}
	}
	r.noTemporaries()
}

func TestBadNewConfig(t *testing.T) {
	a := newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a)))
	r.secret("secrets/x.yaml", plainA, a)
	for _, bad := range []string{"creation_rules: [\n", "creation_rules:\n  - path_regex: 3\n    age: [[\n"} {
		p, err := r.prepare(r.request([]byte(bad), a))
		if err == nil {
			t.Fatalf("%q: Prepare planned %v, want an error", bad, rels(p))
		}
		if !strings.Contains(err.Error(), "the new .sops.yaml does not parse") {
			t.Errorf("%q: error %q", bad, err)
		}
	}
	r.noTemporaries()
}

// TestRuleWithoutKeys: a new rule that would leave a file with no
// recipient is refused for that file.
func TestRuleWithoutKeys(t *testing.T) {
	a := newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a)))
	r.secret("secrets/x.yaml", plainA, a)
	p, err := r.prepare(r.request([]byte("creation_rules:\n  - path_regex: '^secrets/'\n"), a))
	if err == nil {
		t.Fatalf("Prepare planned %v, want an error", rels(p))
	}
	if msg := err.Error(); !strings.Contains(msg, "secrets/x.yaml: ") || !strings.Contains(msg, "refusing to leave the file with no recipient") {
		t.Errorf("error %q", err)
	}
	r.noTemporaries()
}

// TestNotSopsFiles: under a rule, a plaintext file is no secrets file and
// is left alone; a file that looks like a sops file but is not one stops
// the change, named.
func TestNotSopsFiles(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a)))
	r.secret("secrets/x.yaml", plainA, a)
	newCfg := config(rule(`^secrets/`, a, b))
	// A file a path_regex governs that carries no metadata (plaintext,
	// cut short, junk, empty) is a failure, never skipped in silence.
	for _, bad := range []string{"password: in the clear\n", "a: b\nsops:\n    mac: nonsense\n    lastmodified: yesterday\n", "", "\x00\x01junk"} {
		r.write("secrets/bad.yaml", []byte(bad), 0o644)
		p, err := r.prepare(r.request(newCfg, a))
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Files) != 1 || !strings.HasPrefix(ce.Files[0].Error(), "secrets/bad.yaml: ") {
			t.Errorf("%q: Prepare gave %v (plan %v), want one failure naming secrets/bad.yaml", bad, err, p)
		}
		req := r.request(newCfg, a)
		req.KeepGoing = true
		p, err = r.prepare(req)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Failed) != 1 || p.Failed[0].Rel != "secrets/bad.yaml" {
			t.Errorf("%q: KeepGoing failed %v, want secrets/bad.yaml", bad, p.Failed)
		}
		if got, want := rels(p), []string{"rekey secrets/x.yaml"}; !slices.Equal(got, want) {
			t.Errorf("%q: KeepGoing plan %v, want %v", bad, got, want)
		}
	}
	r.noTemporaries()
}

// TestFileWithoutRule: a sops file that no rule of the new config matches
// cannot be rekeyed (nothing can say its recipients); when a RotateFor
// recipient can read it, the change is refused, naming it, and nothing is
// written.
func TestFileWithoutRule(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a, b)))
	r.secret("secrets/x.yaml", plainA, a, b)
	r.secret("stray/s.yaml", plainA, a, b)
	newCfg := config(rule(`^secrets/`, a))
	req := r.request(newCfg, a)
	req.RotateFor = []string{recip(b)}
	_, err := r.prepare(req)
	var ue *UncoveredError
	if !errors.As(err, &ue) || len(ue.Files) != 1 || ue.Files[0].Rel != "stray/s.yaml" || ue.Files[0].Why != "no creation rule matches it" {
		t.Fatalf("Prepare: %v, want a refusal naming stray/s.yaml", err)
	}
	r.secret("stray/s.yaml", plainA, a) // the revoked key no longer opens it
	if _, err := r.prepare(req); err != nil {
		t.Fatal(err)
	}
}

// failingRepo is a repository whose change writes, in order: the config,
// a/x.yaml, b/old.yaml (deleted), b/x.yaml, bb/new.yaml (created), c/x.yaml.
func failingRepo(t *testing.T) (r *testRepo, a, b *age.X25519Identity, req Request, old map[string][]byte) {
	a, b = newIdentity(t), newIdentity(t)
	r = newRepo(t, config(rule(`^(a|b|c)/`, a), rule(`^bb/`, a)))
	old = map[string][]byte{}
	for _, rel := range []string{"a/x.yaml", "b/x.yaml", "b/old.yaml", "c/x.yaml"} {
		old[rel] = r.secret(rel, plainA, a)
	}
	req = r.request(config(rule(`^(a|b|c)/`, a, b), rule(`^bb/`, a, b)), a)
	req.Create = []NewFile{{Rel: "bb/new.yaml", Plaintext: []byte(plainA)}}
	req.Delete = []string{"b/old.yaml"}
	req.Public = []PublicFile{{Rel: ".keycycle/keys.yaml", Data: []byte("keys: []\n")}}
	return r, a, b, req, old
}

// TestPrepareRefusesACreateItCannotDo: a file "bb" where the folder of
// bb/new.yaml should be is found by Prepare, before anything is written.
func TestPrepareRefusesACreateItCannotDo(t *testing.T) {
	r, _, _, req, _ := failingRepo(t)
	r.write("bb", []byte("a file where a folder is needed\n"), 0o644)
	_, err := r.prepare(req)
	if err == nil || !strings.Contains(err.Error(), "bb/new.yaml: cannot create it") {
		t.Fatalf("Prepare: %v, want a refusal naming bb/new.yaml", err)
	}
}

// TestApplyFailsMidway: Apply stops at the first write that fails; what
// was written before stays, and the deletions, which come last, are not
// done. The failure: after Prepare, a folder (not empty) appears where
// bb/new.yaml is to be renamed in.
func TestApplyFailsMidway(t *testing.T) {
	r, _, b, req, old := failingRepo(t)
	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rekey a/x.yaml", "delete b/old.yaml", "rekey b/x.yaml", "create bb/new.yaml", "rekey c/x.yaml"}
	if got := rels(p); !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	r.write("bb", []byte("a file where the folder of bb/new.yaml should be\n"), 0o644)
	err = p.Apply()
	if err == nil {
		t.Fatal("Apply succeeded, want an error at bb/new.yaml")
	}
	t.Logf("Apply: %v", err)
	checkStoppedAtBB(t, r, b, req, old)
}

// TestApplyRefusesFilesChangedSincePrepare: a file edited (or the config
// changed) between Prepare and Apply makes Apply write nothing.
func TestApplyRefusesFilesChangedSincePrepare(t *testing.T) {
	for _, what := range []string{"file", "config"} {
		t.Run(what, func(t *testing.T) {
			a, b := newIdentity(t), newIdentity(t)
			oldCfg := config(rule(`^secrets/`, a))
			r := newRepo(t, oldCfg)
			r.secret("secrets/x.yaml", plainA, a)
			r.secret("secrets/y.yaml", plainA, a)
			req := r.request(config(rule(`^secrets/`, a, b)), a)
			req.OldConfig = oldCfg
			p, err := r.prepare(req)
			if err != nil {
				t.Fatal(err)
			}
			if what == "file" {
				r.secret("secrets/y.yaml", "edited: meanwhile\n", a)
			} else {
				r.write(".sops.yaml", append(oldCfg, "# edited\n"...), 0o644)
			}
			before := r.snapshot()
			err = p.Apply()
			if err == nil || !strings.Contains(err.Error(), "changed since the change was planned") {
				t.Fatalf("Apply: %v, want a refusal", err)
			}
			r.sameAs(before, "a refused Apply")
		})
	}
}

// TestPrepareRefusesPaths: paths outside the repository, and a file both
// created and deleted, are refused before anything is done.
func TestPrepareRefusesPaths(t *testing.T) {
	a := newIdentity(t)
	cfg := config(rule(``, a))
	r := newRepo(t, cfg)
	for name, req := range map[string]Request{
		"create outside":  {Create: []NewFile{{Rel: "../outside.yaml", Plaintext: []byte(plainA)}}},
		"delete absolute": {Delete: []string{"/etc/passwd"}},
		"public outside":  {Public: []PublicFile{{Rel: "a/../../x", Data: []byte("x")}}},
		"create and delete": {Create: []NewFile{{Rel: "s/x.yaml", Plaintext: []byte(plainA)}},
			Delete: []string{"s/x.yaml"}},
	} {
		base := r.request(cfg, a)
		req.ConfigPath, req.NewConfig, req.Identities = base.ConfigPath, base.NewConfig, base.Identities
		if _, err := r.prepare(req); err == nil {
			t.Errorf("%s: Prepare succeeded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(r.root), "outside.yaml")); err == nil {
		t.Error("a file was written outside the repository")
	}
}

// TestApplyFailsReadOnlyFolder: as TestApplyFailsMidway, with the folder
// of bb/new.yaml read-only.
func TestApplyFailsReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: a read-only folder does not stop root's writes (TestApplyFailsMidway covers the same failure)")
	}
	r, _, b, req, old := failingRepo(t)
	if err := os.Mkdir(r.abs("bb"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(r.abs("bb"), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(r.abs("bb"), 0o755) })
	err = p.Apply()
	if err == nil {
		t.Fatal("Apply succeeded, want an error at bb/new.yaml")
	}
	t.Logf("Apply: %v", err)
	checkStoppedAtBB(t, r, b, req, old)
}

func checkStoppedAtBB(t *testing.T, r *testRepo, b *age.X25519Identity, req Request, old map[string][]byte) {
	t.Helper()
	if got := r.read(".sops.yaml"); string(got) != string(req.NewConfig) {
		t.Error("the config was not written first")
	}
	if got := r.read(".keycycle/keys.yaml"); string(got) != "keys: []\n" {
		t.Error("the public file was not written before the secrets files")
	}
	// Written before the failure: rekeyed. The deletion comes last, so
	// it was not done.
	r.mustOpen("a/x.yaml", b, plainA)
	r.mustOpen("b/x.yaml", b, plainA)
	if got := r.read("b/old.yaml"); string(got) != string(old["b/old.yaml"]) {
		t.Error("b/old.yaml was deleted or changed before the writes were done")
	}
	// At and after the failure: nothing.
	if st, err := os.Stat(r.abs("bb/new.yaml")); err == nil && !st.IsDir() {
		t.Error("bb/new.yaml was written")
	}
	if got := r.read("c/x.yaml"); string(got) != string(old["c/x.yaml"]) {
		t.Error("c/x.yaml, after the failure, was written")
	}
	r.noTemporaries()
}

// TestPrepareReadOnlyRepo: Prepare writes its temporary config beside
// .sops.yaml, so it cannot plan (not even a dry run) in a folder it
// cannot write.
func TestPrepareReadOnlyRepo(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: a read-only folder does not stop root's writes")
	}
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a)))
	r.secret("secrets/x.yaml", plainA, a)
	if err := os.Chmod(r.root, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(r.root, 0o755) })
	_, err := r.prepare(r.request(config(rule(`^secrets/`, a, b)), a))
	if err == nil {
		t.Fatal("Prepare succeeded in a read-only folder; update this test if it no longer needs to write")
	}
	t.Logf("Prepare: %v", err)
}

// TestOnly: with Only, files outside it are not rekeyed, even drifted
// ones no identity opens.
func TestOnly(t *testing.T) {
	a, b, c := newIdentity(t), newIdentity(t), newIdentity(t)
	cfg := config(rule(`^secrets/`, a))
	r := newRepo(t, cfg)
	r.secret("secrets/x.yaml", plainA, a)
	foreign := r.secret("secrets/foreign.yaml", plainA, c) // drifted; a cannot open it
	req := r.request(config(rule(`^secrets/`, a, b)), a)
	if _, err := r.prepare(req); err == nil {
		t.Fatal("without Only, the foreign file should stop the change")
	}
	req.Only = []string{"secrets/x.yaml"}
	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := rels(p); !slices.Equal(got, []string{"rekey secrets/x.yaml"}) {
		t.Fatalf("plan %v", got)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	r.mustOpen("secrets/x.yaml", b, plainA)
	if string(r.read("secrets/foreign.yaml")) != string(foreign) {
		t.Error("secrets/foreign.yaml was rewritten")
	}
}

// TestEdit: an edited file gets exactly the bytes Apply returned (not a
// rekey, even when its rule wants another key), the other files are
// rekeyed as usual, and an edit that fails writes nothing.
func TestEdit(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	r := newRepo(t, config(rule(`^secrets/`, a)))
	r.secret("secrets/x.yaml", plainA, a)
	r.secret("secrets/y.yaml", plainA, a)
	newCfg := config(rule(`^secrets/`, a, b))
	req := r.request(newCfg, a)
	var seen string
	req.Edit = []Edit{{Rel: "secrets/x.yaml", Apply: func(abs string, cur []byte) ([]byte, error) {
		seen = abs
		return sopsfile.SetString(abs, cur, []string{"token"}, "new", sopsfile.EditOptions{ConfigPath: r.cfg, Identities: []age.Identity{a}})
	}}}
	p, err := r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	if seen != r.abs("secrets/x.yaml") {
		t.Errorf("Apply got %q", seen)
	}
	if got, want := rels(p), []string{"edit secrets/x.yaml", "rekey secrets/y.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	r.mustOpen("secrets/x.yaml", a, "db:\n    password: hunter2\ntoken: new\n")
	r.mustNotOpen("secrets/x.yaml", b)
	r.mustOpen("secrets/y.yaml", b, plainA)

	// A failing edit: nothing written. The same file twice: refused.
	req = r.request(newCfg, a)
	req.Edit = []Edit{{Rel: "secrets/x.yaml", Apply: func(string, []byte) ([]byte, error) { return nil, errors.New("no") }}}
	if _, err := r.prepare(req); err == nil || !strings.Contains(err.Error(), "secrets/x.yaml: no") {
		t.Errorf("a failing edit: %v", err)
	}
	ok := func(_ string, cur []byte) ([]byte, error) { return cur, nil }
	req.Edit = []Edit{{Rel: "secrets/x.yaml", Apply: ok}, {Rel: "secrets/x.yaml", Apply: ok}}
	if _, err := r.prepare(req); err == nil || !strings.Contains(err.Error(), "edited twice") {
		t.Errorf("an edit twice: %v", err)
	}
	// Changed since Prepare: Apply refuses.
	req.Edit = req.Edit[:1]
	p, err = r.prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	r.secret("secrets/x.yaml", "edited: meanwhile\n", a)
	before := r.snapshot()
	if err := p.Apply(); err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("Apply after a change: %v", err)
	}
	r.sameAs(before, "a refused Apply")
}
