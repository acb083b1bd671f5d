package ops

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/demo"
	"github.com/keycycle/keycycle/internal/pipeline"
	"github.com/keycycle/keycycle/internal/textutil"
)

// demoRepo builds the demo repository and points sops's key lookup at
// its admin key.
func demoRepo(t *testing.T) *demo.Layout {
	t.Helper()
	l, err := demo.Build(filepath.Join(t.TempDir(), "repo"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_AGE_KEY_FILE", l.IdentityFiles["rain"])
	t.Setenv("SOPS_AGE_KEY", "")
	t.Setenv("HOME", t.TempDir())
	return l
}

// tree maps every file under dir to its content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFindConfigErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, msg, hint string }{
		{file, "is not a folder", "not a file"},
		{dir, "no .sops.yaml in " + dir, "--repo DIR"},
		{filepath.Join(dir, "missing"), "cannot read --repo", "the folder that holds .sops.yaml"},
	} {
		_, err := FindConfig(c.dir)
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(textutil.HintOf(err), c.hint) {
			t.Errorf("FindConfig(%s) = %v (hint %q), want %q with hint %q", c.dir, err, textutil.HintOf(err), c.msg, c.hint)
		}
	}
}

func TestFindConfigWalksUp(t *testing.T) {
	l := demoRepo(t)
	t.Chdir(filepath.Join(l.Dir, "sops"))
	p, err := FindConfig("")
	if err != nil || p != filepath.Join(l.Dir, ".sops.yaml") {
		t.Fatalf("FindConfig from sops/ = %q, %v", p, err)
	}
}

func TestBeginRefusesABadRegexBeforeTheLock(t *testing.T) {
	l := demoRepo(t)
	cfg := filepath.Join(l.Dir, ".sops.yaml")
	data, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), `sops/shared\.yaml$`, `sops/(shared\.yaml$`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, l.Dir)
	_, err := Begin(context.Background(), Options{Repo: l.Dir, Command: "keycycle test"})
	if err == nil || !strings.Contains(textutil.HintOf(err), "regular expression") {
		t.Fatalf("Begin = %v (hint %q), want the regular expression refused", err, textutil.HintOf(err))
	}
	if after := tree(t, l.Dir); len(after) != len(before) {
		t.Errorf("Begin wrote files: %d before, %d after", len(before), len(after))
	}
}

func TestDryRunSessionWritesNothing(t *testing.T) {
	l := demoRepo(t)
	before := tree(t, l.Dir)
	var shown []Shown
	o := Options{Repo: l.Dir, DryRun: true, Command: "keycycle test", Show: func(v Shown) error { shown = append(shown, v); return nil }}
	s, err := Begin(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := s.Editor()
	if err != nil {
		t.Fatal(err)
	}
	req := s.Request(ed)
	req.Only = []string{"sops/sorrow.yaml"}
	plan, err := s.Change(context.Background(), Change{Subject: "test", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != 1 || len(shown) != 1 || !shown[0].DryRun {
		t.Errorf("dry run planned %d files and showed %d plans (%+v), want 1 and 1", len(plan.Files), len(shown), shown)
	}
	if err := s.Log(context.Background(), audit.Entry{Note: "test"}, "test", nil); !errors.Is(err, pipeline.ErrDryRun) {
		t.Errorf("Log in a dry run = %v, want ErrDryRun", err)
	}
	var endErr error
	s.End(&endErr)
	if endErr != nil {
		t.Fatal(endErr)
	}
	after := tree(t, l.Dir)
	if len(after) != len(before) {
		t.Fatalf("a dry run wrote: %d files before, %d after", len(before), len(after))
	}
	for p, data := range before {
		if after[p] != data {
			t.Errorf("a dry run changed %s", p)
		}
	}
}

func TestCommitMode(t *testing.T) {
	root := t.TempDir()
	for _, c := range []struct {
		yaml             string
		commit, noCommit bool
		want             bool
		kind             string
	}{
		{"", false, false, false, "auto"},
		{"", true, false, true, "auto"},
		{"vcs: git\n", false, false, true, "git"},
		{"vcs: jj\n", false, true, false, ""},
		{"vcs: none\n", false, false, false, "auto"},
		{"vcs: none\n", true, false, true, "auto"},
	} {
		p := filepath.Join(root, "keycycle.yaml")
		_ = os.Remove(p)
		if c.yaml != "" {
			if err := os.WriteFile(p, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, kind, err := commitMode(root, Options{Commit: c.commit, NoCommit: c.noCommit})
		if err != nil || got != c.want || kind != c.kind {
			t.Errorf("commitMode(%q, commit %v, no-commit %v) = %v, %q, %v; want %v, %q", c.yaml, c.commit, c.noCommit, got, kind, err, c.want, c.kind)
		}
	}
}

func TestRekey(t *testing.T) {
	l := demoRepo(t)
	ctx := context.Background()
	sorrow := filepath.Join(l.Dir, "sops", "sorrow.yaml")
	old, _ := os.ReadFile(sorrow)
	res, err := Rekey(ctx, Options{Repo: l.Dir, DryRun: true, Command: "keycycle rekey"}, RekeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, f := range res.Files {
		status[f.File] = f.Status
	}
	if status["sops/sorrow.yaml"] != "would-rekey" || status["sops/todo.yaml"] != "failed" || status["sops/malphas.yaml"] != "unchanged" {
		t.Errorf("dry run statuses %v", status)
	}
	if now, _ := os.ReadFile(sorrow); string(now) != string(old) {
		t.Error("a dry run rekey changed sops/sorrow.yaml")
	}
	res, err = Rekey(ctx, Options{Repo: l.Dir, Command: "keycycle rekey"}, RekeyRequest{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() != 1 || res.NoIdentity {
		t.Errorf("rekey: %d failed (want the plaintext todo.yaml only), no identity %v", res.Failed(), res.NoIdentity)
	}
	if now, _ := os.ReadFile(sorrow); string(now) == string(old) {
		t.Error("rekey left sops/sorrow.yaml as it was")
	}
	if log, err := os.ReadFile(filepath.Join(l.Dir, ".keycycle", "audit.log")); err != nil || !strings.Contains(string(log), "sops/sorrow.yaml") {
		t.Errorf("the audit log does not name the rekeyed file: %v\n%s", err, log)
	}
	if _, err := Rekey(ctx, Options{Repo: l.Dir}, RekeyRequest{RotateDataKey: true, KeepDataKey: true}); err == nil || textutil.HintOf(err) != "choose one of them" {
		t.Errorf("contradicting data-key flags: %v", err)
	}
	if _, err := Rekey(ctx, Options{Repo: l.Dir}, RekeyRequest{Files: []string{os.TempDir()}}); err == nil || !strings.Contains(err.Error(), "outside the repository") {
		t.Errorf("a file outside the repository: %v", err)
	}
}

func TestPlanErrorExitsWithFindings(t *testing.T) {
	if err := PlanError(errors.New("cannot open sops/x.yaml")); !textutil.IsFindings(err) || textutil.HintOf(err) == "" {
		t.Errorf("PlanError of an unopenable file = %v (findings %v), want findings with a hint", err, textutil.IsFindings(err))
	}
}

// A file a rule governs that is no sops file stops a change with a hint
// that names what to do about it (not a key to find), and --exclude
// leaves it out.
func TestChangeRefusesAPlaintextFileWithItsRemedy(t *testing.T) {
	l := demoRepo(t)
	ctx := context.Background()
	for _, exclude := range [][]string{nil, {"sops/todo.yaml"}} {
		s, err := Begin(ctx, Options{Repo: l.Dir, DryRun: true, Exclude: exclude, Command: "keycycle test"})
		if err != nil {
			t.Fatal(err)
		}
		ed, err := s.Editor()
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Change(ctx, Change{Subject: "test", Request: s.Request(ed)})
		s.End(&err)
		switch {
		case exclude != nil && err != nil:
			t.Errorf("with --exclude sops/todo.yaml: %v", err)
		case exclude == nil && (err == nil || !textutil.IsFindings(err) || !strings.Contains(textutil.HintOf(err), "--exclude") ||
			!strings.Contains(err.Error(), "sops/todo.yaml")):
			t.Errorf("a plaintext sops/todo.yaml: %v (hint %q), want findings naming it with an --exclude hint", err, textutil.HintOf(err))
		}
	}
}
