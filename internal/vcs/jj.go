package vcs

import (
	"context"
	"fmt"
	"strings"
)

// jjFileset turns a path relative to the working folder into a jj fileset
// that matches exactly that file: file:"path", with the characters a jj
// string literal needs escaped. A bare path would be a prefix pattern and
// could be read as an expression (a name with parentheses, spaces, ~, |).
func jjFileset(path string) string {
	var b strings.Builder
	b.WriteString(`file:"`)
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// jjArgs builds a jj command line: the global flags every one starts with
// (no pager, no colour, so that the output can be read), the subcommand,
// then the paths as filesets.
func jjArgs(sub []string, paths []string) []string {
	args := append([]string{"--no-pager", "--color=never"}, sub...)
	if len(paths) > 0 {
		args = append(args, "--")
		for _, p := range paths {
			args = append(args, jjFileset(p))
		}
	}
	return args
}

// jjDiffArgs lists what the working-copy commit changes in paths.
func jjDiffArgs(paths []string) []string {
	return jjArgs([]string{"diff", "--summary"}, paths)
}

// jjCommitArgs moves exactly paths out of the working-copy commit into a
// new commit with message ('jj commit' with filesets); the rest of the
// working copy stays in the new working-copy commit on top.
func jjCommitArgs(message string, paths []string) []string {
	return jjArgs([]string{"commit", "--message=" + message}, paths)
}

// jjCommitIDArgs prints the ID of the commit 'jj commit' just made: the
// parent of the new working-copy commit.
func jjCommitIDArgs() []string {
	return jjArgs([]string{"log", "--no-graph", "-r", "@-", "-T", `commit_id ++ "\n"`}, nil)
}

func jjIdentityArgs() []string {
	return jjArgs([]string{"config", "get", "user.email"}, nil)
}

// readyJJ checks that jj is installed, root is in a jj repository and jj
// knows who commits.
func readyJJ(ctx context.Context, root string) (runner, error) {
	j, err := newRunner("jj", root)
	if err != nil {
		return j, err
	}
	if _, err := j.run(ctx, jjArgs([]string{"root"}, nil)...); err != nil {
		if exitCode(err) < 0 {
			return j, failed("cannot run jj", err)
		}
		return j, &Error{Reason: NotRepository, Msg: "cannot commit: " + root + " is not in a jj repository (" + err.Error() + ")",
			Advice: "run 'jj git init' there, or leave out --commit and commit by hand"}
	}
	if out, err := j.run(ctx, jjIdentityArgs()...); err != nil || strings.TrimSpace(out) == "" {
		return j, &Error{Reason: NoIdentity,
			Msg:    "cannot commit: jj does not know who you are (user.email is not set)",
			Advice: `jj config set --user user.email "you@example.com" && jj config set --user user.name "Your Name", then run again`}
	}
	return j, nil
}

func commitJJ(ctx context.Context, root, message string, paths []string) (Result, error) {
	res := Result{Kind: JJ}
	j, err := readyJJ(ctx, root)
	if err != nil {
		return res, err
	}
	if len(paths) == 0 {
		return res, nil
	}
	out, err := j.run(ctx, jjDiffArgs(paths)...)
	if err != nil {
		return res, failed("cannot list the changes", err)
	}
	if strings.TrimSpace(out) == "" {
		return res, nil // nothing to commit
	}
	args := jjCommitArgs(message, paths)
	res.Command = append([]string{"jj"}, args...)
	if _, err := j.run(ctx, args...); err != nil {
		return res, failed("jj commit failed", err)
	}
	id, err := j.run(ctx, jjCommitIDArgs()...)
	if err != nil {
		return res, failed("committed, but cannot read the new commit", err)
	}
	res.Committed, res.ID = true, strings.TrimSpace(id)
	return res, nil
}
