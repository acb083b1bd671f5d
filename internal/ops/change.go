package ops

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/lock"
	"github.com/keycycle/keycycle/internal/pipeline"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/textutil"
	"github.com/keycycle/keycycle/internal/vcs"
)

// Change is one change of the repository's files, as a command builds it.
type Change struct {
	// Subject is the commit's subject ("keycycle: host add NAME").
	Subject string
	// Diff is the unified diff of .sops.yaml shown with the plan; the
	// diff of keycycle.yaml, when the request rewrites it, is added.
	Diff    string
	Request change.Request
	// Before, when set, runs after the plan is shown and before anything
	// of the repository is written (not in a dry run): a key written
	// first, so the repository never names a key that is lost.
	Before func() error
}

// Change prepares c (everything verified in memory), shows the plan, and
// unless the session is a dry run runs c.Before and writes the plan
// through the pipeline: intent, files, audit entry, commit.
func (s *Session) Change(ctx context.Context, c Change) (*change.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plan, err := change.Prepare(c.Request)
	if err != nil {
		return nil, PlanError(err)
	}
	if s.Opts.Show != nil {
		diff := withPolicyDiff(c.Diff, c.Request)
		if err := s.Opts.Show(Shown{DryRun: s.Opts.DryRun, Diff: diff, Plan: plan, Request: &c.Request}); err != nil {
			return nil, err
		}
	}
	if s.Opts.DryRun {
		return plan, nil
	}
	if c.Before != nil {
		if err := c.Before(); err != nil {
			return nil, err
		}
	}
	entry, paths := plan.AuditEntry(c.Request.KeyNames(), c.Request.Audit)
	for _, f := range c.Request.Public {
		paths = append(paths, f.Rel)
	}
	return plan, s.Write(ctx, plan, entry, c.Subject, append([]string{".sops.yaml"}, paths...))
}

// withPolicyDiff adds to the .sops.yaml diff the diff of keycycle.yaml
// when the change rewrites it.
func withPolicyDiff(diff string, req change.Request) string {
	for _, f := range req.Public {
		if f.Rel != policy.ConfigFile {
			continue
		}
		old, err := os.ReadFile(filepath.Join(filepath.Dir(req.ConfigPath), f.Rel))
		if err == nil {
			diff += configedit.UnifiedDiff(f.Rel, old, f.Data)
		}
	}
	return diff
}

// UpdateHosts puts policy.UpdateHosts's keycycle.yaml, when it changes,
// into the change.
func UpdateHosts(req *change.Request, name string, add bool, e policy.HostEdit) error {
	out, err := policy.UpdateHosts(filepath.Dir(req.ConfigPath), name, add, e)
	if err != nil || out == nil {
		return err
	}
	req.Public = append(req.Public, change.PublicFile{Rel: policy.ConfigFile, Data: out})
	return nil
}

// RecordKeys puts the .keycycle/keys.yaml update, when the repository
// has that file, into the change: keys added and keys retired.
func RecordKeys(req *change.Request, add []policy.Key, retire []string) error {
	data, err := policy.RecordKeys(filepath.Dir(req.ConfigPath), add, retire, time.Now())
	if err != nil || data == nil {
		return err
	}
	req.Public = append(req.Public, change.PublicFile{Rel: policy.KeysFile, Data: data})
	return nil
}

// RecordReplaced records in .keycycle/keys.yaml, when the repository has
// one, that the key old was replaced by nk, and puts the update into the
// change.
func RecordReplaced(req *change.Request, old string, nk policy.Key) error {
	data, err := policy.RecordReplaced(filepath.Dir(req.ConfigPath), old, nk, time.Now())
	if err != nil || data == nil {
		return err
	}
	req.Public = append(req.Public, change.PublicFile{Rel: policy.KeysFile, Data: data})
	return nil
}

// PlanError gives a change that cannot be planned its hint; nothing was
// written.
func PlanError(err error) error {
	var ce *change.ConfigError
	var ue *change.UncoveredError
	switch {
	case errors.As(err, &ce):
		return textutil.Hintf("fix the regular expression (Go RE2 syntax), then run the command again; 'keycycle check' lists every problem", "%v", err)
	case errors.As(err, &ue):
		return textutil.Hintf("delete those files, or move each under a creation rule outside dot-folders and give it a new data key ('sops rotate -i FILE'), then run the command again", "%v", err)
	}
	var fe *change.Error
	if errors.As(err, &fe) && fe.Unreadable() {
		return textutil.Findingsf("encrypt or restore each file named (its message says how), or leave it out with --exclude FILE; nothing was written", "%s", err.Error())
	}
	return textutil.Findingsf("set SOPS_AGE_KEY_FILE to a key that opens those files; nothing was written", "%s", err.Error())
}

// PipelineError gives each pipeline failure its hint.
func PipelineError(err error) error {
	var held *lock.HeldError
	var ve *vcs.Error
	var le *pipeline.LogError
	var fe *pipeline.FinishError
	var ie *pipeline.IntentError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &held):
		return textutil.Hintf(held.Hint(), "%s", held.Error())
	case errors.As(err, &ve):
		return textutil.Hintf(ve.Hint(), "%s", ve.Error())
	case errors.As(err, &le):
		return textutil.Hintf("run 'keycycle audit verify' to see what is wrong with the log, and repair its last line", "%v", err)
	case errors.As(err, &fe):
		return textutil.Hintf("set SOPS_AGE_KEY_FILE to a key that opens those files and run the command again; 'keycycle check' shows the repository's state", "%v", err)
	case errors.As(err, &ie):
		return textutil.Hintf("move it aside and run 'keycycle check', then 'keycycle rekey' to bring every file back in line", "%v", err)
	case errors.Is(err, pipeline.ErrDryRun):
		return err
	}
	return textutil.WithHint(err, "check that the repository folder is writable")
}
