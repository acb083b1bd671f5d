package vcs

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitEnv gives git a fixed identity and dates and no user or system
// configuration.
func gitEnv(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(home))
	for k, v := range map[string]string{
		"GIT_AUTHOR_NAME": "Kay Cycle", "GIT_AUTHOR_EMAIL": "kay@example.org",
		"GIT_COMMITTER_NAME": "Kay Cycle", "GIT_COMMITTER_EMAIL": "kay@example.org",
		"GIT_AUTHOR_DATE": "2026-07-01T10:00:00Z", "GIT_COMMITTER_DATE": "2026-07-01T10:00:00Z",
	} {
		t.Setenv(k, v)
	}
}

// git runs git in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func newGitRepo(t *testing.T) string {
	t.Helper()
	gitEnv(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	return dir
}

func write(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f+" content\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGitCommitsOnlyTheGivenPaths(t *testing.T) {
	root := newGitRepo(t)
	write(t, root, ".sops.yaml", "sops/web1.yaml", "notes.txt", "staged.txt")
	git(t, root, "add", "staged.txt")
	ctx := context.Background()
	res, err := Commit(ctx, root, Git, "keycycle: host add web1", []string{"sops/web1.yaml", ".sops.yaml", filepath.Join(root, ".sops.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Committed || res.Kind != Git || res.ID != git(t, root, "rev-parse", "HEAD") {
		t.Errorf("result %+v", res)
	}
	if got := git(t, root, "log", "--format=%an <%ae> %s"); got != "Kay Cycle <kay@example.org> keycycle: host add web1" {
		t.Errorf("git log: %q", got)
	}
	if got := git(t, root, "show", "--name-only", "--format=", "HEAD"); got != ".sops.yaml\nsops/web1.yaml" {
		t.Errorf("files in the commit: %q", got)
	}
	if got := git(t, root, "status", "--porcelain"); got != "A  staged.txt\n?? notes.txt" {
		t.Errorf("other files were touched: %q", got)
	}
	want := []string{"git", "--literal-pathspecs", "commit", "--quiet", "-m", "keycycle: host add web1", "--", ".sops.yaml", "sops/web1.yaml"}
	if strings.Join(res.Command, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("command %q", res.Command)
	}

	// The same paths again: nothing to commit, not an error.
	res, err = Commit(ctx, root, Git, "again", []string{".sops.yaml", "sops/web1.yaml"})
	if err != nil || res.Committed {
		t.Errorf("second commit: %+v %v", res, err)
	}
	if n := git(t, root, "rev-list", "--count", "HEAD"); n != "1" {
		t.Errorf("%s commits, want 1", n)
	}
}

func TestGitCommitsDeletionsAndOddNames(t *testing.T) {
	root := newGitRepo(t)
	write(t, root, "sops/old.yaml", "-n.yaml", "sops/[x].yaml", "sops/x.yaml", "a b.yaml")
	ctx := context.Background()
	all := []string{"sops/old.yaml", "-n.yaml", "sops/[x].yaml", "a b.yaml"}
	if _, err := Commit(ctx, root, Git, "first", all); err != nil {
		t.Fatal(err)
	}
	if got := git(t, root, "show", "--name-only", "--format=", "HEAD"); got != "-n.yaml\na b.yaml\nsops/[x].yaml\nsops/old.yaml" {
		t.Errorf("a glob pathspec matched more than its file: %q", got)
	}
	if err := os.Remove(filepath.Join(root, "sops/old.yaml")); err != nil {
		t.Fatal(err)
	}
	res, err := Commit(ctx, root, Git, "keycycle: host remove old", []string{"sops/old.yaml", "sops/never-existed.yaml"})
	if err != nil || !res.Committed {
		t.Fatalf("commit of a deletion: %+v %v", res, err)
	}
	if got := git(t, root, "show", "--name-status", "--format=", "HEAD"); got != "D\tsops/old.yaml" {
		t.Errorf("commit: %q", got)
	}
}

func TestGitRootInASubfolder(t *testing.T) {
	top := newGitRepo(t)
	root := filepath.Join(top, "secrets")
	write(t, root, ".sops.yaml")
	res, err := Commit(context.Background(), root, Git, "sub", []string{".sops.yaml"})
	if err != nil || !res.Committed {
		t.Fatalf("%+v %v", res, err)
	}
	if got := git(t, top, "show", "--name-only", "--format=", "HEAD"); got != "secrets/.sops.yaml" {
		t.Errorf("commit: %q", got)
	}
}

func reason(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func TestGitNoIdentity(t *testing.T) {
	root := newGitRepo(t)
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	// Refuse identities guessed from the host name, as on a well-named host.
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "user.useConfigOnly")
	t.Setenv("GIT_CONFIG_VALUE_0", "true")
	write(t, root, ".sops.yaml")
	_, err := Commit(context.Background(), root, Git, "x", []string{".sops.yaml"})
	if reason(err) != NoIdentity {
		t.Fatalf("commit without an identity: %v", err)
	}
	var e *Error
	errors.As(err, &e)
	if !strings.Contains(e.Hint(), "git config --global user.email") {
		t.Errorf("hint %q", e.Hint())
	}
	if got := git(t, root, "status", "--porcelain"); got != "?? .sops.yaml" {
		t.Errorf("something was staged before failing: %q", got)
	}
}

func TestGitNotARepository(t *testing.T) {
	gitEnv(t)
	root := t.TempDir()
	write(t, root, ".sops.yaml")
	_, err := Commit(context.Background(), root, Git, "x", []string{".sops.yaml"})
	if reason(err) != NotRepository || !strings.Contains(err.Error(), "not in a git repository") {
		t.Errorf("commit outside a repository: %v", err)
	}
}

func TestGitNotInstalled(t *testing.T) {
	root := t.TempDir()
	t.Setenv("PATH", t.TempDir())
	_, err := Commit(context.Background(), root, Git, "x", []string{"a"})
	if reason(err) != NotInstalled || !strings.Contains(err.Error(), "git is not installed") {
		t.Errorf("commit without git: %v", err)
	}
}

func TestGitHookRefuses(t *testing.T) {
	root := newGitRepo(t)
	hook := filepath.Join(root, ".git", "hooks", "pre-commit")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'no secrets in plain text, please' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "a.yaml")
	_, err := Commit(context.Background(), root, Git, "x", []string{"a.yaml"})
	if reason(err) != Failed || !strings.Contains(err.Error(), "no secrets in plain text, please") {
		t.Errorf("commit refused by a hook: %v", err)
	}
}

func TestCommitArguments(t *testing.T) {
	gitEnv(t)
	root := t.TempDir()
	if _, err := Commit(context.Background(), root, Git, "x", []string{filepath.Join(filepath.Dir(root), "elsewhere")}); err == nil || !strings.Contains(err.Error(), "outside the repository") {
		t.Errorf("a path outside the repository: %v", err)
	}
	if _, err := Commit(context.Background(), root, Git, " ", nil); err == nil {
		t.Error("an empty message was accepted")
	}
	if _, err := Commit(context.Background(), root, None, "x", nil); reason(err) != BadMode {
		t.Errorf("commit with None: %v", err)
	}
}

func TestReady(t *testing.T) {
	root := newGitRepo(t)
	if err := Ready(context.Background(), root, Git); err != nil {
		t.Errorf("Ready in a git repository: %v", err)
	}
	if err := Ready(context.Background(), t.TempDir(), Git); reason(err) != NotRepository {
		t.Errorf("Ready outside a repository: %v", err)
	}
	if err := Ready(context.Background(), root, None); reason(err) != BadMode {
		t.Errorf("Ready with None: %v", err)
	}
	if got := git(t, root, "status", "--porcelain"); got != "" {
		t.Errorf("Ready changed something: %q", got)
	}
}
