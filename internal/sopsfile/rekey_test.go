package sopsfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/agekey"
)

func identity(t *testing.T, dir, name string) age.Identity {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "identities", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := agekey.ParseIdentityFile(f)
	if err != nil || len(ids) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	return ids[0].AgeIdentity()
}

// TestRekeyCorpusFiles rekeys files the real sops wrote — one group, and
// Shamir over three groups — to new rules, and requires the result to
// open with exactly the keys the new rule names.
func TestRekeyCorpusFiles(t *testing.T) {
	dir := filepath.Join(corpus(t), "sops-files")
	a := identity(t, dir, "test_A_age1yt3.txt")
	b := identity(t, dir, "test_B_age1tmaae3.txt")
	d := identity(t, dir, "ssh-to-age_id_ed25519.derived-age.txt")
	recip := func(id age.Identity) string { return id.(*age.X25519Identity).Recipient().String() }
	cases := []struct {
		file, rule string
		ids        []age.Identity // what opens the file today
		opens      []age.Identity // must open the result (each alone, one group)
		notOpens   []age.Identity
	}{
		{"generated-sops-3.13.3/multi_recipient.yaml", "age: " + recip(a) + "," + recip(d),
			[]age.Identity{a}, []age.Identity{a, d}, []age.Identity{b}},
		{"generated-sops-3.13.3/keygroups_shamir.yaml", "age: " + recip(b),
			[]age.Identity{a, b}, []age.Identity{b}, []age.Identity{a}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			work := t.TempDir()
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(work, ".sops.yaml")
			if err := os.WriteFile(cfg, []byte("creation_rules:\n  - "+tc.rule+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(work, filepath.Base(tc.file))
			want, err := decryptWith(path, data, tc.ids)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Rekey(path, data, RekeyOptions{ConfigPath: cfg, Identities: tc.ids})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Changed || !res.DataKeyRotated {
				t.Fatalf("changed %v rotated %v, want both (a recipient left)", res.Changed, res.DataKeyRotated)
			}
			for _, id := range tc.opens {
				got, err := decryptWith(path, res.Output, []age.Identity{id})
				if err != nil {
					t.Fatalf("a key the rule wants cannot open the result: %v", err)
				}
				if string(got) != string(want) {
					t.Fatalf("values changed:\n%s\nwant\n%s", got, want)
				}
			}
			for _, id := range tc.notOpens {
				if _, err := decryptWith(path, res.Output, []age.Identity{id}); !errors.Is(err, ErrNoIdentity) {
					t.Fatalf("a removed key still opens the result (err %v)", err)
				}
			}
			again, err := Rekey(path, res.Output, RekeyOptions{ConfigPath: cfg, Identities: tc.opens})
			if err != nil || again.Changed {
				t.Fatalf("a second rekey should change nothing: %v %v", again, err)
			}
		})
	}
}

// TestRekeyWithoutIdentity names who can open the file.
func TestRekeyWithoutIdentity(t *testing.T) {
	dir := filepath.Join(corpus(t), "sops-files")
	data, err := os.ReadFile(filepath.Join(dir, "generated-sops-3.13.3/multi_recipient.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	cfg := filepath.Join(work, ".sops.yaml")
	os.WriteFile(cfg, []byte("creation_rules:\n  - age: age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw\n"), 0o644)
	stranger, _ := age.GenerateX25519Identity()
	_, err = Rekey(filepath.Join(work, "x.yaml"), data, RekeyOptions{ConfigPath: cfg, Identities: []age.Identity{stranger}})
	var ne *NoIdentityError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "age1tmaae3") {
		t.Fatalf("err = %v, want a NoIdentityError naming the recipients", err)
	}
}

func decryptWith(path string, data []byte, ids []age.Identity) ([]byte, error) {
	var strs []string
	for _, id := range ids {
		strs = append(strs, id.(*age.X25519Identity).String())
	}
	return Decrypt(path, data, strs...)
}
