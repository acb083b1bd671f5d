package secret

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

func rec(e audit.Entry) audit.Record { return audit.Record{Entry: e} }

func TestFindRevocation(t *testing.T) {
	a, b := audit.SecretRef{File: "s.yaml", Path: "a"}, audit.SecretRef{File: "s.yaml", Path: "b"}
	recs := []audit.Record{
		rec(audit.Entry{Seq: 1, Command: "keycycle init"}),
		rec(audit.Entry{Seq: 2, Command: "keycycle host remove x", Removed: []audit.Recipient{{Name: "x", Recipient: "age1x"}}, Exposed: []audit.SecretRef{a}}),
		rec(audit.Entry{Seq: 3, Command: "keycycle host remove x (again)", Removed: []audit.Recipient{{Name: "x", Recipient: "age1x"}}, Exposed: []audit.SecretRef{a, b}}),
		rec(audit.Entry{Seq: 4, Secrets: []audit.SecretRef{{File: "s.yaml", Path: "b", Action: "set"}, {File: "s.yaml", Path: "a", Action: "remove"}}}),
		{Err: errors.New("bad line")},
	}
	for _, key := range []string{"x", "age1x"} {
		rv, err := FindRevocation(recs, key, 0)
		if err != nil || rv.Entry.Seq != 3 {
			t.Fatalf("%s: %+v, %v", key, rv, err)
		}
		// b was set by entry 4; a removal does not count as a new value.
		if !slices.Equal(rv.Exposed, []audit.SecretRef{a}) || !slices.Equal(rv.Since, []audit.SecretRef{b}) {
			t.Errorf("exposed %v since %v", rv.Exposed, rv.Since)
		}
	}
	if rv, err := FindRevocation(recs, "", 2); err != nil || rv.Entry.Seq != 2 || len(rv.Exposed) != 1 {
		t.Errorf("entry 2: %+v, %v", rv, err)
	}
	for _, bad := range []struct {
		key  string
		seq  int
		want string
	}{{"y", 0, "no entry of the audit log removed y"}, {"", 9, "no entry #9"}, {"", 1, "removed no key"}} {
		if _, err := FindRevocation(recs, bad.key, bad.seq); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q #%d: %v", bad.key, bad.seq, err)
		}
	}
}

// testRepo writes a sops file with plain as its values and returns the
// repository around it.
func testRepo(t *testing.T, rel, plain, cfgYAML string) *Repo {
	t.Helper()
	root := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	enc, err := sopsfile.Encrypt(rel, []byte(plain), sopsfile.EncryptOptions{Groups: [][]string{{id.Recipient().String()}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "sops"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, rel), enc, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := policy.ParseConfig("keycycle.yaml", []byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	return &Repo{Root: root, ConfigPath: filepath.Join(root, ".sops.yaml"), Policy: cfg, Identities: []age.Identity{id}}
}

func TestPlanRegenerate(t *testing.T) {
	r := testRepo(t, "sops/shared.yaml", "pw: x\nwg:\n    priv: k\n    pub: p\nmanual: m\n",
		"generators:\n  pw: password\n  wg/priv: {kind: wireguard, public_secret: wg/pub}\n")
	ref := func(file, path string) audit.SecretRef { return audit.SecretRef{File: file, Path: path} }
	plan, err := PlanRegenerate(r, []audit.SecretRef{ref("sops/shared.yaml", "pw"), ref("sops/shared.yaml", "wg/priv"),
		ref("sops/shared.yaml", "wg/pub"), ref("sops/shared.yaml", "manual"), ref("sops/shared.yaml", "gone"), ref("sops/host.yaml", "x")})
	if err != nil {
		t.Fatal(err)
	}
	var do []string
	for _, n := range plan.Do {
		do = append(do, n.Path)
	}
	if !slices.Equal(do, []string{"pw", "wg/priv"}) || !slices.Equal(plan.ByHand, []audit.SecretRef{ref("sops/shared.yaml", "manual")}) ||
		!slices.Equal(plan.Public, []audit.SecretRef{ref("sops/shared.yaml", "wg/pub")}) ||
		!slices.Equal(plan.Gone, []audit.SecretRef{ref("sops/shared.yaml", "gone"), ref("sops/host.yaml", "x")}) {
		t.Errorf("plan %+v", plan)
	}
}

func TestMissing(t *testing.T) {
	r := testRepo(t, "sops/shared.yaml", "pw: x\n",
		"categories:\n  c:\n    secrets:\n      pw: shared\n      tok: shared\n      wg/priv: host\n      wg/pub: host\n"+
			"roles:\n  r: [c]\nhosts:\n  a: r\n  b: r\ngenerators:\n  tok: hex\n  wg/priv: {kind: wireguard, public_secret: wg/pub}\n")
	needs, err := Missing(r, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range needs {
		got = append(got, n.File+":"+n.Path+":"+strings.Join(n.Hosts, ","))
	}
	want := []string{"sops/a.yaml:wg/priv:a", "sops/b.yaml:wg/priv:b", "sops/shared.yaml:tok:a,b"}
	if !slices.Equal(got, want) {
		t.Errorf("missing %v, want %v", got, want)
	}
	if needs, _ := Missing(r, "a"); len(needs) != 2 {
		t.Errorf("host a: %+v", needs)
	}
	if _, err := Missing(r, "nobody"); err == nil {
		t.Error("an unknown host")
	}
}

func TestCheckOps(t *testing.T) {
	r := testRepo(t, "sops/x.yaml", "a:\n    b: 1\nc: 2\n", "")
	abs := r.Abs("sops/x.yaml")
	for _, tc := range []struct {
		ops  []sopsfile.ValueOp
		want string
	}{
		{[]sopsfile.ValueOp{sopsfile.Set([]string{"a", "x"}, "v"), sopsfile.Set([]string{"c"}, "v")}, ""},
		{[]sopsfile.ValueOp{sopsfile.Move([]string{"c"}, []string{"d"}), sopsfile.Set([]string{"c", "x"}, "v")}, ""},
		{[]sopsfile.ValueOp{sopsfile.Set([]string{"a"}, "v")}, "a holds several values"},
		{[]sopsfile.ValueOp{sopsfile.Set([]string{"c", "x"}, "v")}, "c is a value, not a mapping"},
		{[]sopsfile.ValueOp{sopsfile.Unset([]string{"zz"})}, "no such secret: zz"},
		{[]sopsfile.ValueOp{sopsfile.Unset([]string{"c"}), sopsfile.Unset([]string{"c"})}, "no such secret: c"},
		{[]sopsfile.ValueOp{sopsfile.Move([]string{"c"}, []string{"a", "b"})}, "a/b already exists"},
		{[]sopsfile.ValueOp{sopsfile.Move([]string{"a"}, []string{"a", "z"})}, "into itself"},
	} {
		err := checkOps(abs, "sops/x.yaml", tc.ops)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.ops, err, tc.want)
		}
	}
}

func TestHostOf(t *testing.T) {
	r := &Repo{}
	for rel, want := range map[string]string{"sops/malphas.yaml": "malphas", "sops/shared.yaml": "", "sops/a/b.yaml": "", "other/x.yaml": "", "sops/.yaml": ""} {
		if got := r.hostOf(rel); got != want {
			t.Errorf("hostOf(%s) = %q, want %q", rel, got, want)
		}
	}
}
