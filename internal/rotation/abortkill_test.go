package rotation_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/rotation"
)

// TestRotationAbortAfterKills kills the operator at each failpoint before
// step 6 is recorded, then aborts. Before step 6 begins, abort must give
// back the exact starting state: .sops.yaml byte for byte, every file's
// recipients, the host's key file, nothing left beside it. Once step 6
// has written .sops.yaml, abort must refuse (the old key may already be
// out of some files) and resume must finish.
func TestRotationAbortAfterKills(t *testing.T) {
	t.Parallel()
	bin := buildFailpointKeycycle(t)
	cases := []struct {
		point     string
		state     rotation.State
		abortable bool
	}{
		{"rotation.saved:1", rotation.Planned, true},
		{"rotation.saved:2", rotation.NewKey, true},
		{"change.config:1", rotation.NewKey, true},
		{"change.file:1", rotation.NewKey, true},
		{"rotation.saved:3", rotation.Added, true},
		{"rotation.saved:4", rotation.Deployed, true},
		{"rotation.saved:5", rotation.Verified, true},
		{"change.config:2", rotation.Verified, false},
		{"change.file:3", rotation.Verified, false},
	}
	for _, c := range sample(cases) {
		t.Run(c.point, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			cfgBefore, _ := os.ReadFile(filepath.Join(f.repo, ".sops.yaml"))
			keyBefore, _ := os.ReadFile(f.keyTxt())
			rcpBefore := f.recipients(t)
			ps, out := f.runFailpoint(t, bin, c.point)
			if !fpKilledBySIGKILL(ps) {
				t.Fatalf("not killed at %s:\n%s", c.point, out)
			}
			if js := f.journals(t); len(js) != 1 || js[0].State != c.state {
				t.Fatalf("killed at %s: state %s, want %s", c.point, js[0].State, c.state)
			}
			code, out := f.kc(t, "rotate", "abort")
			if !c.abortable {
				if code != 2 || !strings.Contains(out, "can only be finished") {
					t.Fatalf("abort after %s: exit %d, want a refusal\n%s", c.point, code, out)
				}
				f.hostCanDecrypt(t, "after the refused abort")
				f.finish(t)
				return
			}
			if code != 0 {
				t.Fatalf("abort after %s: exit %d\n%s", c.point, code, out)
			}
			cfgAfter, _ := os.ReadFile(filepath.Join(f.repo, ".sops.yaml"))
			keyAfter, _ := os.ReadFile(f.keyTxt())
			if !bytes.Equal(cfgBefore, cfgAfter) {
				t.Errorf(".sops.yaml after abort:\n%s", cfgAfter)
			}
			if !bytes.Equal(keyBefore, keyAfter) {
				t.Error("the host's key file is not the old key after abort")
			}
			if got := f.recipients(t); got != rcpBefore {
				t.Errorf("recipients after abort:\n%s\nwant:\n%s", got, rcpBefore)
			}
			entries, _ := os.ReadDir(filepath.Dir(f.keyTxt()))
			if len(entries) != 1 {
				t.Errorf("host key folder after abort: %v", entries)
			}
			f.hostCanDecrypt(t, "after abort")
			if js := f.journals(t); js[0].State != rotation.Aborted {
				t.Errorf("state %s after abort", js[0].State)
			}
		})
	}
}

// TestRotationUserKeyAbortAfterKills is TestRotationAbortAfterKills for a
// user key: after each kill before step 6, abort leaves .sops.yaml, every
// file's recipients and the stored private half (keys/age) exactly as
// they were, and the user's keys.txt on the host still opens the files.
func TestRotationUserKeyAbortAfterKills(t *testing.T) {
	t.Parallel()
	bin := buildFailpointKeycycle(t)
	cases := []struct {
		point string
		state rotation.State
	}{
		{"change.file:1", rotation.Planned}, // keys/age written, not journaled
		{"rotation.saved:2", rotation.NewKey},
		{"change.file:2", rotation.NewKey}, // between the two rekeys of step 3
		{"rotation.saved:4", rotation.Deployed},
		{"rotation.saved:5", rotation.Verified},
	}
	for _, c := range sample(cases) {
		t.Run(c.point, func(t *testing.T) {
			t.Parallel()
			fl := setupFleetWith(t, "rain", "alpha")
			cfgBefore, _ := os.ReadFile(filepath.Join(fl.repo, ".sops.yaml"))
			valueBefore := fl.userKeyValue(t, "alpha")
			rcpBefore := fl.recipientsOf(t, "shared", "alpha")
			ps, out := fl.runUserFailpoint(t, bin, c.point)
			if !fpKilledBySIGKILL(ps) {
				t.Fatalf("not killed at %s:\n%s", c.point, out)
			}
			if js := fl.journals(t); len(js) != 1 || js[0].State != c.state {
				t.Fatalf("killed at %s: state %s, want %s", c.point, js[0].State, c.state)
			}
			if code, out := fl.kc(t, "rotate", "abort"); code != 0 {
				t.Fatalf("abort after %s: exit %d\n%s", c.point, code, out)
			}
			if cfgAfter, _ := os.ReadFile(filepath.Join(fl.repo, ".sops.yaml")); !bytes.Equal(cfgBefore, cfgAfter) {
				t.Errorf(".sops.yaml after abort:\n%s", cfgAfter)
			}
			if got := fl.userKeyValue(t, "alpha"); got != valueBefore {
				t.Errorf("keys/age after abort is not the old value (%d lines)", strings.Count(got, "\n")+1)
			}
			if got := fl.recipientsOf(t, "shared", "alpha"); got != rcpBefore {
				t.Errorf("recipients after abort:\n%s\nwant:\n%s", got, rcpBefore)
			}
			for _, name := range []string{"shared", "alpha"} {
				if !sopsOpens(t, filepath.Join(fl.repo, "sops", name+".yaml"), fl.userKeyTxt) {
					t.Errorf("the user's keys.txt does not open %s after abort", name)
				}
			}
		})
	}
}
