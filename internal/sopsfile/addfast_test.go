package sopsfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// addCase is a file encrypted for n recipients and a config whose rule
// lists one more, at position at of the rule.
type addCase struct {
	dir, path, cfg string
	data           []byte
	ids            []*age.X25519Identity // ids[n] is the added one
	want           []string              // the rule's recipients, in order
}

func newAddCase(t *testing.T, n, at int, plain string) *addCase {
	t.Helper()
	c := &addCase{dir: t.TempDir()}
	var rs []string
	for i := 0; i <= n; i++ {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		c.ids = append(c.ids, id)
		rs = append(rs, id.Recipient().String())
	}
	c.path = filepath.Join(c.dir, "sops", "host.yaml")
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	if c.data, err = Encrypt(c.path, []byte(plain), EncryptOptions{Groups: [][]string{rs[:n]}}); err != nil {
		t.Fatal(err)
	}
	c.want = append(append(append([]string{}, rs[:at]...), rs[n]), rs[at:n]...)
	c.cfg = c.writeConfig(t, "creation_rules:\n  - path_regex: sops/.*\\.yaml$\n    age: "+strings.Join(c.want, ",")+"\n")
	return c
}

func (c *addCase) writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(c.dir, ".sops.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (c *addCase) opts() RekeyOptions {
	return RekeyOptions{ConfigPath: c.cfg, Identities: []age.Identity{c.ids[0]}, Rule: -1}
}

const plainSecrets = "# a comment\npasswords:\n  rain: x\n  msmtp: y # inline\nlist:\n  - a\n  - b: c\ntailscale:\n  oauth_client_secret: z\nplain_unencrypted: visible\n"

// TestAddFastEqualsGeneral: where the fast path applies, its output is
// byte for byte what the general path (sops's store) writes, with the
// new stanza wrapped anew — so the two are compared on everything else.
func TestAddFastEqualsGeneral(t *testing.T) {
	for _, at := range []int{0, 2, 5} {
		c := newAddCase(t, 5, at, plainSecrets)
		fast, ok := addFast(c.path, c.data, c.opts(), ageListOf(c.path, c.data))
		if !ok {
			t.Fatalf("at %d: the fast path did not apply to a file sops wrote", at)
		}
		general, err := rekeyGeneral(c.path, c.data, c.opts(), ageListOf(c.path, c.data))
		if err != nil {
			t.Fatal(err)
		}
		if len(fast.Added) != 1 || fast.Added[0].ID != c.want[at] || len(fast.Removed) != 0 || fast.DataKeyRotated {
			t.Fatalf("result %+v, want one added recipient %s", fast, c.want[at])
		}
		if g := withStanzaOf(t, general.Output, fast.Output, c.want[at]); g != string(fast.Output) {
			t.Fatalf("fast output differs from the general path's:\n%s\n---\n%s", fast.Output, g)
		}
		for _, id := range []*age.X25519Identity{c.ids[5], c.ids[0]} {
			got, err := Decrypt(c.path, fast.Output, id.String())
			if err != nil {
				t.Fatalf("the new key (or an old one) cannot open the output: %v", err)
			}
			want, _ := Decrypt(c.path, c.data, c.ids[0].String())
			if !bytes.Equal(got, want) {
				t.Fatalf("values changed:\n%s\nwant\n%s", got, want)
			}
		}
	}
}

// TestAddFastRealSops: the real sops binary opens the output with the
// added key alone.
func TestAddFastRealSops(t *testing.T) {
	sopsBin, err := exec.Command("go", "tool", "-n", "sops").Output()
	if err != nil {
		t.Skipf("go tool -n sops: %v", err)
	}
	c := newAddCase(t, 20, 7, plainSecrets)
	res, err := Rekey(c.path, c.data, c.opts())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := addFast(c.path, c.data, c.opts(), ageListOf(c.path, c.data)); !ok {
		t.Fatal("the fast path did not apply")
	}
	if err := os.WriteFile(c.path, res.Output, 0o644); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(c.dir, "new.key")
	if err := os.WriteFile(keyFile, []byte(c.ids[20].String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(strings.TrimSpace(string(sopsBin)), "-d", c.path)
	cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+keyFile, "SOPS_AGE_KEY=", "SOPS_AGE_SSH_PRIVATE_KEY_FILE=/nonexistent")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sops -d with the new key alone: %v\n%s", err, out)
	}
	want, err := Decrypt(c.path, c.data, c.ids[0].String())
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(want) || !strings.Contains(string(out), "oauth_client_secret: z") {
		t.Fatalf("sops -d gave:\n%s\nwant\n%s", out, want)
	}
}

// TestAddFastCorpus: a file the real sops wrote (comments encrypted, lists,
// three recipients) gains a recipient through the fast path, and the
// output equals the general path's outside the new stanza.
func TestAddFastCorpus(t *testing.T) {
	dir := filepath.Join(corpus(t), "sops-files")
	data, err := os.ReadFile(filepath.Join(dir, "generated-sops-3.13.3/multi_recipient.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a := identity(t, dir, "test_A_age1yt3.txt")
	newID, _ := age.GenerateX25519Identity()
	l, ok := readAgeList(data)
	if !ok {
		t.Fatal("sops 3.13.3's layout not recognised")
	}
	work := t.TempDir()
	cfg := filepath.Join(work, ".sops.yaml")
	rule := "creation_rules:\n  - age: " + strings.Join(append(l.recipients, newID.Recipient().String()), ",") + "\n"
	if err := os.WriteFile(cfg, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(work, "multi_recipient.yaml")
	opts := RekeyOptions{ConfigPath: cfg, Identities: []age.Identity{a}, Rule: -1}
	fast, ok := addFast(path, data, opts, ageListOf(path, data))
	if !ok {
		t.Fatal("the fast path did not apply")
	}
	if !bytes.HasPrefix(fast.Output, data[:l.end]) || !bytes.HasSuffix(fast.Output, data[l.end:]) {
		t.Fatal("the bytes of the file outside the added stanza changed")
	}
	general, err := rekeyGeneral(path, data, opts, ageListOf(path, data))
	if err != nil {
		t.Fatal(err)
	}
	if withStanzaOf(t, general.Output, fast.Output, newID.Recipient().String()) != string(fast.Output) {
		t.Fatalf("fast output differs from the general path's:\n%s", fast.Output)
	}
	if _, err := Decrypt(path, fast.Output, newID.String()); err != nil {
		t.Fatalf("the new key cannot open the output: %v", err)
	}
}

// withStanzaOf returns out with the age list item of recipient r replaced
// by that item in from: the one part of two rekeys that is random.
func withStanzaOf(t *testing.T, out, from []byte, r string) string {
	t.Helper()
	item := func(data []byte) string {
		l, ok := readAgeList(data)
		if !ok {
			t.Fatalf("layout not recognised:\n%s", data)
		}
		for i, rr := range l.recipients {
			if rr == r {
				return string(l.items[i])
			}
		}
		t.Fatalf("no stanza for %s", r)
		return ""
	}
	return strings.Replace(string(out), item(out), item(from), 1)
}
