package agekey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"
)

// newSSHEd25519 returns a fresh ed25519 key pair as an authorized_keys
// line and an OpenSSH private key file.
func newSSHEd25519(t testing.TB, comment string) (pubLine string, pemBytes []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(spk)))
	if comment != "" {
		line += " " + comment
	}
	return line, pem.EncodeToMemory(block)
}

func TestParseRecipientX25519(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	s := id.Recipient().String()
	r, err := ParseRecipient(s)
	if err != nil || r.Kind != KindX25519 || r.String != s || r.Trimmed || r.X25519() != s {
		t.Fatalf("ParseRecipient(%q) = %+v, %v", s, r, err)
	}
	r, err = ParseRecipient("  " + s + "\n")
	if err != nil || !r.Trimmed || r.String != s {
		t.Fatalf("with white space: %+v, %v", r, err)
	}
	typo := s[:20] + string(flip(s[20])) + s[21:]
	cases := map[string]error{
		"":                           ErrEmpty,
		" \t\n":                      ErrEmpty,
		s[:len(s)-1]:                 ErrLength,
		s + "q":                      ErrLength,
		typo:                         ErrChecksum,
		s[:30] + " " + s[31:]:        ErrBadCharacter,
		s[:30] + "b" + s[31:]:        ErrBadCharacter,
		s[:30] + "Q" + s[31:]:        ErrMixedCase,
		strings.ToUpper(s):           ErrCase,
		"age1":                       ErrLength,
		"age":                        ErrPrefix,
		"agex" + s[4:]:               ErrPrefix,
		"age1<your-key-here>":        ErrPlaceholder,
		"age1...":                    ErrPlaceholder,
		id.String():                  ErrSecretKey,
		strings.ToLower(id.String()): ErrSecretKey,
		"0123456789ABCDEF0123456789ABCDEF01234567": ErrPrefix,
		"hello":     ErrPrefix,
		s + "," + s: ErrMalformed,
	}
	for in, want := range cases {
		r, err := ParseRecipient(in)
		if !errors.Is(err, want) {
			t.Errorf("ParseRecipient(%q) = %+v, %v; want %v", in, r, err, want)
		}
		if err != nil && strings.Contains(err.Error(), id.String()[20:40]) {
			t.Errorf("error %q contains secret material", err)
		}
	}
}

// flip returns a different bech32 character.
func flip(c byte) byte {
	if c == 'q' {
		return 'p'
	}
	return 'q'
}

func TestParseRecipientPQ(t *testing.T) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	s := id.Recipient().String()
	r, err := ParseRecipient(s)
	if err != nil || r.Kind != KindPQ || r.String != s || r.X25519() != "" {
		t.Fatalf("ParseRecipient(pq) = %+v, %v", r.Kind, err)
	}
	short, err := Bech32Encode("age1pq", make([]byte, 100))
	if err != nil {
		t.Fatal(err)
	}
	twoOnes, err := Bech32Encode("age1pq1xyz", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]error{
		short:                   ErrLength,
		s[:len(s)-1]:            ErrChecksum,
		s[:100] + "1" + s[100:]: ErrChecksum,
		twoOnes:                 ErrPrefix,
	} {
		if _, err := ParseRecipient(in); !errors.Is(err, want) {
			t.Errorf("ParseRecipient(pq variant %d chars) = %v, want %v", len(in), err, want)
		}
	}
	// An all-0xff key is the right length but not a valid ML-KEM key.
	bad, err := Bech32Encode("age1pq", bytes.Repeat([]byte{0xff}, pqRecipientSize))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseRecipient(bad); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("ParseRecipient(invalid ML-KEM key) = %v, want ErrInvalidKey", err)
	}
}

func TestParseRecipientPlugin(t *testing.T) {
	s := plugin.EncodeRecipient("yubikey", []byte("some plugin data, 33 bytes long.."))
	r, err := ParseRecipient(s)
	if err != nil || r.Kind != KindPlugin || r.Plugin != "yubikey" || r.String != s {
		t.Fatalf("ParseRecipient(%q) = %+v, %v", s, r, err)
	}
	tag := plugin.EncodeRecipient("tag", []byte("x"))
	if r, err := ParseRecipient(tag); err != nil || r.Plugin != "tag" {
		t.Fatalf("ParseRecipient(%q) = %+v, %v", tag, r, err)
	}
	badName, err := Bech32Encode("age1yubi/key", []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]error{
		s[:len(s)-1] + string(flip(s[len(s)-1])): ErrChecksum,
		badName:                                  ErrInvalidKey,
	} {
		if _, err := ParseRecipient(in); !errors.Is(err, want) {
			t.Errorf("ParseRecipient(%q) = %v, want %v", in, err, want)
		}
	}
}

func TestParseRecipientSSH(t *testing.T) {
	line, _ := newSSHEd25519(t, "root@host")
	r, err := ParseRecipient(line)
	if err != nil || r.Kind != KindSSHEd25519 || r.Comment != "root@host" || strings.Contains(r.String, "root@host") {
		t.Fatalf("ParseRecipient(%q) = %+v, %v", line, r, err)
	}
	derived, err := SSHPublicToAge([]byte(line))
	if err != nil || r.Derived != derived {
		t.Fatalf("Derived = %q, SSHPublicToAge = %q, %v", r.Derived, derived, err)
	}
	ar, err := ParseRecipient(derived)
	if err != nil || ar.X25519() != r.X25519() {
		t.Fatalf("the age1 form and the ssh form should share X25519(): %q vs %q", ar.X25519(), r.X25519())
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, _ := ssh.NewPublicKey(&rsaKey.PublicKey)
	rsaLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(rsaPub)))
	if r, err := ParseRecipient(rsaLine + " me"); err != nil || r.Kind != KindSSHRSA || r.String != rsaLine || r.Derived != "" {
		t.Fatalf("ParseRecipient(rsa) = %+v, %v", r, err)
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPub, _ := ssh.NewPublicKey(&ec.PublicKey)
	ecLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ecPub)))
	f := strings.Fields(line)
	for in, want := range map[string]error{
		ecLine:                            ErrUnsupportedKeyType,
		line + ", laptop":                 ErrMalformed,
		"ssh-ed25519 " + f[1][:40]:        ErrMalformed,
		line + "\n" + derived:             ErrMalformed,
		"ssh-ed25519":                     ErrMalformed,
		"sk-ssh-ed25519@openssh.com AAAA": ErrUnsupportedKeyType,
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA": ErrInvalidKey,
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA": ErrLowOrder,
	} {
		if _, err := ParseRecipient(in); !errors.Is(err, want) {
			t.Errorf("ParseRecipient(%q) = %v, want %v", in, err, want)
		}
	}
}

// TestSSHFormsNotInterchangeable shows the sops-nix confusion that
// Recipient.Derived exists to detect: a file encrypted to the ssh-ed25519
// recipient cannot be opened with the ssh-to-age identity, and a file
// encrypted to the ssh-to-age recipient cannot be opened with the SSH key.
func TestSSHFormsNotInterchangeable(t *testing.T) {
	line, pemBytes := newSSHEd25519(t, "")
	r, err := ParseRecipient(line)
	if err != nil {
		t.Fatal(err)
	}
	ageIDStr, err := SSHPrivateToAge(pemBytes, nil)
	if err != nil {
		t.Fatal(err)
	}
	ageID, err := age.ParseX25519Identity(ageIDStr)
	if err != nil {
		t.Fatal(err)
	}
	if ageID.Recipient().String() != r.Derived {
		t.Fatalf("converted identity's recipient %q != Derived %q", ageID.Recipient(), r.Derived)
	}
	sshRec, err := agessh.ParseRecipient(line)
	if err != nil {
		t.Fatal(err)
	}
	sshID, err := agessh.ParseIdentity(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	ageRec, _ := age.ParseX25519Recipient(r.Derived)

	for _, c := range []struct {
		name  string
		to    age.Recipient
		with  age.Identity
		opens bool
	}{
		{"ssh→ssh", sshRec, sshID, true},
		{"age→age", ageRec, ageID, true},
		{"ssh→age identity", sshRec, ageID, false},
		{"age→ssh identity", ageRec, sshID, false},
	} {
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, c.to)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, "secret")
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = age.Decrypt(&buf, c.with)
		if (err == nil) != c.opens {
			t.Errorf("%s: decrypt error %v, want opens=%v", c.name, err, c.opens)
		}
	}
}

func TestKindString(t *testing.T) {
	seen := map[string]bool{}
	for k := KindUnknown; k <= KindSSHRSA+1; k++ {
		seen[k.String()] = true
	}
	if len(seen) != 6 {
		t.Fatalf("kind names not distinct: %v", seen)
	}
}
