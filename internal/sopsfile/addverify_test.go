package sopsfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
)

// TestAddFastFallsBack: layouts and cases the fast path does not take go
// the general way, which still rekeys (or refuses) them as before.
func TestAddFastFallsBack(t *testing.T) {
	c := newAddCase(t, 4, 1, plainSecrets)
	lines := strings.SplitAfter(string(c.data), "\n")
	secondItem := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "        - ") {
			secondItem = i // the last item: enough to split the list
		}
	}
	commented := strings.Join(lines[:secondItem], "") + "        # a note\n" + strings.Join(lines[secondItem:], "")
	cases := []struct {
		name    string
		path    string
		data    string
		cfg     string // replaces the rule's recipients when set
		rotate  bool
		general bool // the general path rekeys it
	}{
		{name: "a recipient leaves", cfg: strings.Join(c.want[:2], ","), general: true},
		{name: "rotate data key", rotate: true, general: true},
		{name: "comment in the age list", data: commented, general: true},
		{name: "second document", data: string(c.data) + "---\nother: 1\n"},
		{name: "duplicate key", data: string(c.data) + "passwords: again\n"},
		{name: "flow age list", data: strings.Replace(string(c.data), "    age:\n", "    age: []\n    agex:\n", 1)},
		{name: "json", path: filepath.Join(c.dir, "sops", "host.json")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts, path, data := c.opts(), c.path, c.data
			if tc.path != "" {
				path = tc.path
			}
			if tc.data != "" {
				data = []byte(tc.data)
			}
			if tc.cfg != "" {
				opts.ConfigPath = filepath.Join(t.TempDir(), ".sops.yaml")
				if err := os.WriteFile(opts.ConfigPath, []byte("creation_rules:\n  - age: "+tc.cfg+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			opts.RotateDataKey = tc.rotate
			if _, ok := addFast(path, data, opts, ageListOf(path, data)); ok {
				t.Fatal("the fast path took a case it must leave to the general one")
			}
			res, err := Rekey(path, data, opts)
			if tc.general && (err != nil || !res.Changed) {
				t.Fatalf("the general path failed: %v", err)
			}
		})
	}
	t.Run("no identity opens it", func(t *testing.T) {
		opts := c.opts()
		opts.Identities = []age.Identity{c.ids[4]} // the one being added
		if _, ok := addFast(c.path, c.data, opts, ageListOf(c.path, c.data)); ok {
			t.Fatal("fast path without an identity that opens the file")
		}
		var ne *NoIdentityError
		if _, err := Rekey(c.path, c.data, opts); !errors.As(err, &ne) {
			t.Fatalf("err = %v, want NoIdentityError", err)
		}
	})
}

// fastPieces runs the fast path's steps and returns what verifyAdd sees.
func fastPieces(t *testing.T, c *addCase) (*ageList, []byte, map[string]string, []byte) {
	t.Helper()
	l, ok := readAgeList(c.data)
	if !ok {
		t.Fatal("layout not recognised")
	}
	var group sops.KeyGroup
	for _, r := range l.recipients {
		group = append(group, &sopsage.MasterKey{Recipient: r, EncryptedKey: l.encs[r]})
	}
	dataKey, err := dataKeyWith(sops.Metadata{KeyGroups: []sops.KeyGroup{group}}, sopsage.ParsedIdentities{c.ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	encs := map[string]string{}
	for r, e := range l.encs {
		encs[r] = e
	}
	added := c.ids[len(c.ids)-1].Recipient().String()
	mk, _ := sopsage.MasterKeyFromRecipient(added)
	if err := mk.Encrypt(dataKey); err != nil {
		t.Fatal(err)
	}
	encs[added] = string(mk.EncryptedDataKey())
	out, ok := l.splice(c.data, c.want, encs)
	if !ok {
		t.Fatal("splice")
	}
	if err := verifyAdd(l, c.data, out, c.want, encs, dataKey); err != nil {
		t.Fatalf("a good output does not verify: %v", err)
	}
	return l, out, encs, dataKey
}

// TestVerifyAddRejects: each property verifyAdd claims fails when broken.
func TestVerifyAddRejects(t *testing.T) {
	c := newAddCase(t, 4, 2, plainSecrets)
	l, out, encs, dataKey := fastPieces(t, c)
	s := string(out)
	i := strings.Index(s, "ENC[AES256_GCM,data:") + len("ENC[AES256_GCM,data:")
	flipped := s[:i] + string(s[i]^1) + s[i+1:]
	other := c.want[0]
	encs2 := map[string]string{}
	for r, e := range encs {
		encs2[r] = e
	}
	encs2[other] = encs[c.want[1]] // a kept recipient given another's stanza
	badKey := append([]byte(nil), dataKey...)
	badKey[0] ^= 1
	shortWant := c.want[:len(c.want)-1]
	cases := []struct {
		name string
		out  string
		want []string
		encs map[string]string
		key  []byte
	}{
		{"a value byte before the list", flipped, c.want, encs, dataKey},
		{"a key indented into the list", strings.Replace(s, "\n    lastmodified:", "\n            lastmodified:", 1), c.want, encs, dataKey},
		{"recipients not the rule's", s, shortWant, encs, dataKey},
		{"a kept stanza replaced", string(mustSplice(t, l, c, encs2)), c.want, encs2, dataKey},
		{"another data key", s, c.want, encs, badKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := verifyAdd(l, c.data, []byte(tc.out), tc.want, tc.encs, tc.key); err == nil {
				t.Fatal("verified")
			}
		})
	}
}

func mustSplice(t *testing.T, l *ageList, c *addCase, encs map[string]string) []byte {
	t.Helper()
	// Render every item anew so the replaced stanza reaches the bytes.
	var b strings.Builder
	b.Write(c.data[:l.start])
	for _, r := range c.want {
		text, ok := l.tmpl.render(r, encs[r])
		if !ok {
			t.Fatal("render")
		}
		b.WriteString(text)
	}
	b.Write(c.data[l.end:])
	return []byte(b.String())
}

// TestOpensWithRejects: the MAC and the value are checked with their
// additional data, so a MAC or value moved elsewhere does not pass.
func TestOpensWithRejects(t *testing.T) {
	c := newAddCase(t, 2, 0, plainSecrets)
	_, out, _, dataKey := fastPieces(t, c)
	doc, ok := decodeOne(out)
	if !ok {
		t.Fatal("decode")
	}
	if err := opensWith(doc, dataKey); err != nil {
		t.Fatal(err)
	}
	s := string(out)
	lm := "lastmodified: \""
	i := strings.Index(s, lm) + len(lm)
	later := s[:i] + "2099" + s[i+4:] // the MAC's additional data
	rain := strings.Index(s, "rain: ") + len("rain: ")
	msmtp := strings.Index(s, "msmtp: ") + len("msmtp: ")
	end := func(j int) int { return j + strings.Index(s[j:], "]") + 1 }
	moved := s[:rain] + s[msmtp:end(msmtp)] + s[end(rain):] // msmtp's value under rain
	for name, text := range map[string]string{"lastmodified changed": later, "value moved": moved} {
		d, ok := decodeOne([]byte(text))
		if !ok {
			t.Fatalf("%s: decode", name)
		}
		if err := opensWith(d, dataKey); err == nil {
			t.Fatalf("%s: opened", name)
		}
	}
}
