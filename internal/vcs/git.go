package vcs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// The git command lines, as pure functions of their inputs. Every one
// takes literal pathspecs after "--", so that a file named like an
// option or holding glob characters means itself.

func gitTrackedArgs(paths []string) []string {
	return append([]string{"--literal-pathspecs", "ls-files", "-z", "--"}, paths...)
}

func gitAddArgs(paths []string) []string {
	return append([]string{"--literal-pathspecs", "add", "--"}, paths...)
}

func gitStagedArgs(paths []string) []string {
	return append([]string{"--literal-pathspecs", "diff", "--cached", "--quiet", "--"}, paths...)
}

// gitCommitArgs commits exactly paths (git commit --only, the default
// with paths), whatever else is staged.
func gitCommitArgs(message string, paths []string) []string {
	return append([]string{"--literal-pathspecs", "commit", "--quiet", "-m", message, "--"}, paths...)
}

// readyGit checks that git is installed, root is in a git repository and
// git knows who commits.
func readyGit(ctx context.Context, root string) (runner, error) {
	g, err := newRunner("git", root)
	if err != nil {
		return g, err
	}
	if _, err := g.run(ctx, "rev-parse", "--show-toplevel"); err != nil {
		if exitCode(err) < 0 {
			return g, failed("cannot run git", err)
		}
		return g, &Error{Reason: NotRepository, Msg: "cannot commit: " + root + " is not in a git repository (" + err.Error() + ")",
			Advice: "run 'git init' there, or leave out --commit and commit by hand"}
	}
	return g, gitIdentity(ctx, g)
}

func commitGit(ctx context.Context, root, message string, paths []string) (Result, error) {
	res := Result{Kind: Git}
	g, err := readyGit(ctx, root)
	if err != nil {
		return res, err
	}
	present, err := gitPresent(ctx, g, root, paths)
	if err != nil || len(present) == 0 {
		return res, err
	}
	if _, err := g.run(ctx, gitAddArgs(present)...); err != nil {
		return res, failed("cannot stage the changes", err)
	}
	if _, err := g.run(ctx, gitStagedArgs(present)...); err == nil {
		return res, nil // nothing to commit
	} else if exitCode(err) != 1 {
		return res, failed("cannot compare with the last commit", err)
	}
	args := gitCommitArgs(message, present)
	res.Command = append([]string{"git"}, args...)
	if _, err := g.run(ctx, args...); err != nil {
		return res, failed("git commit failed (the changes are staged)", err)
	}
	id, err := g.run(ctx, "rev-parse", "HEAD")
	if err != nil {
		return res, failed("committed, but cannot read the new commit", err)
	}
	res.Committed, res.ID = true, strings.TrimSpace(id)
	return res, nil
}

// gitIdentity fails with NoIdentity when git has no author or committer
// it would accept (user.name and user.email unset, nothing in the
// environment), before anything is staged.
func gitIdentity(ctx context.Context, g runner) error {
	for _, v := range []string{"GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"} {
		if _, err := g.run(ctx, "var", v); err != nil {
			if exitCode(err) < 0 {
				return failed("cannot run git", err)
			}
			return &Error{Reason: NoIdentity,
				Msg:    "cannot commit: git does not know who you are (user.name and user.email are not set)",
				Advice: `git config --global user.email "you@example.com" && git config --global user.name "Your Name" (leave out --global for this repository only), then run again`}
		}
	}
	return nil
}

// gitPresent keeps the paths git can record: those on disk, and those
// deleted from disk that git still tracks (their deletion is committed).
func gitPresent(ctx context.Context, g runner, root string, paths []string) ([]string, error) {
	var present, gone []string
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
			present = append(present, p)
		} else if errors.Is(err, os.ErrNotExist) {
			gone = append(gone, p)
		} else {
			return nil, err
		}
	}
	if len(gone) == 0 {
		return present, nil
	}
	out, err := g.run(ctx, gitTrackedArgs(gone)...)
	if err != nil {
		return nil, failed("cannot list tracked files", err)
	}
	for _, p := range strings.Split(out, "\x00") {
		if p != "" {
			present = append(present, p)
		}
	}
	return present, nil
}
