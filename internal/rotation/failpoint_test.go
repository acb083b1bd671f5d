package rotation_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/testbin"
)

// fpEnv is the failpoint variable read by a binary built with
// -tags failpoints (internal/failpoint).
const fpEnv = "KEYCYCLE_FAILPOINT"

// fpSavedStates are the states a full rotation saves, in order: one
// journal save each (rotate start saves planned, Run each step after).
var fpSavedStates = []rotation.State{rotation.Planned, rotation.NewKey, rotation.Added,
	rotation.Deployed, rotation.Verified, rotation.OldRemoved, rotation.Done}

// buildFailpointKeycycle returns cmd/keycycle built with -tags
// failpoints: linked once and kept in Go's build cache (internal/testbin),
// the binary the CLI's kill campaign runs too.
func buildFailpointKeycycle(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command on PATH to build keycycle with -tags failpoints")
	}
	bin, err := testbin.Keycycle("-tags", "failpoints")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// runFailpoint runs the failpoint build of keycycle as the operator
// (rotate start) with KEYCYCLE_FAILPOINT=point.
func (f *fixture) runFailpoint(t *testing.T, bin, point string) (*os.ProcessState, string) {
	t.Helper()
	return runAtFailpoint(t, bin, point, append(f.startArgs(), "--repo", f.repo)...)
}

// runAtFailpoint runs the failpoint build of keycycle with args and
// KEYCYCLE_FAILPOINT=point. It is a real keycycle: the test binary's main
// switch is left out of its environment.
func runAtFailpoint(t *testing.T, bin, point string, args ...string) (*os.ProcessState, string) {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, mainEnv+"=") && !strings.HasPrefix(kv, fpEnv+"=") {
			env = append(env, kv)
		}
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = append(env, fpEnv+"="+point)
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("%s: the operator did not run\n%s", point, out.String())
	}
	return cmd.ProcessState, out.String()
}

// fpKilledBySIGKILL tells whether the process died from SIGKILL.
func fpKilledBySIGKILL(ps *os.ProcessState) bool {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// fpRecipients returns the age recipients a sops file lists.
func fpRecipients(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if _, r, ok := strings.Cut(line, "recipient:"); ok {
			out = append(out, strings.TrimSpace(r))
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no recipient:\n%s", path, data)
	}
	return out
}

// fpWhere says, after a kill, what the files and .sops.yaml must list.
type fpWhere struct {
	state rotation.State
	// withNew and withOld count the host's two files (shared, griefling)
	// listing the new and the old recipient.
	withNew, withOld int
	// cfgNew and cfgOld tell whether .sops.yaml lists them.
	cfgNew, cfgOld bool
}

// fpAtSave is where a kill right after the journal save of state s stops:
// the rekeys of steps 3 and 6 are complete or not started.
func fpAtSave(s rotation.State) fpWhere {
	i := s.Index()
	w := fpWhere{state: s, withOld: 2, cfgOld: true}
	if i >= rotation.Added.Index() {
		w.withNew, w.cfgNew = 2, true
	}
	if i >= rotation.OldRemoved.Index() {
		w.withOld, w.cfgOld = 0, false
	}
	return w
}

// checkKillPoint compares the repository with w and logs what it found.
func (f *fixture) checkKillPoint(t *testing.T, point string, w fpWhere) {
	t.Helper()
	js := f.journals(t)
	if len(js) != 1 {
		t.Fatalf("%s: %d journals, want 1", point, len(js))
	}
	j := js[0]
	t.Logf("%s: journal state %s (error %q), %d history line(s)", point, j.State, j.Error, len(j.History))
	if j.State != w.state {
		t.Errorf("%s: journal state %s, want %s", point, j.State, w.state)
	}
	if j.Error != "" {
		t.Errorf("%s: journal error %q after a kill", point, j.Error)
	}
	if w.state.Index() >= rotation.NewKey.Index() && j.New == "" {
		t.Fatalf("%s: no new recipient in the journal at %s", point, j.State)
	}
	var withNew, withOld []string
	for _, name := range []string{"shared", "griefling"} {
		rs := fpRecipients(t, filepath.Join(f.repo, "sops", name+".yaml"))
		if j.New != "" && slices.Contains(rs, j.New) {
			withNew = append(withNew, name)
		}
		if slices.Contains(rs, f.oldRcp) {
			withOld = append(withOld, name)
		}
	}
	t.Logf("%s: files listing the new key %v, the old key %v", point, withNew, withOld)
	if len(withNew) != w.withNew || len(withOld) != w.withOld {
		t.Errorf("%s: %d file(s) list the new key and %d the old, want %d and %d",
			point, len(withNew), len(withOld), w.withNew, w.withOld)
	}
	other := fpRecipients(t, filepath.Join(f.repo, "sops", "other.yaml"))
	if slices.Contains(other, f.oldRcp) || j.New != "" && slices.Contains(other, j.New) {
		t.Errorf("%s: sops/other.yaml lists griefling's key: %v", point, other)
	}
	cfg, err := os.ReadFile(filepath.Join(f.repo, ".sops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfgNew := j.New != "" && bytes.Contains(cfg, []byte(j.New))
	cfgOld := bytes.Contains(cfg, []byte(f.oldRcp))
	if cfgNew != w.cfgNew || cfgOld != w.cfgOld {
		t.Errorf("%s: .sops.yaml lists the new key %v and the old %v, want %v and %v\n%s",
			point, cfgNew, cfgOld, w.cfgNew, w.cfgOld, cfg)
	}
}

// TestRotationKilledAtFailpoints kills the operator (keycycle built with
// -tags failpoints) with SIGKILL at each journal save and inside the
// rekeys of steps 3 and 6, checks that the host still opens its files
// and that the kill happened where it was meant to, then resumes to the
// end.
func TestRotationKilledAtFailpoints(t *testing.T) {
	t.Parallel()
	bin := buildFailpointKeycycle(t)

	// A run armed one save past the last must finish without a kill; its
	// history is one line per save, which gives the save boundaries.
	var saved []rotation.State
	clean := fmt.Sprintf("rotation.saved:%d", len(fpSavedStates)+1)
	t.Run(clean, func(t *testing.T) {
		f := setup(t)
		ps, out := f.runFailpoint(t, bin, clean)
		if !ps.Success() || strings.Contains(out, "failpoint: killed") {
			t.Fatalf("%s: %v, want a full rotation without a kill\n%s", clean, ps, out)
		}
		js := f.journals(t)
		if len(js) != 1 || js[0].State != rotation.Done {
			t.Fatalf("journals after a full run: %+v\n%s", js, out)
		}
		for _, e := range js[0].History {
			saved = append(saved, e.State)
		}
		if !slices.Equal(saved, fpSavedStates) {
			t.Fatalf("a full run saved %v, want one save per state %v", saved, fpSavedStates)
		}
		f.finish(t)
	})
	if !slices.Equal(saved, fpSavedStates) {
		t.Fatal("no save boundaries to kill at")
	}

	type point struct {
		name string
		at   fpWhere
	}
	var points []point
	for i, s := range saved {
		points = append(points, point{fmt.Sprintf("rotation.saved:%d", i+1), fpAtSave(s)})
	}
	points = append(points,
		// Step 3: .sops.yaml lists the new key beside the old, no file yet.
		point{"change.config:1", fpWhere{rotation.NewKey, 0, 2, true, true}},
		// Step 3: one of the two files rekeyed for the new key.
		point{"change.file:1", fpWhere{rotation.NewKey, 1, 2, true, true}},
		// Step 3: both files rekeyed, not yet recorded.
		point{"change.file:2", fpWhere{rotation.NewKey, 2, 2, true, true}},
		// Step 6: the old key out of .sops.yaml, no file yet.
		point{"change.config:2", fpWhere{rotation.Verified, 2, 2, true, false}},
		// Step 6: one of the two files rekeyed without the old key.
		point{"change.file:3", fpWhere{rotation.Verified, 2, 1, true, false}},
		// Step 6: both files rekeyed, not yet recorded.
		point{"change.file:4", fpWhere{rotation.Verified, 2, 0, true, false}},
	)
	for _, p := range sample(points) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			ps, out := f.runFailpoint(t, bin, p.name)
			if !fpKilledBySIGKILL(ps) {
				t.Fatalf("%s: the operator ended with %v, want killed by SIGKILL\n%s", p.name, ps, out)
			}
			if !strings.Contains(out, "failpoint: killed at "+p.name+"\n") {
				t.Fatalf("%s: killed, but not by the failpoint\n%s", p.name, out)
			}
			f.hostCanDecrypt(t, "after the kill at "+p.name)
			files, err := filepath.Glob(filepath.Join(f.repo, "sops", "*.yaml"))
			if err != nil || len(files) != 3 {
				t.Fatalf("%s: secrets files %v (%v), want the fixture's 3", p.name, files, err)
			}
			for _, file := range files {
				if !libOpens(t, file, f.admin) {
					t.Fatalf("%s: the admin key cannot open %s", p.name, file)
				}
			}
			f.checkKillPoint(t, p.name, p.at)
			f.finish(t)
		})
	}

	// No further hits: a third config write or a fifth file would be a
	// rekey this test does not know about.
	for _, extra := range []string{"change.config:3", "change.file:5"} {
		t.Run(extra, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			ps, out := f.runFailpoint(t, bin, extra)
			if !ps.Success() || strings.Contains(out, "failpoint: killed") {
				t.Fatalf("%s: %v, want a full rotation without a kill\n%s", extra, ps, out)
			}
			if js := f.journals(t); len(js) != 1 || js[0].State != rotation.Done {
				t.Fatalf("%s: not done after a full run\n%s", extra, out)
			}
		})
	}
}
