// Package vcs commits keycycle's changes with the version control system
// the secrets repository uses: git, or jj (Jujutsu) where the repository
// has a .jj folder. It runs the real git and jj binaries, so the user's
// configuration (identity, hooks, signing) applies, and it only ever
// commits the paths it is given, never everything that is staged or
// changed.
package vcs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Kind is a version control system.
type Kind string

// The kinds Detect and Resolve return.
const (
	None Kind = "none"
	Git  Kind = "git"
	JJ   Kind = "jj"
)

// Reason classifies an Error, for callers that react to one case.
type Reason string

// The reasons an Error can have.
const (
	// NotInstalled: the git or jj binary is not on $PATH.
	NotInstalled Reason = "not-installed"
	// NotRepository: the folder is not in a repository of that kind.
	NotRepository Reason = "not-a-repository"
	// NoIdentity: no user name or email is configured for commits.
	NoIdentity Reason = "no-identity"
	// BadMode: a vcs mode other than git, jj, auto or none.
	BadMode Reason = "bad-mode"
	// Failed: the command ran and failed (a hook, a conflict, a lock).
	Failed Reason = "failed"
)

// Error is a failure to commit, with advice for the user. The changed
// files are on disk either way: only the commit is missing.
type Error struct {
	Reason Reason
	Msg    string
	Advice string
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Hint returns what the user can do about it.
func (e *Error) Hint() string { return e.Advice }

// Result is what Commit did.
type Result struct {
	// Kind is the system committed with.
	Kind Kind
	// Committed is false when the paths had no change: nothing to commit,
	// which is not an error.
	Committed bool
	// ID is the new commit's hash (git) or commit ID (jj) when Committed.
	ID string
	// Command is the commit command line that ran, for messages.
	Command []string
}

// Detect returns the kind of repository root is in: the nearest folder at
// or above root holding .jj (JJ) or .git (Git, a folder or, in worktrees
// and submodules, a file). Where both are in the same folder, a colocated
// repository, JJ wins: jj owns the working copy there. None when neither
// is found. Detect runs no command.
func Detect(root string) Kind {
	dir, err := filepath.Abs(root)
	if err != nil {
		return None
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, ".jj")); err == nil && st.IsDir() {
			return JJ
		}
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return Git
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return None
		}
		dir = parent
	}
}

// Resolve turns a vcs mode — "git", "jj", "auto" or "" (detect), "none" —
// as written in keycycle.yaml (vcs:) or implied by --commit, into the kind
// to commit with at root. None only for "none". A named kind must be one
// that root is in (git works in a colocated jj repository too); auto fails
// when root is in neither.
func Resolve(root, mode string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(mode)) {
	case "none":
		return None, nil
	case "", "auto":
		if k := Detect(root); k != None {
			return k, nil
		}
		return None, notRepo(root, "a git or jj repository")
	case "git":
		if has(root, ".git") {
			return Git, nil
		}
		return None, notRepo(root, "a git repository")
	case "jj":
		if has(root, ".jj") {
			return JJ, nil
		}
		return None, notRepo(root, "a jj repository")
	}
	return None, &Error{Reason: BadMode, Msg: fmt.Sprintf("unknown vcs mode %q", mode),
		Advice: "use one of: git, jj, auto, none"}
}

func notRepo(root, what string) error {
	return &Error{Reason: NotRepository, Msg: fmt.Sprintf("%s is not in %s", root, what),
		Advice: "run 'git init' (or 'jj git init') there, or leave out --commit and commit by hand"}
}

// has reports whether name exists in root or a folder above it.
func has(root, name string) bool {
	dir, err := filepath.Abs(root)
	if err != nil {
		return false
	}
	for {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}

// Ready checks, without changing anything, that a commit with kind can
// be made at root: the binary is installed, root is in a repository of
// that kind, and a user name and email are configured. Commands call it
// before they write, so that a commit that cannot happen fails the
// command while nothing is changed yet.
func Ready(ctx context.Context, root string, kind Kind) error {
	var err error
	switch kind {
	case Git:
		_, err = readyGit(ctx, root)
	case JJ:
		_, err = readyJJ(ctx, root)
	default:
		err = &Error{Reason: BadMode, Msg: fmt.Sprintf("cannot commit with vcs %q", kind), Advice: "use git or jj"}
	}
	return err
}

// Commit records the given paths (relative to root, or absolute inside
// it; files deleted since the last commit included) as one commit with
// message, using kind. Only those paths go in: other staged or changed
// files stay as they are. When none of them changed, it commits nothing
// and returns Committed false.
func Commit(ctx context.Context, root string, kind Kind, message string, paths []string) (Result, error) {
	rel, err := RelPaths(root, paths)
	if err != nil {
		return Result{Kind: kind}, err
	}
	if strings.TrimSpace(message) == "" {
		return Result{Kind: kind}, &Error{Reason: Failed, Msg: "a commit needs a message"}
	}
	switch kind {
	case Git:
		return commitGit(ctx, root, message, rel)
	case JJ:
		return commitJJ(ctx, root, message, rel)
	}
	return Result{Kind: kind}, &Error{Reason: BadMode, Msg: fmt.Sprintf("cannot commit with vcs %q", kind),
		Advice: "use git or jj"}
}

// RelPaths makes paths, given relative to root or absolute inside it,
// relative to root with forward slashes, cleaned, sorted and without
// duplicates. A path outside root is an error.
func RelPaths(root string, paths []string) ([]string, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		rel := filepath.Clean(p)
		if filepath.IsAbs(p) {
			if rel, err = filepath.Rel(absRoot, p); err != nil {
				rel = ".."
			}
		}
		if rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, &Error{Reason: Failed, Msg: fmt.Sprintf("%s is outside the repository %s", p, root)}
		}
		if rel = filepath.ToSlash(rel); !seen[rel] {
			seen[rel] = true
			out = append(out, rel)
		}
	}
	sort.Strings(out)
	return out, nil
}
