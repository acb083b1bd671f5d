package ops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/textutil"
)

// RekeyRequest is a rekey: every secrets file (or Files) made to carry
// exactly the recipients its creation rule wants.
type RekeyRequest struct {
	// Files are the files named on the command line (as typed, relative
	// to the working directory); none means every secrets file.
	Files []string
	// RotateDataKey gives every file a new data key; KeepDataKey keeps
	// it even when a recipient leaves (as sops updatekeys does).
	RotateDataKey, KeepDataKey bool
	// Jobs is how many files are rekeyed at once (at least 1).
	Jobs int
	// Progress, when set, is called once per file planned.
	Progress func()
}

// Rekeyed is what a rekey did to each file it checked.
type Rekeyed struct {
	// Files are in path order; recipients are named by their anchors.
	Files []FileOutcome
	// NoIdentity is true when no age identity was found to open files.
	NoIdentity bool
}

// FileOutcome is what happened to one file (keycycle.rekey/v1's files[]).
type FileOutcome struct {
	File string `json:"file"`
	// Status is unchanged, rekeyed, would-rekey or failed.
	Status        string   `json:"status"`
	Added         []string `json:"added,omitempty"`
	Removed       []string `json:"removed,omitempty"`
	DataKeyRotate bool     `json:"data_key_rotated,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// Failed counts the files that failed.
func (r *Rekeyed) Failed() int {
	n := 0
	for _, o := range r.Files {
		if o.Status == "failed" || o.Status == "skipped" {
			n++
		}
	}
	return n
}

// Rekey plans every file (a file that fails does not stop the others),
// and unless a dry run writes the ones that change through the pipeline.
func Rekey(ctx context.Context, o Options, r RekeyRequest) (res *Rekeyed, err error) {
	if r.RotateDataKey && r.KeepDataKey {
		return nil, textutil.Hintf("choose one of them", "--rotate-data-key and --keep-data-key contradict each other")
	}
	s, err := Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	only, err := rekeyTargets(s.Root, r.Files)
	if err != nil {
		return nil, err
	}
	cfgData, err := os.ReadFile(s.ConfigPath)
	if err != nil {
		return nil, textutil.Hintf("check the file's permissions", "cannot read %s: %v", s.ConfigPath, err)
	}
	ids := s.Identities()
	req := change.Request{ConfigPath: s.ConfigPath, OldConfig: cfgData, Identities: ids, Exclude: o.Exclude,
		Only: only, RotateDataKey: r.RotateDataKey, KeepDataKey: r.KeepDataKey, KeepGoing: true,
		Jobs: max(r.Jobs, 1), Progress: r.Progress}
	plan, err := change.Prepare(req)
	if err != nil {
		return nil, PlanError(err)
	}
	names := req.KeyNames()
	res = &Rekeyed{Files: outcomes(plan, only, o.DryRun), NoIdentity: len(ids) == 0}
	for i := range res.Files {
		res.Files[i].Added = label(names, res.Files[i].Added)
		res.Files[i].Removed = label(names, res.Files[i].Removed)
	}
	if !o.DryRun && len(plan.Files) > 0 {
		entry, paths := plan.AuditEntry(names, req.Audit)
		if err := s.Write(ctx, plan, entry, fmt.Sprintf("keycycle: rekey %d file(s)", len(paths)), paths); err != nil {
			return nil, err
		}
	}
	return res, ctx.Err()
}

// outcomes lists every file the plan checked, and every file named, in
// path order.
func outcomes(plan *change.Plan, named []string, dryRun bool) []FileOutcome {
	byRel := map[string]FileOutcome{}
	for _, rel := range named {
		byRel[rel] = FileOutcome{File: rel, Status: "failed",
			Error: "not a secrets file keycycle rekeys: no creation rule with a path_regex names it, it carries no sops metadata, or --exclude leaves it out"}
	}
	for _, rel := range plan.Checked {
		byRel[rel] = FileOutcome{File: rel, Status: "unchanged"}
	}
	for _, f := range plan.Files {
		o := FileOutcome{File: f.Rel, Status: "rekeyed", Added: f.Added, Removed: f.Removed, DataKeyRotate: f.DataKeyRotated}
		if dryRun {
			o.Status = "would-rekey"
		}
		byRel[f.Rel] = o
	}
	for _, f := range plan.Failed {
		byRel[f.Rel] = FileOutcome{File: f.Rel, Status: "failed", Error: f.Err.Error()}
	}
	out := make([]FileOutcome, 0, len(byRel))
	for _, o := range byRel {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// rekeyTargets returns the named files relative to the repository root,
// or nil (every secrets file) when none is named.
func rekeyTargets(root string, args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := []string{}
	for _, a := range args {
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, textutil.Hintf("name an existing secrets file, or run 'keycycle rekey' for all", "cannot read %s: %v", a, errors.Unwrap(err))
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil || !filepath.IsLocal(rel) {
			return nil, textutil.Hintf("run keycycle from the repository of that file, or pass --repo", "%s is outside the repository %s", a, root)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}
