package rotation_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
// host has opens every file it must read (the sops library, in process).
func (f *fixture) hostCanDecrypt(t *testing.T, when string) {
	t.Helper()
	for _, name := range []string{"shared", "griefling"} {
		if !libOpens(t, filepath.Join(f.repo, "sops", name+".yaml"), f.keyTxt()) {
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
	// The end state, proven with the real sops: the host's new key opens
	// its files, and (the library tells) the old key opens none.
	for _, name := range []string{"shared", "griefling"} {
		p := filepath.Join(f.repo, "sops", name+".yaml")
		if !sopsOpens(t, p, f.keyTxt()) {
			t.Fatalf("done: the host's key cannot open %s", name)
		}
		if libOpens(t, p, f.oldKey) {
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
	t.Parallel()
	for _, verb := range sample([]string{"keygen", "install-key", "deploy", "verify", "retire-key"}) {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
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

// killSeedEnv replays a campaign of TestRotationKilledAtRandomMoments:
// the test logs the seed it used, and KEYCYCLE_TEST_KILL_SEED=that seed
// draws the same kill moments again (how far the operator got by then
// still depends on the machine's speed).
const killSeedEnv = "KEYCYCLE_TEST_KILL_SEED"

// killSeed returns the seed from killSeedEnv, or a new one.
func killSeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv(killSeedEnv); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want an unsigned integer", killSeedEnv, v)
		}
		return seed
	}
	return rand.Uint64()
}

// TestRotationKilledAtRandomMoments kills the operator at random moments,
// most inside the local rekeys of steps 3 and 6, then resumes. The
// moments come from a seed it logs (see killSeedEnv).
func TestRotationKilledAtRandomMoments(t *testing.T) {
	t.Parallel()
	seed := killSeed(t)
	t.Logf("kill moments from seed %d: replay with %s=%d", seed, killSeedEnv, seed)
	n := 6
	if testing.Short() {
		n = 1
	}
	for i := 0; i < n; i++ {
		delay := time.Duration(rand.New(rand.NewPCG(seed, uint64(i))).IntN(1500)) * time.Millisecond
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			t.Logf("kill after %v (seed %d, run %d)", delay, seed, i)
			f := setup(t)
			cmd := f.operator(t, f.startArgs()...)
			time.Sleep(delay)
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
