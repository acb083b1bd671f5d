package agekey

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestScanSSHPublicKeys(t *testing.T) {
	k1, _ := newSSHEd25519(t, "one")
	k2, _ := newSSHEd25519(t, "")
	k3, _ := newSSHEd25519(t, "")
	k4, _ := newSSHEd25519(t, "")
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPub, _ := ssh.NewPublicKey(&ec.PublicKey)
	ecLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ecPub)))
	f2, f3, f4 := strings.Fields(k2), strings.Fields(k3), strings.Fields(k4)
	input := strings.Join([]string{
		"# authorized_keys",
		`command="/bin/true",no-pty ` + k1,
		"",
		"host.example,10.0.0.1 " + f2[0] + " " + f2[1] + " c2",
		"  " + ecLine + "  ",
		"@cert-authority *.example " + f3[0] + " " + f3[1],
		"@revoked bad.example " + f3[0] + " " + f3[1],
		"|1|WIRTkm3yogBT5qE8nEujY11fxD4=|7tFLc+FxeK8qU3X6iC4C+cwlFKg= " + f4[0] + " " + f4[1] + "\r",
		"ssh-new-algo@example.com AAAAGHNzaC1uZXctYWxnb0BleGFtcGxlLmNvbQ==",
	}, "\n")
	conv, skipped, err := ScanSSHPublicKeys([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		key   string
		hosts string
		cmt   string
	}{{2, k1, "", "one"}, {4, k2, "host.example,10.0.0.1", "c2"}, {8, k4, "|1|WIRTkm3yogBT5qE8nEujY11fxD4=|7tFLc+FxeK8qU3X6iC4C+cwlFKg=", ""}}
	if len(conv) != len(want) {
		t.Fatalf("converted %+v", conv)
	}
	for i, w := range want {
		rec, err := SSHPublicToAge([]byte(w.key))
		c := conv[i]
		if err != nil || c.Line != w.line || c.Recipient != rec || strings.Join(c.Hosts, ",") != w.hosts || c.Comment != w.cmt ||
			!strings.HasPrefix(w.key, c.SSHKey) {
			t.Errorf("conv[%d] = %+v, want line %d rec %s hosts %q comment %q (%v)", i, c, w.line, rec, w.hosts, w.cmt, err)
		}
	}
	wantSkip := []struct {
		line int
		typ  string
	}{{5, "ecdsa-sha2-nistp256"}, {6, "ssh-ed25519"}, {7, "ssh-ed25519"}, {9, "ssh-new-algo@example.com"}}
	if len(skipped) != len(wantSkip) {
		t.Fatalf("skipped %+v", skipped)
	}
	for i, w := range wantSkip {
		if skipped[i].Line != w.line || skipped[i].KeyType != w.typ || skipped[i].Reason == "" {
			t.Errorf("skipped[%d] = %+v, want line %d type %s", i, skipped[i], w.line, w.typ)
		}
	}
}

func TestSSHPublicErrors(t *testing.T) {
	k1, priv := newSSHEd25519(t, "")
	k2, _ := newSSHEd25519(t, "")
	for in, want := range map[string]error{
		"":                     ErrEmpty,
		"# just a comment\n\n": ErrEmpty,
		k1 + "\n" + k2:         ErrMalformed,
		"not a key":            ErrMalformed,
		string(priv):           ErrSecretKey,
		"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC": ErrMalformed,
	} {
		if _, err := SSHPublicToAge([]byte(in)); !errors.Is(err, want) {
			t.Errorf("SSHPublicToAge(%.30q) = %v, want %v", in, err, want)
		}
	}
	if _, err := SSHPublicKeysToAge([]byte("\n# nothing\n")); !errors.Is(err, ErrNoKeys) {
		t.Errorf("SSHPublicKeysToAge(no keys) = %v", err)
	}
	_, _, err := ScanSSHPublicKeys([]byte(k1 + "\nbroken line here\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "line 2: ") {
		t.Errorf("ScanSSHPublicKeys error %v does not name line 2", err)
	}
	for _, in := range []string{string(priv), "-----BEGIN OPENSSH PRIVATE KEY-----"} {
		if _, err := SSHPublicKeysToAge([]byte(in)); !errors.Is(err, ErrSecretKey) {
			t.Errorf("SSHPublicKeysToAge(private key) = %v", err)
		}
		checkNoSecret(t, err, []byte(in))
	}
}

func TestSSHPrivateToAgePKCS8(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	block, _ := ssh.MarshalPrivateKey(priv, "")
	openssh := pem.EncodeToMemory(block)
	a, err := SSHPrivateToAge(pkcs8, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SSHPrivateToAge(openssh, []byte("ignored: the key is not encrypted"))
	if err != nil || a != b {
		t.Fatalf("PKCS#8 %q and OpenSSH %q forms differ (%v)", a, b, err)
	}
	spk, _ := ssh.NewPublicKey(pub)
	rec, _ := SSHPublicToAge(ssh.MarshalAuthorizedKey(spk))
	id, _ := ParseIdentity(a)
	if got, _ := id.Recipient(); got != rec {
		t.Fatalf("identity's recipient %s, public key's %s", got, rec)
	}
	for in, want := range map[string]error{
		"":        ErrEmpty,
		"garbage": ErrMalformed,
		strings.TrimSpace(string(ssh.MarshalAuthorizedKey(spk))):                         ErrPublicKey,
		"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n": ErrMalformed,
	} {
		if _, err := SSHPrivateToAge([]byte(in), nil); !errors.Is(err, want) {
			t.Errorf("SSHPrivateToAge(%.30q) = %v, want %v", in, err, want)
		}
	}
	if c := opensshCipher(openssh); c != "none" {
		t.Errorf("opensshCipher = %q, want none", c)
	}
	if c := opensshCipher(pkcs8); c != "" {
		t.Errorf("opensshCipher(pkcs8) = %q", c)
	}
}
