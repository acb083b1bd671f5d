package secret

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/curve25519"

	"github.com/keycycle/keycycle/internal/policy"
)

func gen(t *testing.T, g policy.Generator) Value {
	t.Helper()
	v, err := Generate(context.Background(), &g, CommandEnv{File: "sops/x.yaml", Path: "a/b", Host: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPassword(t *testing.T) {
	v := gen(t, policy.Generator{Kind: policy.GenPassword, Length: 200, Alphabet: "ab€"})
	if n := len([]rune(v.Secret)); n != 200 || strings.Trim(v.Secret, "ab€") != "" {
		t.Errorf("password %q (%d characters)", v.Secret, n)
	}
	for _, c := range []string{"a", "b", "€"} {
		if !strings.Contains(v.Secret, c) {
			t.Errorf("200 characters from ab€ without %s: %q", c, v.Secret)
		}
	}
	if _, err := Password(10, "a"); err == nil {
		t.Error("a one-character alphabet")
	}
	a, b := gen(t, policy.Generator{Kind: policy.GenPassword, Length: 32, Alphabet: policy.DefaultAlphabet}), gen(t, policy.Generator{Kind: policy.GenPassword, Length: 32, Alphabet: policy.DefaultAlphabet})
	if a.Secret == b.Secret {
		t.Error("two passwords are equal")
	}
}

func TestHexBase64(t *testing.T) {
	h := gen(t, policy.Generator{Kind: policy.GenHex, Bytes: 16})
	if b, err := hex.DecodeString(h.Secret); err != nil || len(b) != 16 {
		t.Errorf("hex %q: %d bytes, %v", h.Secret, len(b), err)
	}
	b64 := gen(t, policy.Generator{Kind: policy.GenBase64, Bytes: 48})
	if b, err := base64.StdEncoding.DecodeString(b64.Secret); err != nil || len(b) != 48 {
		t.Errorf("base64 %q: %d bytes, %v", b64.Secret, len(b), err)
	}
}

// needTool skips when a Debian tool the test compares with is absent.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed (apt-get install %s)", name, map[string]string{"age-keygen": "age", "ssh-keygen": "openssh-client"}[name])
	}
}

// writeTest writes a key for a tool to read, in the test's own folder.
func writeTest(t *testing.T, name, data string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAgeKeyAgeKeygenAccepts(t *testing.T) {
	needTool(t, "age-keygen")
	v := gen(t, policy.Generator{Kind: policy.GenAgeKey})
	out, err := exec.Command("age-keygen", "-y", writeTest(t, "keys.txt", v.Secret)).Output()
	if err != nil {
		t.Fatalf("age-keygen -y: %v", err)
	}
	if strings.TrimSpace(string(out)) != v.Public || !strings.HasPrefix(v.Public, "age1") {
		t.Errorf("age-keygen -y says %q, the generator %q", out, v.Public)
	}
	if got, _ := AgeKey(time.Unix(0, 0)); !strings.HasPrefix(got.Secret, "# created: 1970-01-01T00:00:00Z\n# public key: age1") {
		t.Errorf("age key file %q", got.Secret)
	}
}

func TestSSHKeySSHKeygenAccepts(t *testing.T) {
	needTool(t, "ssh-keygen")
	v := gen(t, policy.Generator{Kind: policy.GenSSHEd25519, Comment: "borg@malphas"})
	out, err := exec.Command("ssh-keygen", "-y", "-f", writeTest(t, "id", v.Secret)).Output()
	if err != nil {
		t.Fatalf("ssh-keygen -y: %v", err)
	}
	got := strings.Fields(string(out))
	want := strings.Fields(v.Public)
	if len(got) < 2 || len(want) != 3 || got[0] != "ssh-ed25519" || got[1] != want[1] || want[2] != "borg@malphas" {
		t.Errorf("ssh-keygen -y says %q, the generator %q", out, v.Public)
	}
}

func TestWireGuard(t *testing.T) {
	v := gen(t, policy.Generator{Kind: policy.GenWireGuard})
	priv, err := base64.StdEncoding.DecodeString(v.Secret)
	if err != nil || len(priv) != 32 {
		t.Fatalf("private key %q: %d bytes, %v", v.Secret, len(priv), err)
	}
	if priv[0]&7 != 0 || priv[31]&128 != 0 || priv[31]&64 == 0 {
		t.Errorf("private key not clamped: %x", priv)
	}
	pub, _ := curve25519.X25519(priv, curve25519.Basepoint)
	if v.Public != base64.StdEncoding.EncodeToString(pub) {
		t.Errorf("public key %q does not match the private key", v.Public)
	}
	if wg, err := exec.LookPath("wg"); err == nil {
		cmd := exec.Command(wg, "pubkey")
		cmd.Stdin = strings.NewReader(v.Secret + "\n")
		if out, err := cmd.Output(); err != nil || strings.TrimSpace(string(out)) != v.Public {
			t.Errorf("wg pubkey says %q (%v), the generator %q", out, err, v.Public)
		}
	}
}

func TestCommandGenerator(t *testing.T) {
	v := gen(t, policy.Generator{Kind: policy.GenCommand, Command: []string{"sh", "-c", `printf '%s:%s:%s\n' "$KEYCYCLE_SECRET_FILE" "$KEYCYCLE_SECRET_PATH" "$KEYCYCLE_HOST"`}})
	if v.Secret != "sops/x.yaml:a/b:x" {
		t.Errorf("command value %q", v.Secret)
	}
	var stderr bytes.Buffer
	for name, argv := range map[string][]string{
		"fails":    {"sh", "-c", "echo oops >&2; exit 3"},
		"silent":   {"true"},
		"missing":  {"/nonexistent/keycycle-gen"},
		"binary":   {"printf", `\377\376`},
		"too much": {"head", "-c", "2000000", "/dev/zero"},
	} {
		_, err := Generate(context.Background(), &policy.Generator{Kind: policy.GenCommand, Command: argv}, CommandEnv{Stderr: &stderr})
		if err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if !strings.Contains(stderr.String(), "oops") {
		t.Errorf("the command's stderr was not passed on: %q", stderr.String())
	}
}
