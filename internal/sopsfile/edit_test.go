package sopsfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestSetStringKeepsEverythingElse(t *testing.T) {
	owner, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	plain := []byte("wifi: swordfish\nkeys:\n    age: OLD\nlist:\n    - 1\n    - two\n")
	data, err := Encrypt("h.yaml", plain, EncryptOptions{Groups: [][]string{{owner.Recipient().String(), other.Recipient().String()}}})
	if err != nil {
		t.Fatal(err)
	}
	opts := EditOptions{Identities: []age.Identity{owner}}
	got, ok, err := GetString("h.yaml", data, []string{"keys", "age"}, opts)
	if err != nil || !ok || got != "OLD" {
		t.Fatalf("GetString = %q, %v, %v", got, ok, err)
	}
	out, err := SetString("h.yaml", data, []string{"keys", "age"}, "NEW\nlines", opts)
	if err != nil {
		t.Fatal(err)
	}
	// Either recipient opens it (the data key and its stanzas are kept).
	for _, id := range []*age.X25519Identity{owner, other} {
		dec, err := Decrypt("h.yaml", out, id.String())
		if err != nil {
			t.Fatalf("the edited file does not open: %v", err)
		}
		want := "wifi: swordfish\nkeys:\n    age: |-\n        NEW\n        lines\nlist:\n    - 1\n    - two\n"
		if string(dec) != want {
			t.Fatalf("decrypted:\n%s\nwant:\n%s", dec, want)
		}
	}
	before, _ := Parse("h.yaml", data)
	after, _ := Parse("h.yaml", out)
	if strings.Join(before.Meta.Recipients(), ",") != strings.Join(after.Meta.Recipients(), ",") {
		t.Errorf("recipients changed: %v -> %v", before.Meta.Recipients(), after.Meta.Recipients())
	}
	// A missing path is made; a missing value reads as absent.
	out2, err := SetString("h.yaml", out, []string{"new", "deep"}, "x", opts)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, err := GetString("h.yaml", out2, []string{"new", "deep"}, opts); v != "x" || !ok || err != nil {
		t.Errorf("GetString new/deep = %q %v %v", v, ok, err)
	}
	if _, ok, err := GetString("h.yaml", out2, []string{"nope"}, opts); ok || err != nil {
		t.Errorf("GetString nope = %v %v", ok, err)
	}
	if _, _, err := GetString("h.yaml", out2, []string{"list"}, opts); err == nil {
		t.Error("GetString of a list: no error")
	}
	stranger, _ := age.GenerateX25519Identity()
	_, err = SetString("h.yaml", data, []string{"a"}, "b", EditOptions{Identities: []age.Identity{stranger}})
	var ne *NoIdentityError
	if !errors.As(err, &ne) {
		t.Fatalf("SetString with a stranger's key: %v, want NoIdentityError", err)
	}
}

// TestSetStringOnSopsFile edits a file the real sops 3.13.3 wrote.
func TestSetStringOnSopsFile(t *testing.T) {
	dir := filepath.Join(corpus(t), "sops-files")
	data, err := os.ReadFile(filepath.Join(dir, "generated-sops-3.13.3/multi_recipient.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a := identity(t, dir, "test_A_age1yt3.txt")
	b := identity(t, dir, "test_B_age1tmaae3.txt")
	out, err := SetString("x.yaml", data, []string{"added"}, "value", EditOptions{Identities: []age.Identity{a}})
	if err != nil {
		t.Fatal(err)
	}
	old, err := decryptWith("x.yaml", data, []age.Identity{b})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decryptWith("x.yaml", out, []age.Identity{b})
	if err != nil {
		t.Fatalf("the other recipient cannot open the edited file: %v", err)
	}
	if want := string(old) + "added: value\n"; string(got) != want {
		t.Fatalf("decrypted:\n%s\nwant:\n%s", got, want)
	}
}
