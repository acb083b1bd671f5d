package cli_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/keycycle/keycycle/internal/testbin"
)

// TestInterruptExits130: Ctrl-C (SIGINT) while keycycle waits for the
// repository lock exits 130 and says only that it was interrupted: no
// hint about the lock or the repository.
func TestInterruptExits130(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds keycycle")
	}
	bin, err := testbin.Keycycle()
	if err != nil {
		t.Fatal(err)
	}
	r := newCampaignRepo(t, 6)
	if err := os.MkdirAll(filepath.Join(r.dir, ".keycycle"), 0o755); err != nil {
		t.Fatal(err)
	}
	held := flock.New(filepath.Join(r.dir, ".keycycle", "lock"))
	if ok, err := held.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v", err)
	}
	defer held.Unlock()
	cmd := exec.Command(bin, "rekey", "--repo", r.dir, "--lock-timeout", "1m")
	cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+filepath.Join(r.dir, "admin.key"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "waiting up to") {
			_ = cmd.Process.Signal(syscall.SIGINT)
			break
		}
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("keycycle did not stop on SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stderr:\n%s", err, strings.Join(lines, "\n"))
	}
	last := lines[len(lines)-1]
	if last != "keycycle: interrupted" || strings.Contains(strings.Join(lines, "\n"), "hint") {
		t.Errorf("stderr:\n%s\nwant it to end with 'keycycle: interrupted' and no hint", strings.Join(lines, "\n"))
	}
}
