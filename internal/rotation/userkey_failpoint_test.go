package rotation_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/rotation"
)

// fpUserWhere says, after a kill, where a user key's rotation stopped.
type fpUserWhere struct {
	state rotation.State
	// withNew and withOld count the user's two files (shared, alpha)
	// listing the new and the old recipient.
	withNew, withOld int
	// cfgNew and cfgOld tell whether .sops.yaml lists them.
	cfgNew, cfgOld bool
	// stored is keys/age of sops/alpha.yaml, deployed the user's
	// keys.txt on the host, as the identities they hold in order: "old",
	// "new old" (the new key under its marker, above the old), "new".
	stored, deployed string
}

// fpUserAtSave is where a kill right after the journal save of state s
// stops a user key's rotation.
func fpUserAtSave(s rotation.State) fpUserWhere {
	i := s.Index()
	w := fpUserWhere{state: s, withOld: 2, cfgOld: true, stored: "old", deployed: "old"}
	if i >= rotation.NewKey.Index() {
		w.stored = "new old"
	}
	if i >= rotation.Added.Index() {
		w.withNew, w.cfgNew = 2, true
	}
	if i >= rotation.Deployed.Index() {
		w.deployed = "new old"
	}
	if i >= rotation.OldRemoved.Index() {
		w.withOld, w.cfgOld = 0, false
	}
	if i >= rotation.Done.Index() {
		w.stored, w.deployed = "new", "new"
	}
	return w
}

// userStartArgs starts the rotation of the user key, deployed by the
// real sops as sops-nix would.
func (fl *fleet) userStartArgs(t *testing.T) []string {
	t.Helper()
	return []string{"rotate", "start", fl.user, "--ssh-config", fl.sshConf, "--remote-keycycle", fl.wrapper,
		"--deploy", fl.deployUserKey(t), "--repo", fl.repo}
}

// runUserFailpoint runs the failpoint build of keycycle as the operator
// (rotate start of the user key) with KEYCYCLE_FAILPOINT=point.
func (fl *fleet) runUserFailpoint(t *testing.T, bin, point string) (*os.ProcessState, string) {
	t.Helper()
	return runAtFailpoint(t, bin, point, fl.userStartArgs(t)...)
}

// fpMarkerPrefix starts the comment line above a staged new user key.
const fpMarkerPrefix = "# keycycle: new key of rotation "

// fpKeyLines splits a keys/age value or a keys.txt into its marker lines
// and the recipients of its identities, in order; any other non-empty
// line is an error.
func fpKeyLines(t *testing.T, what, value string) (markers, rcps []string) {
	t.Helper()
	for _, line := range strings.Split(value, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, fpMarkerPrefix):
			markers = append(markers, line)
		default:
			id, err := age.ParseX25519Identity(line)
			if err != nil {
				t.Errorf("%s holds a line that is neither a marker nor an identity (%d chars): %v", what, len(line), err)
				continue
			}
			rcps = append(rcps, id.Recipient().String())
		}
	}
	return markers, rcps
}

// fpRoles names each recipient "old", "new" or "other".
func fpRoles(rcps []string, oldRcp, newRcp string) string {
	var roles []string
	for _, r := range rcps {
		switch {
		case r == oldRcp:
			roles = append(roles, "old")
		case newRcp != "" && r == newRcp:
			roles = append(roles, "new")
		default:
			roles = append(roles, "other")
		}
	}
	return strings.Join(roles, " ")
}

// userOldRcp returns the recipient of the user's first key.
func (fl *fleet) userOldRcp(t *testing.T) string {
	t.Helper()
	return recipientOf(t, fl.oldUserKey)
}

// checkUserKillPoint checks the invariants after a kill at point and
// compares the repository and the host with w. It returns the new key's
// recipient as keys/age holds it ("" when it holds none yet).
func (fl *fleet) checkUserKillPoint(t *testing.T, point string, w fpUserWhere) string {
	t.Helper()
	// (1) Whatever was deployed last opens the user's files.
	for _, name := range []string{"shared", "alpha"} {
		if !libOpens(t, filepath.Join(fl.repo, "sops", name+".yaml"), fl.userKeyTxt) {
			t.Errorf("%s: the user's keys.txt on the host cannot open %s", point, name)
		}
	}
	// (2) The admin key opens every file.
	files, err := filepath.Glob(filepath.Join(fl.repo, "sops", "*.yaml"))
	if err != nil || len(files) != 2 {
		t.Fatalf("%s: secrets files %v (%v), want shared and alpha", point, files, err)
	}
	for _, file := range files {
		if !libOpens(t, file, fl.admin) {
			t.Errorf("%s: the admin key cannot open %s", point, file)
		}
	}
	js := fl.journals(t)
	if len(js) != 1 {
		t.Fatalf("%s: %d journals, want 1", point, len(js))
	}
	j := js[0]
	t.Logf("%s: journal state %s (error %q), new recipient %q, %d history line(s)", point, j.State, j.Error, j.New, len(j.History))
	if j.State != w.state {
		t.Errorf("%s: journal state %s, want %s", point, j.State, w.state)
	}
	if j.Error != "" {
		t.Errorf("%s: journal error %q after a kill", point, j.Error)
	}
	if j.State.Index() >= rotation.NewKey.Index() && j.New == "" {
		t.Errorf("%s: no new recipient in the journal at %s", point, j.State)
	}

	// (3) keys/age: the old identity until old-removed is recorded, at
	// most one new key, under exactly one marker naming this rotation.
	oldRcp := fl.userOldRcp(t)
	markers, stored := fpKeyLines(t, point+": keys/age", fl.userKeyValue(t, "alpha"))
	newRcp, newKeys := "", 0
	for _, r := range stored {
		if r != oldRcp {
			newKeys++
			if newRcp == "" {
				newRcp = r
			}
		}
	}
	if j.New != "" && newRcp != j.New {
		t.Errorf("%s: keys/age holds new key %q, the journal records %s", point, newRcp, j.New)
	}
	if j.State.Index() < rotation.OldRemoved.Index() && !slices.Contains(stored, oldRcp) {
		t.Errorf("%s: keys/age lost the old identity at %s", point, j.State)
	}
	if newKeys > 1 {
		t.Errorf("%s: keys/age holds %d new keys", point, newKeys)
	}
	wantMarkers := 0
	if strings.HasPrefix(w.stored, "new old") {
		wantMarkers = 1
	}
	if len(markers) != wantMarkers || wantMarkers == 1 && markers[0] != fpMarkerPrefix+j.ID {
		t.Errorf("%s: keys/age has markers %q, want %d naming rotation %s", point, markers, wantMarkers, j.ID)
	}
	if got := fpRoles(stored, oldRcp, newRcp); got != w.stored {
		t.Errorf("%s: keys/age holds %q, want %q", point, got, w.stored)
	}
	deployed, err := os.ReadFile(fl.userKeyTxt)
	if err != nil {
		t.Fatal(err)
	}
	_, onHost := fpKeyLines(t, point+": keys.txt", string(deployed))
	if got := fpRoles(onHost, oldRcp, newRcp); got != w.deployed {
		t.Errorf("%s: the user's keys.txt holds %q, want %q", point, got, w.deployed)
	}

	// Where the kill happened: recipients of the files and .sops.yaml.
	var withNew, withOld []string
	for _, name := range []string{"shared", "alpha"} {
		rs := fpRecipients(t, filepath.Join(fl.repo, "sops", name+".yaml"))
		if newRcp != "" && slices.Contains(rs, newRcp) {
			withNew = append(withNew, name)
		}
		if slices.Contains(rs, oldRcp) {
			withOld = append(withOld, name)
		}
	}
	t.Logf("%s: keys/age %q, keys.txt %q, files listing the new key %v, the old key %v",
		point, fpRoles(stored, oldRcp, newRcp), fpRoles(onHost, oldRcp, newRcp), withNew, withOld)
	if len(withNew) != w.withNew || len(withOld) != w.withOld {
		t.Errorf("%s: %d file(s) list the new key and %d the old, want %d and %d",
			point, len(withNew), len(withOld), w.withNew, w.withOld)
	}
	cfg, err := os.ReadFile(filepath.Join(fl.repo, ".sops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfgNew := newRcp != "" && bytes.Contains(cfg, []byte(newRcp))
	cfgOld := bytes.Contains(cfg, []byte(oldRcp))
	if cfgNew != w.cfgNew || cfgOld != w.cfgOld {
		t.Errorf("%s: .sops.yaml lists the new key %v and the old %v, want %v and %v\n%s",
			point, cfgNew, cfgOld, w.cfgNew, w.cfgOld, cfg)
	}
	return newRcp
}

// finishUser resumes in process until done and checks the end state. A
// new key found in keys/age before (staged, "" if none) must be the one
// the rotation ends with.
func (fl *fleet) finishUser(t *testing.T, point, staged string) {
	t.Helper()
	for i := 0; i < 3; i++ {
		js := fl.journals(t)
		if len(js) != 1 {
			t.Fatalf("%s: %d journals before resume, want 1", point, len(js))
		}
		if js[0].State == rotation.Done {
			break
		}
		if code, out := fl.kc(t, "rotate", "resume"); code != 0 {
			t.Fatalf("%s: resume: exit %d\n%s", point, code, out)
		}
	}
	js := fl.journals(t)
	if len(js) != 1 || js[0].State != rotation.Done {
		t.Fatalf("%s: not done after 3 resumes: %+v", point, js)
	}
	j := js[0]
	if staged != "" && j.New != staged {
		t.Errorf("%s: the rotation ended with new key %s, but keys/age held %s at the kill: resume made a second key", point, j.New, staged)
	}
	oldRcp := fl.userOldRcp(t)
	markers, stored := fpKeyLines(t, point+": keys/age at done", fl.userKeyValue(t, "alpha"))
	if len(markers) != 0 || !slices.Equal(stored, []string{j.New}) {
		t.Errorf("%s: keys/age at done has markers %q and identities %q, want %s alone",
			point, markers, fpRoles(stored, oldRcp, j.New), j.New)
	}
	deployed, err := os.ReadFile(fl.userKeyTxt)
	if err != nil {
		t.Fatal(err)
	}
	if _, onHost := fpKeyLines(t, point+": keys.txt at done", string(deployed)); !slices.Equal(onHost, []string{j.New}) {
		t.Errorf("%s: the user's keys.txt at done holds %q, want the new key alone", point, fpRoles(onHost, oldRcp, j.New))
	}
	for _, name := range []string{"shared", "alpha"} {
		p := filepath.Join(fl.repo, "sops", name+".yaml")
		if !sopsOpens(t, p, fl.userKeyTxt) {
			t.Errorf("%s: the new user key does not open %s", point, name)
		}
		if libOpens(t, p, fl.oldUserKey) {
			t.Errorf("%s: the old user key still opens %s", point, name)
		}
		if !libOpens(t, p, fl.admin) {
			t.Errorf("%s: the admin key does not open %s at done", point, name)
		}
	}
	if code, out := fl.kc(t, "audit", "verify"); code != 0 {
		t.Errorf("%s: audit verify: exit %d\n%s", point, code, out)
	}
}

// TestRotationUserKeyKilledAtFailpoints kills the operator (keycycle
// built with -tags failpoints) with SIGKILL at each journal save and
// each secrets-file and .sops.yaml write of a user key's rotation,
// checks that the user can still decrypt, that keys/age keeps the old
// key and at most one new one, and that the kill happened where it was
// meant to, then resumes to the end. After a kill between writing the
// new key to keys/age and recording it (change.file:1), the rotation
// must end with that same key.
func TestRotationUserKeyKilledAtFailpoints(t *testing.T) {
	t.Parallel()
	bin := buildFailpointKeycycle(t)

	// Runs armed one hit past the last must finish without a kill: with
	// the kill at the last hit below, they pin the number of hits. The
	// saves give the state boundaries.
	var saved []rotation.State
	cleans := []string{fmt.Sprintf("rotation.saved:%d", len(fpSavedStates)+1), "change.file:7", "change.config:3"}
	for _, clean := range cleans {
		t.Run(clean, func(t *testing.T) {
			if !strings.HasPrefix(clean, "rotation.saved:") {
				t.Parallel() // the save run fills saved, which the points need
			}
			fl := setupFleetWith(t, "rain", "alpha")
			ps, out := fl.runUserFailpoint(t, bin, clean)
			if !ps.Success() || strings.Contains(out, "failpoint: killed") {
				t.Fatalf("%s: %v, want a full rotation without a kill\n%s", clean, ps, out)
			}
			js := fl.journals(t)
			if len(js) != 1 || js[0].State != rotation.Done {
				t.Fatalf("%s: journals after a full run: %+v\n%s", clean, js, out)
			}
			if strings.HasPrefix(clean, "rotation.saved:") {
				for _, e := range js[0].History {
					saved = append(saved, e.State)
				}
				if !slices.Equal(saved, fpSavedStates) {
					t.Fatalf("a full run saved %v, want one save per state %v", saved, fpSavedStates)
				}
			}
			fl.checkUserKillPoint(t, clean, fpUserAtSave(rotation.Done))
			fl.finishUser(t, clean, "")
		})
	}
	if !slices.Equal(saved, fpSavedStates) {
		t.Fatal("no save boundaries to kill at")
	}

	type point struct {
		name string
		at   fpUserWhere
	}
	var points []point
	for i, s := range saved {
		points = append(points, point{fmt.Sprintf("rotation.saved:%d", i+1), fpUserAtSave(s)})
	}
	points = append(points,
		// Step 2: the new key written to keys/age above the old, not yet
		// in the journal; nothing deployed.
		point{"change.file:1", fpUserWhere{rotation.Planned, 0, 2, false, true, "new old", "old"}},
		// Step 3: .sops.yaml lists the new key beside the old, no file yet.
		point{"change.config:1", fpUserWhere{rotation.NewKey, 0, 2, true, true, "new old", "old"}},
		// Step 3: one of the two files rekeyed for the new key.
		point{"change.file:2", fpUserWhere{rotation.NewKey, 1, 2, true, true, "new old", "old"}},
		// Step 3: both files rekeyed, not yet recorded.
		point{"change.file:3", fpUserWhere{rotation.NewKey, 2, 2, true, true, "new old", "old"}},
		// Step 6: the old key out of .sops.yaml, no file yet; keys.txt
		// holds both keys since step 4.
		point{"change.config:2", fpUserWhere{rotation.Verified, 2, 2, true, false, "new old", "new old"}},
		// Step 6: one of the two files rekeyed without the old key.
		point{"change.file:4", fpUserWhere{rotation.Verified, 2, 1, true, false, "new old", "new old"}},
		// Step 6: both files rekeyed, not yet recorded.
		point{"change.file:5", fpUserWhere{rotation.Verified, 2, 0, true, false, "new old", "new old"}},
		// Step 7: keys/age is the new key alone, not yet deployed nor
		// recorded.
		point{"change.file:6", fpUserWhere{rotation.OldRemoved, 2, 0, true, false, "new", "new old"}},
	)
	for _, p := range sample(points) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			fl := setupFleetWith(t, "rain", "alpha")
			ps, out := fl.runUserFailpoint(t, bin, p.name)
			if !fpKilledBySIGKILL(ps) {
				t.Fatalf("%s: the operator ended with %v, want killed by SIGKILL\n%s", p.name, ps, out)
			}
			if !strings.Contains(out, "failpoint: killed at "+p.name+"\n") {
				t.Fatalf("%s: killed, but not by the failpoint\n%s", p.name, out)
			}
			staged := fl.checkUserKillPoint(t, p.name, p.at)
			fl.finishUser(t, p.name, staged)
		})
	}
}
