package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/testbin"
)

// campaignSize is the repository's file count and the random kills per
// command: KEYCYCLE_KILL_CAMPAIGN=FILES,KILLS (the full campaign of
// docs/changes.md is 200,100), else a small one; the seed is
// KEYCYCLE_KILL_SEED (logged, so a failure can be replayed).
func campaignSize(t *testing.T) (files, kills int, seed uint64) {
	files, kills = 24, 4
	if v := os.Getenv("KEYCYCLE_KILL_CAMPAIGN"); v != "" {
		f, k, _ := strings.Cut(v, ",")
		var err1, err2 error
		files, err1 = strconv.Atoi(f)
		kills, err2 = strconv.Atoi(k)
		if err1 != nil || err2 != nil || files < 6 {
			t.Fatalf("KEYCYCLE_KILL_CAMPAIGN=%q: want FILES,KILLS (FILES >= 6)", v)
		}
	}
	seed = uint64(time.Now().UnixNano())
	if v := os.Getenv("KEYCYCLE_KILL_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("KEYCYCLE_KILL_SEED=%q: %v", v, err)
		}
		seed = s
	}
	t.Logf("kill campaign: %d files, %d random kills per command, KEYCYCLE_KILL_SEED=%d", files, kills, seed)
	return files, kills, seed
}

// campaignRepo is a repository of n files: five hosts with a file each,
// the rest shared by every host, an admin and a user.
type campaignRepo struct {
	dir   string
	ids   map[string]*age.X25519Identity
	plain map[string]string
}

var campaignKeys = []string{"admin", "h1", "h2", "h3", "h4", "h5", "u1", "extra"}

func newCampaignRepo(t *testing.T, n int) *campaignRepo {
	r := &campaignRepo{dir: t.TempDir(), ids: map[string]*age.X25519Identity{}, plain: map[string]string{}}
	for _, k := range campaignKeys {
		r.ids[k], _ = age.GenerateX25519Identity()
	}
	var cfg strings.Builder
	cfg.WriteString("keys:\n")
	for _, k := range campaignKeys[:len(campaignKeys)-1] {
		fmt.Fprintf(&cfg, "  - &%s %s\n", k, r.ids[k].Recipient())
	}
	cfg.WriteString("creation_rules:\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&cfg, "  - path_regex: ^sops/h%d\\.yaml$\n    key_groups:\n      - age:\n          - *admin\n          - *h%d\n", i, i)
	}
	cfg.WriteString("  - path_regex: ^sops/shared/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin\n          - *h1\n          - *h2\n          - *h3\n          - *h4\n          - *h5\n          - *u1\n")
	r.write(t, ".sops.yaml", []byte(cfg.String()))
	all := []string{"admin", "h1", "h2", "h3", "h4", "h5", "u1"}
	for i := 0; i < n; i++ {
		rel, keys := fmt.Sprintf("sops/shared/f%03d.yaml", i), all
		if i < 5 {
			rel, keys = fmt.Sprintf("sops/h%d.yaml", i+1), []string{"admin", fmt.Sprintf("h%d", i+1)}
		}
		r.plain[rel] = fmt.Sprintf("db:\n    password: pw-%d-%x\ntoken: t%d\n", i, rand.Uint64(), i)
		var rs []string
		for _, k := range keys {
			rs = append(rs, r.ids[k].Recipient().String())
		}
		enc, err := sopsfile.Encrypt(filepath.Join(r.dir, rel), []byte(r.plain[rel]), sopsfile.EncryptOptions{Groups: [][]string{rs}})
		if err != nil {
			t.Fatal(err)
		}
		r.write(t, rel, enc)
	}
	r.write(t, "admin.key", []byte(r.ids["admin"].String()+"\n"))
	if err := os.Chmod(filepath.Join(r.dir, "admin.key"), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *campaignRepo) write(t *testing.T, rel string, data []byte) {
	p := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTo copies the repository to a fresh folder.
func (r *campaignRepo) copyTo(t *testing.T) string {
	dst := filepath.Join(t.TempDir(), "repo")
	if out, err := exec.Command("cp", "-a", r.dir, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	return dst
}

// campaignCommand is one command of the campaign: how to set the
// repository up for it, and which key must open nothing afterwards.
type campaignCommand struct {
	name    string
	args    []string
	setup   func(t *testing.T, r *campaignRepo, dir string)
	revoked string   // "" when the command revokes nothing
	gone    []string // files the command deletes
	// after holds the plaintext of each file the command edits: after a
	// kill such a file opens to its old values or its new ones, whole,
	// and after the re-run to its new ones.
	after map[string]string
}

func campaignCommands() []campaignCommand {
	return []campaignCommand{
		{name: "rekey", args: []string{"rekey"}, revoked: "u1", setup: func(t *testing.T, r *campaignRepo, dir string) {
			// The shared rule trades u1 for extra: every shared file gets a
			// recipient and loses one (a new data key).
			p := filepath.Join(dir, ".sops.yaml")
			data, _ := os.ReadFile(p)
			data = bytes.Replace(data, []byte("          - *u1\n"), []byte("          - "+r.ids["extra"].Recipient().String()+"\n"), 1)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "host remove", args: []string{"host", "remove", "h1"}, revoked: "h1", gone: []string{"sops/h1.yaml"}},
		{name: "user remove", args: []string{"user", "remove", "u1"}, revoked: "u1"},
		{name: "secret set", args: []string{"secret", "set", "{dir}/sops/h2.yaml", "db/password", "--from-file", "{dir}/.home/value"},
			setup: func(t *testing.T, r *campaignRepo, dir string) {
				r.write(t, ".home/value", []byte("the-new-password\n"))
			}},
	}
}

// campaignAfter fills in what the commands that edit values leave: the
// plaintext their files end with.
func campaignAfter(c *campaignCommand, r *campaignRepo) {
	if c.name == "secret set" {
		old := r.plain["sops/h2.yaml"]
		i := strings.Index(old, "password: ") + len("password: ")
		j := i + strings.Index(old[i:], "\n")
		c.after = map[string]string{"sops/h2.yaml": old[:i] + "the-new-password" + old[j:]}
	}
}

// TestChangeKillCampaign kills rekey, host remove, user remove and
// secret set with SIGKILL at every failpoint of the change pipeline and
// at random moments. After each kill every file must still open with the admin
// key to its original values; running the same command again must
// converge (exit 0, check clean, the revoked key opening nothing); and
// the audit log must record every file the change touched.
func TestChangeKillCampaign(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds keycycle with failpoints and kills it many times")
	}
	n, kills, seed := campaignSize(t)
	bin := buildFailpointBinary(t)
	sopsDir, err := sopsBinary()
	if err != nil {
		t.Fatal(err)
	}
	base := newCampaignRepo(t, n)
	for i, c := range campaignCommands() {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			// The commands run side by side, each with its own random
			// sequence drawn from the seed.
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15+uint64(i)))
			tmpl := &campaignRepo{dir: base.copyTo(t), ids: base.ids, plain: base.plain}
			campaignAfter(&c, tmpl)
			if c.setup != nil {
				c.setup(t, tmpl, tmpl.dir)
			}
			// One run without a kill: its duration bounds the random
			// moments, and it counts the files the change writes.
			dir := tmpl.copyTo(t)
			start := time.Now()
			runCampaign(t, bin, dir, c.args, "", 0)
			full := time.Since(start)
			written := changedFiles(t, tmpl, dir)
			points := []string{"pipeline.intent:1", "change.config:1", "change.file:1",
				fmt.Sprintf("change.file:%d", max(1, len(written)/2)), fmt.Sprintf("change.file:%d", max(1, len(written))), "pipeline.recorded:1"}
			for _, fp := range points {
				dir := tmpl.copyTo(t)
				runCampaign(t, bin, dir, c.args, fp, 0)
				checkAfterKill(t, tmpl, dir, c, bin, sopsDir, "failpoint "+fp, rng)
			}
			for i := 0; i < kills; i++ {
				dir := tmpl.copyTo(t)
				at := time.Duration(rng.Int64N(int64(full)))
				runCampaign(t, bin, dir, c.args, "", at)
				checkAfterKill(t, tmpl, dir, c, bin, sopsDir, fmt.Sprintf("random kill at %v", at), rng)
			}
			t.Logf("%s: %d files written by one run, %d failpoint kills and %d random kills (one run takes %v), each converged",
				c.name, len(written), len(points), kills, full.Round(time.Millisecond))
		})
	}
}

// buildFailpointBinary is cmd/keycycle built with -tags failpoints, from
// Go's build cache (the rotation tests run the same one).
func buildFailpointBinary(t *testing.T) string {
	bin, err := testbin.Keycycle("-tags", "failpoints")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// runCampaign runs keycycle ARGS in dir: killed at failpoint fp, or with
// SIGKILL after killAt (0: neither, and it must succeed).
func runCampaign(t *testing.T, bin, dir string, args []string, fp string, killAt time.Duration) {
	t.Helper()
	var argv []string
	for _, a := range args {
		argv = append(argv, strings.ReplaceAll(a, "{dir}", dir))
	}
	cmd := exec.Command(bin, append(argv, "--repo", dir)...)
	cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+filepath.Join(dir, "admin.key"), "HOME="+dir+"/.home", "KEYCYCLE_ACTOR=t@campaign")
	if fp != "" {
		cmd.Env = append(cmd.Env, "KEYCYCLE_FAILPOINT="+fp)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if killAt > 0 {
		timer := time.AfterFunc(killAt, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	if fp == "" && killAt == 0 && err != nil {
		t.Fatalf("keycycle %v: %v\n%s", args, err, out.String())
	}
}

// changedFiles lists the files whose bytes differ from the template's
// (deleted ones included).
func changedFiles(t *testing.T, tmpl *campaignRepo, dir string) []string {
	var out []string
	for rel := range tmpl.plain {
		a, _ := os.ReadFile(filepath.Join(tmpl.dir, rel))
		b, _ := os.ReadFile(filepath.Join(dir, rel))
		if !bytes.Equal(a, b) {
			out = append(out, rel)
		}
	}
	return out
}

// checkAfterKill: every file opens with the admin key to its values; the
// same command run again converges; check is clean; the revoked key opens
// nothing; the audit log names every file that changed.
func checkAfterKill(t *testing.T, tmpl *campaignRepo, dir string, c campaignCommand, bin, sopsDir, what string, rng *rand.Rand) {
	t.Helper()
	admin := tmpl.ids["admin"].String()
	for rel, want := range tmpl.plain {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			if os.IsNotExist(err) && contains(c.gone, rel) {
				continue
			}
			t.Fatalf("%s: %s: %v", what, rel, err)
		}
		got, err := sopsfile.Decrypt(rel, data, admin)
		if next, ok := c.after[rel]; ok && err == nil && string(got) == next {
			continue
		}
		if err != nil || string(got) != want {
			t.Fatalf("%s: %s no longer opens to its values: %v\n%s", what, rel, err, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".keycycle", "intent.json")); err == nil {
		check := exec.Command(bin, "check", "--repo", dir)
		check.Env = append(os.Environ(), "HOME="+dir+"/.home")
		out, _ := check.CombinedOutput()
		if !bytes.Contains(out, []byte("KC402")) {
			t.Fatalf("%s: an intent record is there but check does not report KC402:\n%s", what, out)
		}
	}
	t.Logf("%s: re-running %v", what, c.args)
	runCampaign(t, bin, dir, c.args, "", 0)
	check := exec.Command(bin, "check", "--repo", dir)
	check.Env = append(os.Environ(), "HOME="+dir+"/.home")
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("%s: after the re-run, check: %v\n%s", what, err, out)
	}
	changed := changedFiles(t, tmpl, dir)
	for rel, want := range c.after {
		data, _ := os.ReadFile(filepath.Join(dir, rel))
		if got, err := sopsfile.Decrypt(rel, data, admin); err != nil || string(got) != want {
			t.Fatalf("%s: after the re-run %s does not hold the new values: %v\n%s", what, rel, err, got)
		}
	}
	for _, rel := range changed {
		if c.revoked == "" {
			break
		}
		revoked := tmpl.ids[c.revoked].String()
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			continue
		}
		if _, err := sopsfile.Decrypt(rel, data, revoked); err == nil {
			t.Fatalf("%s: %s still opens with the revoked key &%s", what, rel, c.revoked)
		}
	}
	logged := auditFiles(t, dir)
	for _, rel := range changed {
		if !logged[rel] {
			t.Fatalf("%s: %s changed but no audit entry names it", what, rel)
		}
	}
	// The real sops opens a sample of the files written, to their values.
	for i := 0; i < 3 && len(changed) > 0; i++ {
		rel := changed[rng.IntN(len(changed))]
		if contains(c.gone, rel) {
			continue
		}
		cmd := exec.Command(filepath.Join(sopsDir, "sops"), "decrypt", filepath.Join(dir, rel))
		cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+filepath.Join(dir, "admin.key"))
		out, err := cmd.Output()
		want, ok := c.after[rel]
		if !ok {
			want = tmpl.plain[rel]
		}
		if err != nil || string(out) != want {
			t.Fatalf("%s: sops decrypt %s: %v\n%s", what, rel, err, out)
		}
	}
}

func auditFiles(t *testing.T, dir string) map[string]bool {
	f, err := os.Open(filepath.Join(dir, ".keycycle", "audit.log"))
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e struct {
			Files []string `json:"files"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log: %v", err)
		}
		for _, rel := range e.Files {
			out[rel] = true
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
