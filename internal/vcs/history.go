package vcs

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// KeyHistory finds when each recipient first entered .sops.yaml.
type KeyHistory struct {
	root string
	kind Kind
}

// NewKeyHistory reads the history of the repository at root, with git
// where it can (a colocated jj repository too: git has -S), else jj.
func NewKeyHistory(root string) KeyHistory {
	k := Detect(root)
	if _, err := os.Stat(filepath.Join(root, ".git")); k == JJ && err == nil {
		k = Git // colocated: git sees the same history, and has -S
	}
	return KeyHistory{root: root, kind: k}
}

// Created returns the author date of the oldest commit that added
// recipient to .sops.yaml, nil when there is no history of it.
func (h KeyHistory) Created(ctx context.Context, recipient string) *time.Time {
	switch h.kind {
	case Git:
		out := h.run(ctx, "git", "log", "--reverse", "-S", recipient, "--format=%H %aI", "--", ".sops.yaml")
		return firstDate(out)
	case JJ:
		return h.jjCreated(ctx, recipient)
	}
	return nil
}

// jjCreated walks the revisions that touched .sops.yaml, oldest first,
// and returns the first whose .sops.yaml holds recipient (jj has no -S).
func (h KeyHistory) jjCreated(ctx context.Context, recipient string) *time.Time {
	out := h.run(ctx, "jj", "log", "--no-graph", "--reversed", "-r", `files(".sops.yaml")`,
		"-T", `commit_id ++ " " ++ author.timestamp().format("%Y-%m-%dT%H:%M:%S%:z") ++ "\n"`)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if strings.Contains(h.run(ctx, "jj", "file", "show", "-r", f[0], ".sops.yaml"), recipient) {
			return firstDate(line)
		}
	}
	return nil
}

func (h KeyHistory) run(ctx context.Context, bin string, args ...string) string {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = h.root
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return ""
	}
	return out.String()
}

// firstDate reads "HASH DATE" from the first line.
func firstDate(out string) *time.Time {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	f := strings.Fields(line)
	if len(f) != 2 {
		return nil
	}
	t, err := time.Parse(time.RFC3339, f[1])
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}
