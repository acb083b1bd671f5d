package agekey

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// needTool returns the path of a system tool or skips the test.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (CI installs it): %v", name, err)
	}
	return p
}

func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestInteropSSHKeygenAge converts a key made by OpenSSH's ssh-keygen and
// checks, with the independent Debian age binary, that the converted
// identity decrypts what was encrypted to the converted recipient, and
// that the recipient matches the identity in both directions.
func TestInteropSSHKeygenAge(t *testing.T) {
	sshKeygen := needTool(t, "ssh-keygen")
	ageBin := needTool(t, "age")
	for _, pass := range []string{"", "correct horse"} {
		dir := t.TempDir()
		key := filepath.Join(dir, "id_ed25519")
		run(t, nil, sshKeygen, "-q", "-t", "ed25519", "-N", pass, "-C", "test@keycycle", "-f", key)
		pub, _ := os.ReadFile(key + ".pub")
		priv, _ := os.ReadFile(key)

		rec, err := SSHPublicToAge(pub)
		if err != nil {
			t.Fatal(err)
		}
		id, err := SSHPrivateToAge(priv, []byte(pass))
		if err != nil {
			t.Fatal(err)
		}
		idFile := filepath.Join(dir, "keys.txt")
		if err := os.WriteFile(idFile, []byte(id+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}

		plain := []byte("hello from keycycle\n")
		ct := run(t, plain, ageBin, "-r", rec)
		if got := run(t, ct, ageBin, "-d", "-i", idFile); !bytes.Equal(got, plain) {
			t.Fatalf("age -d returned %q", got)
		}
		// And the reverse: age encrypts, our parsed identity decrypts.
		ids, err := ParseIdentityFile(bytes.NewReader([]byte(id)))
		if err != nil {
			t.Fatal(err)
		}
		r, err := age.Decrypt(bytes.NewReader(ct), ids[0].AgeIdentity())
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(r); !bytes.Equal(got, plain) {
			t.Fatalf("age.Decrypt returned %q", got)
		}
		if got, _ := ids[0].Recipient(); got != rec {
			t.Fatalf("identity's recipient %q, public key converts to %q", got, rec)
		}
	}
}

// TestInteropAgeKeygenRecipient checks ParseRecipient and
// ParseIdentityFile against keys made by Debian's age-keygen.
func TestInteropAgeKeygenRecipient(t *testing.T) {
	keygen := needTool(t, "age-keygen")
	out := run(t, nil, keygen)
	ids, err := ParseIdentityFile(bytes.NewReader(out))
	if err != nil || len(ids) != 1 {
		t.Fatalf("ParseIdentityFile(age-keygen output) = %v, %v", ids, err)
	}
	want := strings.TrimSpace(string(run(t, out, keygen, "-y")))
	if got, _ := ids[0].Recipient(); got != want {
		t.Fatalf("recipient %q, age-keygen -y says %q", got, want)
	}
	if r, err := ParseRecipient(want); err != nil || r.Kind != KindX25519 {
		t.Fatalf("ParseRecipient(%q) = %+v, %v", want, r, err)
	}
}
