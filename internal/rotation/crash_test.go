package rotation_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/keycycle/keycycle/internal/rotation"
)

// operator starts keycycle ARGS as a separate process (the test binary).
func (f *fixture) operator(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append(args, "--repo", f.repo)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// hostCanDecrypt checks the invariant: whatever the moment, the key the
// host has opens every file it must read.
func (f *fixture) hostCanDecrypt(t *testing.T, when string) {
	t.Helper()
	for _, name := range []string{"shared", "griefling"} {
		if !sopsOpens(t, filepath.Join(f.repo, "sops", name+".yaml"), f.keyTxt()) {
			t.Fatalf("%s: the host's key cannot open %s", when, name)
		}
	}
}

// finish resumes until done and checks the end state.
func (f *fixture) finish(t *testing.T) {
	t.Helper()
	for i := 0; i < 3; i++ {
		js := f.journals(t)
		if len(js) == 1 && js[0].State == rotation.Done {
			break
		}
		args := []string{"rotate", "resume"}
		if len(js) == 0 {
			args = f.startArgs()
		}
		if code, out := f.kc(t, args...); code != 0 {
			t.Fatalf("resume: exit %d\n%s", code, out)
		}
	}
	f.hostCanDecrypt(t, "done")
	for _, name := range []string{"shared", "griefling"} {
		if sopsOpens(t, filepath.Join(f.repo, "sops", name+".yaml"), f.oldKey) {
			t.Fatalf("the old key still opens %s", name)
		}
	}
	if code, out := f.kc(t, "audit", "verify"); code != 0 {
		t.Fatalf("audit verify: %s", out)
	}
}

// TestRotationKilledInsideHostSteps kills the operator with SIGKILL while
// the host runs each of its commands (the command completes, the
// operator never learns) and in the middle of the deploy command.
func TestRotationKilledInsideHostSteps(t *testing.T) {
	for _, verb := range []string{"keygen", "install-key", "deploy", "verify", "retire-key"} {
		t.Run(verb, func(t *testing.T) {
			f := setup(t)
			pidFile := filepath.Join(t.TempDir(), "operator.pid")
			if verb == "deploy" {
				write(t, filepath.Join(f.repo, "keycycle.yaml"), fmt.Sprintf(
					"hosts:\n  griefling:\n    ssh: griefling\ndeploy: kill -9 $(cat %s); sleep 1\n", pidFile))
			} else {
				// The wrapper runs the command, then kills the operator.
				kill := fmt.Sprintf("case \"$2\" in %s) \"$0.real\" \"$@\"; rc=$?; [ -f %s ] && kill -9 $(cat %s) && rm %s; exit $rc;; esac\n",
					verb, pidFile, pidFile, pidFile)
				if err := os.Rename(f.wrapper, f.wrapper+".real"); err != nil {
					t.Fatal(err)
				}
				write(t, f.wrapper, "#!/bin/sh\n"+kill+"exec \"$0.real\" \"$@\"\n")
				if err := os.Chmod(f.wrapper, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := f.operator(t, f.startArgs()...)
			write(t, pidFile, fmt.Sprint(cmd.Process.Pid))
			err := cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
				t.Fatalf("the operator was not killed: %v", err)
			}
			f.hostCanDecrypt(t, "after the kill in "+verb)
			if verb == "deploy" {
				write(t, filepath.Join(f.repo, "keycycle.yaml"), "hosts:\n  griefling:\n    ssh: griefling\ndeploy: 'true'\n")
			}
			f.finish(t)
		})
	}
}

// TestRotationKilledAtRandomMoments kills the operator at random moments,
// most inside the local rekeys of steps 3 and 6, then resumes.
func TestRotationKilledAtRandomMoments(t *testing.T) {
	n := 6
	if testing.Short() {
		n = 2
	}
	for i := 0; i < n; i++ {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			f := setup(t)
			cmd := f.operator(t, f.startArgs()...)
			time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			f.hostCanDecrypt(t, "after a kill")
			js := f.journals(t)
			if len(js) == 1 {
				t.Logf("killed at %s", js[0].State)
			}
			f.finish(t)
		})
	}
}
