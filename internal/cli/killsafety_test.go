package cli_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/testbin"
)

// TestRekeyKillSafety kills 'keycycle rekey' with SIGKILL at random moments
// and requires that every file still decrypts to its original values after
// each kill, and that a last run finishes the job.
func TestRekeyKillSafety(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds keycycle and rekeys a repository many times")
	}
	bin, err := testbin.Keycycle()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	admin, _ := age.GenerateX25519Identity()
	host, _ := age.GenerateX25519Identity()
	added, _ := age.GenerateX25519Identity()
	keyFile := filepath.Join(t.TempDir(), "admin.key")
	if err := os.WriteFile(keyFile, []byte(admin.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const files = 40
	plain := map[string]string{}
	for i := 0; i < files; i++ {
		rel := fmt.Sprintf("sops/f%02d.yaml", i)
		plain[rel] = fmt.Sprintf("secret: value-%d\n", i)
		p := filepath.Join(dir, rel)
		enc, err := sopsfile.Encrypt(p, []byte(plain[rel]), sopsfile.EncryptOptions{
			Groups: [][]string{{admin.Recipient().String(), host.Recipient().String()}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, enc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The rule now adds a recipient and drops one: a new data key each.
	cfg := fmt.Sprintf("creation_rules:\n  - path_regex: sops/.*\\.yaml$\n    age: %s,%s\n",
		admin.Recipient(), added.Recipient())
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "SOPS_AGE_KEY_FILE="+keyFile, "HOME="+t.TempDir())
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 8; round++ {
		cmd := exec.Command(bin, "rekey", "--repo", dir, "-j", "2")
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		assertDecrypts(t, dir, plain, admin.String())
	}
	cmd := exec.Command(bin, "rekey", "--repo", dir)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("final rekey: %v\n%s", err, out)
	}
	assertDecrypts(t, dir, plain, added.String())
	for rel := range plain {
		data, _ := os.ReadFile(filepath.Join(dir, rel))
		if _, err := sopsfile.Decrypt(rel, data, host.String()); err == nil {
			t.Errorf("%s: the dropped key still opens it", rel)
		}
	}
}

func assertDecrypts(t *testing.T, dir string, plain map[string]string, identity string) {
	t.Helper()
	for rel, want := range plain {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		got, err := sopsfile.Decrypt(rel, data, identity)
		if err != nil {
			t.Fatalf("%s no longer decrypts: %v", rel, err)
		}
		if strings.TrimSpace(string(got)) != strings.TrimSpace(want) {
			t.Fatalf("%s decrypts to %q, want %q", rel, got, want)
		}
	}
}
