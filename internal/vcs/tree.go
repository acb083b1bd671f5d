package vcs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// ReadTree returns the files below root (a folder inside a git work
// tree) as they are at revision rev, keyed by their path relative to
// root, slash-separated. keep chooses, by path, which files to read.
func ReadTree(ctx context.Context, root, rev string, keep func(rel string) bool) (map[string][]byte, error) {
	prefix, err := gitOut(ctx, root, "rev-parse", "--show-prefix")
	if err != nil {
		return nil, err
	}
	prefix = strings.TrimSpace(prefix)
	list, err := gitOut(ctx, root, "ls-tree", "-r", "-z", "--full-name", "--name-only", rev, "--", ".")
	if err != nil {
		return nil, err
	}
	var full []string
	for _, p := range strings.Split(list, "\x00") {
		if p == "" || !strings.HasPrefix(p, prefix) {
			continue
		}
		if keep == nil || keep(strings.TrimPrefix(p, prefix)) {
			full = append(full, p)
		}
	}
	return catFiles(ctx, root, rev, prefix, full)
}

// catFiles reads many blobs through one 'git cat-file --batch'.
func catFiles(ctx context.Context, root, rev, prefix string, paths []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(paths) == 0 {
		return out, nil
	}
	var in bytes.Buffer
	for _, p := range paths {
		fmt.Fprintf(&in, "%s:%s\n", rev, p)
	}
	cmd := exec.CommandContext(ctx, "git", "-C", root, "cat-file", "--batch")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, &Error{Reason: NotInstalled, Msg: fmt.Sprintf("cannot run git: %v", err)}
	}
	r := bufio.NewReader(stdout)
	for _, p := range paths {
		data, err := readBlob(r)
		if err != nil {
			_ = cmd.Wait()
			return nil, fmt.Errorf("git cat-file %s:%s: %w", rev, p, err)
		}
		if data != nil {
			out[strings.TrimPrefix(p, prefix)] = data
		}
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// readBlob reads one "<oid> <type> <size>\n<content>\n" answer; a
// missing object gives nil, nil.
func readBlob(r *bufio.Reader) ([]byte, error) {
	header, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(header)
	if len(fields) == 2 && fields[1] == "missing" {
		return nil, nil
	}
	if len(fields) != 3 {
		return nil, fmt.Errorf("unexpected answer %q", strings.TrimSpace(header))
	}
	size, err := strconv.Atoi(fields[2])
	if err != nil {
		return nil, err
	}
	data := make([]byte, size+1) // content and its trailing newline
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	if fields[1] != "blob" {
		return nil, nil
	}
	return data[:size], nil
}

func gitOut(ctx context.Context, root string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", root}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", &Error{Reason: Failed, Msg: "git " + strings.Join(args, " ") + ": " + msg}
	}
	return string(out), nil
}
