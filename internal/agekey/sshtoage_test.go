package agekey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/keycycle/keycycle/internal/textutil"
)

// TestConvertSSH runs ssh-to-age's conversions: a public key, a private
// key whose identity must be the public key's recipient, and the errors,
// each with a hint.
func TestConvertSSH(t *testing.T) {
	pub, priv := newSSHEd25519(t, "c")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := ConvertSSH(SSHToAge{Stdin: strings.NewReader(pub + "\n")})
	if err != nil || len(res.Recipients) != 1 || res.Name != "standard input" {
		t.Fatalf("public: %+v %v", res, err)
	}
	var doc struct {
		Schema     string
		Recipients []map[string]any
		Skipped    []Skipped
	}
	var b bytes.Buffer
	if err := res.WriteJSON(&b); err != nil || json.Unmarshal(b.Bytes(), &doc) != nil {
		t.Fatal(err, b.String())
	}
	if doc.Schema != "keycycle.ssh-to-age/v1" || doc.Recipients[0]["ssh_key"] == nil || doc.Skipped == nil {
		t.Errorf("JSON: %s", b.String())
	}
	pr, err := ConvertSSH(SSHToAge{Src: keyFile, Private: true})
	if err != nil || pr.Recipient != res.Recipients[0].Recipient || !strings.HasPrefix(pr.Identity, "AGE-SECRET-KEY-1") {
		t.Fatalf("private: %v", err)
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPub, _ := ssh.NewPublicKey(&ec.PublicKey)
	res, err = ConvertSSH(SSHToAge{Stdin: bytes.NewReader(ssh.MarshalAuthorizedKey(ecPub))})
	if err == nil || res == nil || len(res.Skipped) != 1 || !strings.Contains(err.Error(), "1 other key skipped") {
		t.Errorf("ECDSA only: %+v %v", res, err)
	}
	for name, in := range map[string]SSHToAge{
		"passphrase without --private": {PassphraseFile: keyFile},
		"missing file":                 {Src: filepath.Join(dir, "nope")},
		"private key as public":        {Src: keyFile},
		"public key as private":        {Stdin: strings.NewReader(pub), Private: true},
		"no key":                       {Stdin: strings.NewReader("# nothing\n")},
	} {
		_, err := ConvertSSH(in)
		if err == nil || textutil.HintOf(err) == "" {
			t.Errorf("%s: %v, want an error with a hint", name, err)
		}
	}
}
