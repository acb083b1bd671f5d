package vcs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mkdirs(t *testing.T, root string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDetect(t *testing.T) {
	base := t.TempDir()
	mkdirs(t, base, "plain/sub", "git/sub", "jj/sub", "both/sub", "jjtop/gitsub/sub", "wt")
	mkdirs(t, base, "git/.git", "jj/.jj", "both/.git", "both/.jj", "jjtop/.jj", "jjtop/gitsub/.git")
	// A worktree or submodule has a .git file.
	if err := os.WriteFile(filepath.Join(base, "wt", ".git"), []byte("gitdir: /elsewhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]Kind{
		"plain/sub":        None,
		"git":              Git,
		"git/sub":          Git,
		"jj/sub":           JJ,
		"both":             JJ, // colocated: jj owns the working copy
		"both/sub":         JJ,
		"jjtop/gitsub/sub": Git, // the nearest repository wins
		"wt":               Git,
	} {
		if got := Detect(filepath.Join(base, dir)); got != want && !(want == None && got != None && outsideTemp(base)) {
			t.Errorf("Detect(%s) = %s, want %s", dir, got, want)
		}
	}
}

// outsideTemp reports whether the temporary folder itself sits in a
// repository, which makes "None" unobservable.
func outsideTemp(base string) bool { return Detect(filepath.Dir(base)) != None }

func TestResolve(t *testing.T) {
	base := t.TempDir()
	if outsideTemp(base) {
		t.Skip("the temporary folder is inside a repository")
	}
	mkdirs(t, base, "git/.git", "both/.git", "both/.jj", "plain")
	tests := []struct {
		dir, mode string
		want      Kind
		reason    Reason
	}{
		{"git", "", Git, ""},
		{"git", "auto", Git, ""},
		{"git", "GIT", Git, ""},
		{"git", "jj", None, NotRepository},
		{"both", "auto", JJ, ""},
		{"both", "git", Git, ""},
		{"both", "jj", JJ, ""},
		{"plain", "auto", None, NotRepository},
		{"plain", "none", None, ""},
		{"git", "svn", None, BadMode},
	}
	for _, tt := range tests {
		got, err := Resolve(filepath.Join(base, tt.dir), tt.mode)
		if got != tt.want || reason(err) != tt.reason {
			t.Errorf("Resolve(%s, %q) = %s, %v; want %s, %s", tt.dir, tt.mode, got, err, tt.want, tt.reason)
		}
	}
}

func TestJJCommandLines(t *testing.T) {
	paths := []string{".keycycle/audit.log", "sops/web 1.yaml", `we"ird\name.yaml`, "ctl\tchar", "x(1)|~y.yaml"}
	got := jjCommitArgs("keycycle: host add web1\n\nKeycycle-Audit-Head: abc", paths)
	want := []string{
		"--no-pager", "--color=never", "commit", "--message=keycycle: host add web1\n\nKeycycle-Audit-Head: abc", "--",
		`file:".keycycle/audit.log"`, `file:"sops/web 1.yaml"`, `file:"we\"ird\\name.yaml"`, `file:"ctl\x09char"`, `file:"x(1)|~y.yaml"`,
	}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("jj commit:\n got %q\nwant %q", got, want)
	}
	if got := strings.Join(jjDiffArgs([]string{"a.yaml"}), " "); got != `--no-pager --color=never diff --summary -- file:"a.yaml"` {
		t.Errorf("jj diff: %s", got)
	}
	if got := strings.Join(jjCommitIDArgs(), " "); got != `--no-pager --color=never log --no-graph -r @- -T commit_id ++ "\n"` {
		t.Errorf("jj log: %s", got)
	}
	// A message starting with a dash stays the value of --message.
	if got := jjCommitArgs("-rf", nil); got[3] != "--message=-rf" || len(got) != 4 {
		t.Errorf("jj commit with a dash message: %q", got)
	}
}

// fakeJJ puts a jj on $PATH that records its arguments (one call a line,
// arguments separated by \x1f) and answers like jj would.
func fakeJJ(t *testing.T, diff, email string) (root, log string) {
	t.Helper()
	bin := t.TempDir()
	log = filepath.Join(bin, "calls")
	script := `#!/bin/sh
for a in "$@"; do printf '%s\037' "$a"; done >> "$FAKE_JJ_LOG"
printf '\n' >> "$FAKE_JJ_LOG"
case "$3" in
root) pwd ;;
config) [ -n "$FAKE_JJ_EMAIL" ] || exit 1; echo "$FAKE_JJ_EMAIL" ;;
diff) printf '%s' "$FAKE_JJ_DIFF" ;;
commit) echo "Working copy now at: zzz" >&2 ;;
log) echo 0123456789abcdef ;;
*) echo "unexpected $*" >&2; exit 2 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "jj"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_JJ_LOG", log)
	t.Setenv("FAKE_JJ_DIFF", diff)
	t.Setenv("FAKE_JJ_EMAIL", email)
	root = t.TempDir()
	mkdirs(t, root, ".jj")
	return root, log
}

func calls(t *testing.T, log string) []string {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		out = append(out, strings.ReplaceAll(strings.TrimSuffix(l, "\x1f"), "\x1f", " "))
	}
	return out
}

func TestJJCommitFlow(t *testing.T) {
	root, log := fakeJJ(t, "M sops/web1.yaml\n", "kay@example.org")
	res, err := Commit(context.Background(), root, JJ, "keycycle: rekey", []string{"sops/web1.yaml", ".sops.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Committed || res.ID != "0123456789abcdef" || res.Kind != JJ || res.Command[0] != "jj" {
		t.Errorf("result %+v", res)
	}
	want := []string{
		"--no-pager --color=never root",
		"--no-pager --color=never config get user.email",
		`--no-pager --color=never diff --summary -- file:".sops.yaml" file:"sops/web1.yaml"`,
		`--no-pager --color=never commit --message=keycycle: rekey -- file:".sops.yaml" file:"sops/web1.yaml"`,
		`--no-pager --color=never log --no-graph -r @- -T commit_id ++ "\n"`,
	}
	if got := calls(t, log); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("jj calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestJJNothingToCommit(t *testing.T) {
	root, log := fakeJJ(t, "", "kay@example.org")
	res, err := Commit(context.Background(), root, JJ, "x", []string{"a.yaml"})
	if err != nil || res.Committed {
		t.Fatalf("%+v %v", res, err)
	}
	for _, c := range calls(t, log) {
		if strings.Contains(c, " commit ") {
			t.Errorf("jj commit ran with nothing to commit: %s", c)
		}
	}
}

func TestJJNoIdentity(t *testing.T) {
	root, _ := fakeJJ(t, "M a.yaml\n", "")
	_, err := Commit(context.Background(), root, JJ, "x", []string{"a.yaml"})
	if reason(err) != NoIdentity || !strings.Contains(err.Error(), "jj does not know who you are") {
		t.Errorf("commit without identity: %v", err)
	}
}

func TestJJNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Commit(context.Background(), t.TempDir(), JJ, "x", []string{"a"})
	if reason(err) != NotInstalled || !strings.Contains(err.Error(), "jj is not installed") {
		t.Errorf("commit without jj: %v", err)
	}
}

func TestRelPaths(t *testing.T) {
	root := t.TempDir()
	got, err := RelPaths(root, []string{"sops/b.yaml", "./sops/../a.yaml", filepath.Join(root, "sops", "b.yaml"), ".keycycle/audit.log"})
	if err != nil || strings.Join(got, " ") != ".keycycle/audit.log a.yaml sops/b.yaml" {
		t.Errorf("RelPaths = %q, %v", got, err)
	}
	for _, bad := range []string{"..", "../x", "sops/../../x", ".", filepath.Dir(root)} {
		if _, err := RelPaths(root, []string{bad}); err == nil {
			t.Errorf("RelPaths accepted %q", bad)
		}
	}
}
