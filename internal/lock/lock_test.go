package lock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a second keycycle process: with
// KEYCYCLE_LOCK_HELPER=hold it takes the lock of $KEYCYCLE_LOCK_ROOT, says
// "locked", and holds it for $KEYCYCLE_LOCK_HOLD or, when that is "stdin",
// until its stdin closes.
func TestMain(m *testing.M) {
	if os.Getenv("KEYCYCLE_LOCK_HELPER") == "hold" {
		os.Exit(helper())
	}
	os.Exit(m.Run())
}

func helper() int {
	l, err := Acquire(context.Background(), os.Getenv("KEYCYCLE_LOCK_ROOT"), 0, "keycycle helper")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	if hold := os.Getenv("KEYCYCLE_LOCK_HOLD"); hold == "stdin" {
		_, _ = io.Copy(io.Discard, os.Stdin)
	} else {
		d, _ := time.ParseDuration(hold)
		time.Sleep(d)
	}
	if err := l.Release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// holder starts the helper process and returns once it holds the lock.
func holder(t *testing.T, root, hold string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KEYCYCLE_LOCK_HELPER=hold", "KEYCYCLE_LOCK_ROOT="+root, "KEYCYCLE_LOCK_HOLD="+hold)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	return cmd, stdin
}

func TestSecondProcessWaitsThenFails(t *testing.T) {
	root := t.TempDir()
	cmd, stdin := holder(t, root, "stdin")
	start := time.Now()
	var waitedFor *Holder
	l, err := AcquireWith(context.Background(), root, "keycycle rekey", Options{
		Timeout: 300 * time.Millisecond,
		OnWait:  func(h *Holder) { waitedFor = h },
	})
	elapsed := time.Since(start)
	var held *HeldError
	if !errors.As(err, &held) {
		_ = l.Release()
		t.Fatalf("Acquire while another process holds the lock: %v", err)
	}
	if elapsed < 300*time.Millisecond {
		t.Errorf("gave up after %v, before the timeout", elapsed)
	}
	if held.Holder == nil || held.Holder.PID != cmd.Process.Pid || held.Holder.Command != "keycycle helper" {
		t.Fatalf("holder %+v, want PID %d", held.Holder, cmd.Process.Pid)
	}
	if waitedFor == nil || waitedFor.PID != cmd.Process.Pid {
		t.Errorf("OnWait got %+v", waitedFor)
	}
	want := fmt.Sprintf("the repository is locked by PID %d (keycycle helper) since %s; waited 3",
		cmd.Process.Pid, held.Holder.Since.Format(time.RFC3339))
	if msg := err.Error(); !strings.HasPrefix(msg, want) {
		t.Errorf("message\n got %s\nwant %s…", msg, want)
	}
	if !strings.Contains(held.Hint(), "if that process is gone, just run again") {
		t.Errorf("hint %q", held.Hint())
	}
	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, InfoFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock.info left after Release: %v", err)
	}
}

func TestWaiterGetsTheLockWhenReleased(t *testing.T) {
	root := t.TempDir()
	holder(t, root, "300ms")
	start := time.Now()
	l, err := Acquire(context.Background(), root, 10*time.Second, "keycycle rekey")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
		t.Errorf("got the lock after %v", d)
	}
	h := Current(root)
	if h == nil || h.PID != os.Getpid() || h.Command != "keycycle rekey" || time.Since(h.Since) > time.Minute {
		t.Errorf("lock.info describes %+v", h)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
}

func TestCrashedHolderDoesNotBlock(t *testing.T) {
	root := t.TempDir()
	cmd, _ := holder(t, root, "stdin")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := os.Stat(filepath.Join(root, InfoFile)); err != nil {
		t.Fatalf("the killed holder's lock.info should remain: %v", err)
	}
	if h := Current(root); h != nil {
		t.Errorf("stale lock.info trusted: %+v", h)
	}
	l, err := Acquire(context.Background(), root, 0, "keycycle rekey")
	if err != nil {
		t.Fatalf("the lock of a killed holder is still held: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func writeInfo(t *testing.T, root string, h Holder) {
	t.Helper()
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, InfoFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStaleInfoIsNotBelieved(t *testing.T) {
	root := t.TempDir()
	first, err := Acquire(context.Background(), root, 0, "keycycle one")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	// As if a holder had crashed after a new one took the lock, before the
	// new one wrote its own description.
	host, _ := os.Hostname()
	writeInfo(t, root, Holder{PID: deadPID(t), Host: host, Command: "keycycle ghost"})
	_, err = Acquire(context.Background(), root, 0, "keycycle two")
	var held *HeldError
	if !errors.As(err, &held) || held.Holder != nil {
		t.Fatalf("Acquire: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "the repository is locked by another process") {
		t.Errorf("message %q", err)
	}
	// A holder on another host cannot be checked, so it is believed.
	writeInfo(t, root, Holder{PID: 4242, Host: "elsewhere", Command: "keycycle rotate", Since: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)})
	_, err = Acquire(context.Background(), root, 0, "keycycle two")
	if err == nil || err.Error() != "the repository is locked by PID 4242 (keycycle rotate) on elsewhere since 2026-07-01T10:00:00Z" {
		t.Errorf("message %q", err)
	}
}

func TestContextEndsTheWait(t *testing.T) {
	root := t.TempDir()
	first, err := Acquire(context.Background(), root, 0, "keycycle one")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Acquire(ctx, root, time.Minute, "keycycle two")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("Acquire after the context ended: %v after %v", err, time.Since(start))
	}
}

func TestGitignore(t *testing.T) {
	root := t.TempDir()
	l, err := Acquire(context.Background(), root, 0, "keycycle x")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, Gitignore)
	data, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(data), "/lock\n/lock.info\n") {
		t.Fatalf(".gitignore: %q %v", data, err)
	}
	if err := os.WriteFile(p, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = Acquire(context.Background(), root, 0, "keycycle x")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(p); string(data) != "mine\n" {
		t.Errorf("an existing .gitignore was rewritten: %q", data)
	}
	if _, err := os.Stat(filepath.Join(root, File)); err != nil {
		t.Errorf("the lock file should stay (removing it races with waiters): %v", err)
	}
}

func TestCannotCreateLock(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, ".keycycle"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(context.Background(), root, 0, "keycycle x"); err == nil || !strings.Contains(err.Error(), "cannot lock the repository") {
		t.Errorf("Acquire with .keycycle a file: %v", err)
	}
}
