package agekey

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestIdentityLinesAndOnlyRecipient(t *testing.T) {
	a, _ := age.GenerateX25519Identity()
	b, _ := age.GenerateX25519Identity()
	p := filepath.Join(t.TempDir(), "keys.txt")
	body := "# created: now\r\n" + a.String() + "\r\n\n" + b.String() + "\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, err := IdentityLines(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a.String(), b.String()}; !slices.Equal(lines, want) {
		t.Errorf("IdentityLines = %d lines, want the two identities", len(lines))
	}
	if got := OnlyRecipient(lines, b.Recipient().String()); !slices.Equal(got, []string{b.String()}) {
		t.Errorf("OnlyRecipient kept %d lines, want b's", len(got))
	}
	if got := OnlyRecipient(lines, "age1nobody"); len(got) != 0 {
		t.Errorf("OnlyRecipient of an unknown recipient kept %d lines", len(got))
	}
	if err := os.WriteFile(p, []byte(a.Recipient().String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := IdentityLines(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("a public key in the key file: err = %v, want one naming the file", err)
	}
}
