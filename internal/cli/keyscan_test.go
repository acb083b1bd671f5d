package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/cli"
	"github.com/keycycle/keycycle/internal/transport/sshtest"
)

// TestHostAddKeyscan registers a host from what the real ssh-keyscan reads
// off an SSH server on 127.0.0.1: the recipient must be the ssh-to-age
// conversion of that server's ed25519 host key.
func TestHostAddKeyscan(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh-keyscan"); err != nil {
		t.Skip("needs ssh-keyscan (Debian openssh-client)")
	}
	srv := sshtest.Start(t, "web", os.Environ())
	want := srv.HostRecipient(t)

	dir := t.TempDir()
	admin, _ := age.GenerateX25519Identity()
	cfg := fmt.Sprintf("keys:\n  hosts: []\n  users:\n    - &admin %s\ncreation_rules:\n  - path_regex: sops/shared\\.yaml$\n    key_groups:\n      - age:\n          - *admin\n", admin.Recipient())
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"host", "add", "web", "--repo", dir,
		"--ssh-keyscan", fmt.Sprintf("127.0.0.1:%d", srv.Port), "--dry-run"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "&web "+want) {
		t.Fatalf("host add did not register %s:\n%s", want, out.String())
	}

	code = cli.Main(context.Background(), []string{"host", "add", "web2", "--repo", dir,
		"--ssh-keyscan", "127.0.0.1:1", "--dry-run"}, nil, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "keycycle: hint:") {
		t.Fatalf("an unreachable host: exit %d, stderr %q", code, errOut.String())
	}
}
