package rotation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/cli"
	"github.com/keycycle/keycycle/internal/transport/sshtest"
)

// fleet is a secrets repository with several hosts, each with its own
// root and its own SSH server on 127.0.0.1, reached through one
// ssh_config; every host key is a year old and the policy allows 90 days.
type fleet struct {
	*fixture
	hosts   []string
	roots   map[string]string
	oldKeys map[string]string
	servers map[string]*sshtest.Server
	sshConf string
	// user is the user key's anchor (USER_HOST), userKeyTxt its keys.txt
	// on the host, oldUserKey a copy of its first private half.
	user, userKeyTxt, oldUserKey string
}

// hostRootEnv tells the host wrapper which root the SSH server stands for.
const hostRootEnv = "KEYCYCLE_TEST_HOST_ROOT"

func setupFleet(t *testing.T, hosts ...string) *fleet {
	t.Helper()
	return setupFleetWith(t, "", hosts...)
}

// setupFleetWith is setupFleet; with user set, the first host also keeps
// a year-old user key &USER_HOST: its private half is in sops/HOST.yaml
// under keys/age and in the user's keys.txt on the host, as sops-nix
// deployed it.
func setupFleetWith(t *testing.T, user string, hosts ...string) *fleet {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("needs the OpenSSH client")
	}
	if _, err := sopsPath(); err != nil {
		t.Skipf("go tool -n sops: %v", err)
	}
	dir := t.TempDir()
	shared.seeds.copyInto(t, "fleet "+user+" "+strings.Join(hosts, " "), dir, func(dir string) error {
		return buildFleetSeed(dir, user, hosts)
	})
	fl := &fleet{fixture: &fixture{repo: filepath.Join(dir, "repo"), admin: shared.admin},
		hosts: hosts, roots: map[string]string{}, oldKeys: map[string]string{}, servers: map[string]*sshtest.Server{}}
	var servers []*sshtest.Server
	for _, h := range hosts {
		fl.roots[h] = filepath.Join(dir, "root-"+h)
		fl.oldKeys[h] = filepath.Join(dir, h+".old.key")
		srv := sshtest.Start(t, h, []string{"PATH=/usr/bin:/bin", hostRootEnv + "=" + fl.roots[h]})
		fl.servers[h] = srv
		servers = append(servers, srv)
	}
	fl.sshConf = sshtest.WriteConfig(t, servers...)
	if user != "" {
		fl.user = user + "_" + hosts[0]
		fl.userKeyTxt = filepath.Join(fl.roots[hosts[0]], "home", user, ".config/sops/age/keys.txt")
		fl.oldUserKey = filepath.Join(dir, "user.old.key")
	}
	fl.wrapper = hostWrapper(t, dir, `"$`+hostRootEnv+`"`)
	return fl
}

// buildFleetSeed makes setupFleetWith's fixture in dir: the repository
// (its files encrypted by the real sops), each host's root with its
// key.txt and a copy as HOST.old.key, and with user set the user's
// keys.txt in the first host's root and a copy as user.old.key.
func buildFleetSeed(dir, user string, hosts []string) error {
	var anchors, sharedKeys, rules, keys strings.Builder
	fmt.Fprintf(&keys, "keys:\n  - name: rain\n    recipient: %s\n    kind: admin\n    created: 2026-11-01\n", shared.adminRcp)
	for _, h := range hosts {
		rcp, err := makeKeyAndCopy(filepath.Join(dir, "root-"+h, "var/lib/sops-nix/key.txt"), filepath.Join(dir, h+".old.key"))
		if err != nil {
			return err
		}
		fmt.Fprintf(&anchors, "    - &%s %s\n", h, rcp)
		fmt.Fprintf(&sharedKeys, "          - *%s\n", h)
		fmt.Fprintf(&rules, "  - path_regex: sops/%s\\.yaml$\n    key_groups:\n      - age:\n          - *rain\n          - *%s\n", h, h)
		fmt.Fprintf(&keys, "  - name: %s\n    recipient: %s\n    kind: host\n    owner: %s\n    created: 2025-06-01\n", h, rcp, h)
	}
	users := ""
	files := map[string]string{"shared": "wifi: swordfish\n"}
	for _, h := range hosts {
		files[h] = "secret: " + h + "-only\n"
	}
	if user != "" {
		h, anchor := hosts[0], user+"_"+hosts[0]
		userKeyTxt := filepath.Join(dir, "root-"+h, "home", user, ".config/sops/age/keys.txt")
		rcp, err := makeKeyAndCopy(userKeyTxt, filepath.Join(dir, "user.old.key"))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(userKeyTxt)
		if err != nil {
			return err
		}
		users = fmt.Sprintf("    - &%s %s\n", anchor, rcp)
		files[h] += "keys:\n    age: " + strings.TrimSpace(string(data)) + "\n"
		sharedKeys.WriteString("          - *" + anchor + "\n")
		rules.Reset()
		for i, h := range hosts {
			extra := ""
			if i == 0 {
				extra = "          - *" + anchor + "\n"
			}
			fmt.Fprintf(&rules, "  - path_regex: sops/%s\\.yaml$\n    key_groups:\n      - age:\n          - *rain\n          - *%s\n%s", h, h, extra)
		}
		fmt.Fprintf(&keys, "  - name: %s\n    recipient: %s\n    kind: user\n    owner: %s\n    created: 2025-06-01\n", anchor, rcp, h)
	}
	repo := filepath.Join(dir, "repo")
	var pol strings.Builder
	pol.WriteString("hosts:\n")
	for _, h := range hosts {
		fmt.Fprintf(&pol, "  %s:\n    ssh: %s\n", h, h)
	}
	pol.WriteString("policy:\n  max_age:\n    host: 90d\n    user: 90d\n")
	for name, body := range map[string]string{
		".sops.yaml": fmt.Sprintf(
			"keys:\n  hosts:\n%s  users:\n    - &rain %s\n%screation_rules:\n  - path_regex: sops/shared\\.yaml$\n    key_groups:\n      - age:\n          - *rain\n%s%s",
			anchors.String(), shared.adminRcp, users, sharedKeys.String(), rules.String()),
		"keycycle.yaml":       pol.String(),
		".keycycle/keys.yaml": keys.String(),
	} {
		if err := writeFile(filepath.Join(repo, name), body); err != nil {
			return err
		}
	}
	return sopsEncrypt(repo, shared.admin, files)
}

// kcSplit runs keycycle in this process; stdout and stderr apart.
func (fl *fleet) kcSplit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--repo", fl.repo)
	code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func (fl *fleet) dueArgs(extra ...string) []string {
	return append([]string{"rotate", "due", "--ssh-config", fl.sshConf, "--remote-keycycle", fl.wrapper}, extra...)
}

// keyOf returns the key file of host h.
func (fl *fleet) keyOf(h string) string {
	return filepath.Join(fl.roots[h], "var/lib/sops-nix/key.txt")
}

// checkRotated proves, with the real sops, that each host's key opens the
// shared file and its own, and that its old key opens neither.
func (fl *fleet) checkRotated(t *testing.T, hosts ...string) {
	t.Helper()
	for _, h := range hosts {
		for _, name := range []string{"shared", h} {
			p := filepath.Join(fl.repo, "sops", name+".yaml")
			if !sopsOpens(t, p, fl.keyOf(h)) {
				t.Errorf("%s's new key does not open %s", h, name)
			}
			if sopsOpens(t, p, fl.oldKeys[h]) {
				t.Errorf("%s's old key still opens %s", h, name)
			}
		}
	}
}

func TestRotationDueRotatesTheFleet(t *testing.T) {
	t.Parallel()
	fl := setupFleet(t, "alpha", "bravo", "charlie")
	// The deploy command logs when it starts and ends, and waits (at most
	// 60 s) until a second host's deployment has started: it proves that
	// hosts rotate side by side, and the log that at most two do.
	logf := filepath.Join(t.TempDir(), "deploys.log")
	deploy := fmt.Sprintf(`echo start {host} >> %[1]s; i=0; while [ $(grep -c start %[1]s) -lt 2 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo end {host} >> %[1]s`, logf)
	code, out := fl.kc(t, fl.dueArgs("--dry-run")...)
	if code != 0 || strings.Count(out, "would rotate") != 3 || !strings.Contains(out, "dry run: nothing written") {
		t.Fatalf("due --dry-run: exit %d\n%s", code, out)
	}
	if len(fl.journals(t)) != 0 {
		t.Fatal("--dry-run wrote a journal")
	}
	code, out = fl.kc(t, fl.dueArgs("--max-parallel", "2", "--deploy", deploy)...)
	if code != 0 {
		t.Fatalf("rotate due: exit %d\n%s", code, out)
	}
	t.Logf("rotate due:\n%s", out)
	if !strings.Contains(out, "3 key(s) due: 3 done") {
		t.Errorf("summary:\n%s", out)
	}
	fl.checkRotated(t, "alpha", "bravo", "charlie")
	data, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	running, most := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "start") {
			running++
		} else {
			running--
		}
		most = max(most, running)
	}
	if most != 2 {
		t.Errorf("at most %d deployment(s) ran at once, want 2 (--max-parallel 2):\n%s", most, data)
	}
	if code, out := fl.kc(t, "check"); code != 0 {
		t.Errorf("check after rotate due: exit %d\n%s", code, out)
	}
	if code, out := fl.kc(t, "audit", "verify"); code != 0 {
		t.Errorf("audit verify: %s", out)
	}
	code, out = fl.kc(t, fl.dueArgs()...)
	if code != 0 || !strings.Contains(out, "no key is past its policy age") {
		t.Errorf("second rotate due: exit %d\n%s", code, out)
	}
}

// TestRotationDueGoesOnWhenOneHostFails rotates alpha's host key and the
// user key it keeps, while bravo's link drops at verification: bravo's
// rotation stops there, the others finish, and the next 'rotate due'
// resumes bravo's.
func TestRotationDueGoesOnWhenOneHostFails(t *testing.T) {
	t.Parallel()
	fl := setupFleetWith(t, "rain", "alpha", "bravo")
	fl.servers["bravo"].SetFault(func(cmd string) sshtest.Fault {
		if strings.Contains(cmd, "host verify") {
			return sshtest.DropBefore
		}
		return sshtest.Run
	})
	deploy := "if [ {host} = alpha ]; then " + fl.deployUserKey(t) + "; fi"
	code, out, errOut := fl.kcSplit(t, fl.dueArgs("--deploy", deploy, "--format", "json")...)
	if code != 1 {
		t.Fatalf("rotate due with bravo failing: exit %d, want 1\n%s%s", code, out, errOut)
	}
	var sum struct {
		Schema string `json:"schema"`
		Keys   []struct {
			Key, Kind, Host, Result, State string
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("JSON summary: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, k := range sum.Keys {
		got[k.Key] = k.Kind + " " + k.Host + " " + k.Result + " " + k.State
	}
	want := map[string]string{"alpha": "host alpha done done", "rain_alpha": "user alpha done done", "bravo": "host bravo failed deployed"}
	if sum.Schema != "keycycle.rotate-due/v1" || !maps.Equal(got, want) {
		t.Fatalf("summary %s %v, want %v\n%s", sum.Schema, got, want, out)
	}
	fl.checkRotated(t, "alpha")
	for _, name := range []string{"shared", "alpha"} {
		p := filepath.Join(fl.repo, "sops", name+".yaml")
		if !sopsOpens(t, p, fl.userKeyTxt) || sopsOpens(t, p, fl.oldUserKey) {
			t.Errorf("%s: the user's new key must open it, and the old one not", name)
		}
	}
	// bravo can still open its files with the key it has.
	for _, name := range []string{"shared", "bravo"} {
		if !sopsOpens(t, filepath.Join(fl.repo, "sops", name+".yaml"), fl.keyOf("bravo")) {
			t.Fatalf("bravo cannot open %s after its failed rotation", name)
		}
	}
	fl.servers["bravo"].SetFault(nil)
	code, out = fl.kc(t, fl.dueArgs("--deploy", "true")...)
	if code != 0 || !strings.Contains(out, "1 key(s) due: 1 done") {
		t.Fatalf("rotate due again: exit %d\n%s", code, out)
	}
	fl.checkRotated(t, "alpha", "bravo")
	if js := fl.journals(t); len(js) != 3 {
		t.Errorf("%d journals, want 3 (the failed rotation resumed, not a new one)", len(js))
	}
}

// TestRotationDueCommits runs rotate due --commit on two hosts at once in
// a git repository: every step is its own commit, the commits of the two
// rotations do not mix, and the work tree is clean at the end.
func TestRotationDueCommits(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	fl := setupFleet(t, "alpha", "bravo") // git's identity: set by TestMain
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = fl.repo
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "secrets")
	code, out := fl.kc(t, fl.dueArgs("--commit", "--deploy", "true")...)
	if code != 0 || !strings.Contains(out, "2 key(s) due: 2 done") {
		t.Fatalf("rotate due --commit: exit %d\n%s", code, out)
	}
	if st := git("status", "--porcelain"); st != "" {
		t.Errorf("work tree not clean after rotate due --commit:\n%s", st)
	}
	log := git("log", "--format=%s")
	for _, h := range []string{"alpha", "bravo"} {
		for _, what := range []string{"new key added beside the old", "old key removed, new data keys", "done"} {
			if !strings.Contains(log, "keycycle: rotate "+h+": "+what) {
				t.Errorf("no commit %q for %s in:\n%s", what, h, log)
			}
		}
	}
	// Each commit touches one rotation's work only.
	for _, line := range strings.Split(strings.TrimSpace(git("log", "--format=%H %s")), "\n") {
		hash, subject, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(subject, "keycycle: rotate ") {
			continue
		}
		files := git("show", "--name-only", "--format=", hash)
		for _, other := range []string{"alpha", "bravo"} {
			if !strings.Contains(subject, other) && strings.Contains(files, "sops/"+other+".yaml") {
				t.Errorf("commit %q also holds %s's file:\n%s", subject, other, files)
			}
		}
	}
	fl.checkRotated(t, "alpha", "bravo")
}
