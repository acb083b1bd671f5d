package cli

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/vcs"
)

// keyHistory finds when each recipient first entered .sops.yaml.
type keyHistory struct {
	root string
	kind vcs.Kind
}

func newKeyHistory(root string) keyHistory {
	k := vcs.Detect(root)
	if k == vcs.JJ && exists(root+"/.git") {
		k = vcs.Git // colocated: git sees the same history, and has -S
	}
	return keyHistory{root: root, kind: k}
}

// created returns the author date of the oldest commit that added
// recipient to .sops.yaml, nil when there is no history of it.
func (h keyHistory) created(ctx context.Context, recipient string) *time.Time {
	switch h.kind {
	case vcs.Git:
		out := h.run(ctx, "git", "log", "--reverse", "-S", recipient, "--format=%H %aI", "--", ".sops.yaml")
		return firstDate(out)
	case vcs.JJ:
		return h.jjCreated(ctx, recipient)
	}
	return nil
}

// jjCreated walks the revisions that touched .sops.yaml, oldest first,
// and returns the first whose .sops.yaml holds recipient (jj has no -S).
func (h keyHistory) jjCreated(ctx context.Context, recipient string) *time.Time {
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

func (h keyHistory) run(ctx context.Context, bin string, args ...string) string {
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
