package deploy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/textutil"
)

// afterRequest is a change that creates the files of hosts a and b.
func afterRequest(t *testing.T) Change {
	t.Helper()
	root := t.TempDir()
	cfg := []byte(`keys:
  hosts:
    - &a age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq9d4k8x
    - &b age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq4wr6d
creation_rules:
  - path_regex: sops/a\.yaml$
    age: *a
  - path_regex: sops/b\.yaml$
    age: *b
`)
	p := filepath.Join(root, ".sops.yaml")
	if err := os.WriteFile(p, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return Change{ConfigPath: p, OldConfig: cfg, NewConfig: cfg, Create: []string{"sops/a.yaml", "sops/b.yaml"}}
}

// TestStepAfter: the deploy step names the hosts without a command and
// in a dry run, runs the command for each otherwise, and reports a host
// that failed as findings after the others ran.
func TestStepAfter(t *testing.T) {
	ctx := context.Background()
	req := afterRequest(t)
	var progress bytes.Buffer
	if o, err := (Step{Skip: true}).After(ctx, req, false, &progress); o != nil || err != nil {
		t.Errorf("--no-deploy: %+v, %v", o, err)
	}
	if _, err := (Step{MaxParallel: 0}).After(ctx, req, false, &progress); err == nil || textutil.HintOf(err) != "pass --max-parallel 1 or more" {
		t.Errorf("--max-parallel 0: %v", err)
	}
	o, err := (Step{MaxParallel: 2}).After(ctx, req, false, &progress)
	if err != nil || o == nil || o.Command != "" || !slices.Equal(o.Hosts, []string{"a", "b"}) || o.Results != nil {
		t.Errorf("without a deploy command: %+v, %v; want hosts a, b named", o, err)
	}
	cmd := "echo deploying {host} at {ssh}; test {host} != b"
	o, err = (Step{Command: cmd, MaxParallel: 2}).After(ctx, req, true, &progress)
	if err != nil || o == nil || !o.DryRun || o.Results != nil || progress.Len() != 0 {
		t.Errorf("dry run: %+v, %v, %q; want nothing run", o, err, progress.String())
	}
	o, err = (Step{Command: cmd, MaxParallel: 2}).After(ctx, req, false, &progress)
	if o == nil || len(o.Results) != 2 || !slices.Equal(o.Failed(), []string{"b"}) {
		t.Fatalf("deploy: %+v, %v; want a deployed and b failed", o, err)
	}
	if !textutil.IsFindings(err) || err.Error() != "the change is written, but deploying b failed" {
		t.Errorf("a failed deploy: %v; want findings naming b", err)
	}
	if !strings.Contains(progress.String(), "a: deploying a at a\n") {
		t.Errorf("progress %q lacks a's output", progress.String())
	}
}
