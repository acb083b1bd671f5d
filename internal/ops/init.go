package ops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
	"github.com/keycycle/keycycle/internal/vcs"
)

// Adopted is what Init did (or, in a dry run, would do).
type Adopted struct {
	// Keys are the keys recorded in .keycycle/keys.yaml.
	Keys *policy.Keys
	// KeysState and ConfigState say what became of .keycycle/keys.yaml
	// and keycycle.yaml: "written", "merged", "kept (it exists)"…
	// prefixed by "would be " in a dry run.
	KeysState, ConfigState string
	// Grace is how the adopted keys past the policy's maximum age are
	// handled; its Overdue is 0 when none is.
	Grace Grace
}

// Grace is how init handles the adopted keys already past the policy's
// maximum age.
type Grace struct {
	// Overdue is how many keys are past the maximum age.
	Overdue int
	// Until is the end of the grace: the policy.enforce_from a new
	// skeleton gets (GraceNew) or should get (GraceSuggested), or the one
	// keycycle.yaml has (GraceSet).
	Until time.Time
	Kind  GraceKind
}

// GraceKind says where a Grace comes from.
type GraceKind int

// The kinds of grace.
const (
	// GraceSet: keycycle.yaml already has policy.enforce_from.
	GraceSet GraceKind = iota
	// GraceNew: the new keycycle.yaml skeleton gets policy.enforce_from.
	GraceNew
	// GraceSuggested: the existing keycycle.yaml has none; init does not
	// touch it and suggests one.
	GraceSuggested
)

// Init adopts an existing secrets repository: every key of .sops.yaml
// recorded in .keycycle/keys.yaml (kind, owner, creation date from the
// VCS history) and a keycycle.yaml skeleton when there is none, through
// the pipeline like every change. force merges into a keys.yaml that
// differs.
func Init(ctx context.Context, o Options, force bool) (a *Adopted, err error) {
	s, err := Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	cfg, err := sopsconfig.Load(s.ConfigPath)
	if err != nil {
		return nil, textutil.Hintf("run 'keycycle check' and fix .sops.yaml first", "cannot read .sops.yaml: %v", err)
	}
	r, err := LoadRepo(ctx, s.Root, o.Exclude)
	if err != nil {
		return nil, err
	}
	hostFiles := map[string]bool{}
	for _, e := range r.Entries {
		base := filepath.Base(e.Rel)
		hostFiles[strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))] = true
	}
	hist := vcs.NewKeyHistory(s.Root)
	keys := policy.AdoptKeys(cfg, hostFiles, func(r string) *time.Time { return hist.Created(ctx, r) })
	keysData, keysState, err := policy.MergeKeys(filepath.Join(s.Root, filepath.FromSlash(policy.KeysFile)), keys, force)
	if err != nil {
		return nil, err
	}
	a = &Adopted{Keys: keys, KeysState: keysState, ConfigState: "kept (it exists)"}
	cfgFile := filepath.Join(s.Root, policy.ConfigFile)
	var skeleton []byte
	if _, err := os.Stat(cfgFile); errors.Is(err, fs.ErrNotExist) {
		skeleton, a.ConfigState = policy.Skeleton(keys, ""), "written"
	}
	if a.Grace, err = grace(cfgFile, skeleton, keys, time.Now().UTC()); err != nil {
		return nil, err
	}
	if a.Grace.Overdue > 0 && a.Grace.Kind == GraceNew {
		skeleton = policy.Skeleton(keys, policy.GraceLines(a.Grace.Until, a.Grace.Overdue))
	}
	if o.DryRun {
		a.KeysState, a.ConfigState = "would be "+a.KeysState, "would be "+a.ConfigState
		return a, nil
	}
	// No secrets file changes: a plan of public files only.
	req := change.Request{ConfigPath: s.ConfigPath, Only: []string{}}
	if keysState == "written" || keysState == "merged" {
		req.Public = append(req.Public, change.PublicFile{Rel: policy.KeysFile, Data: keysData})
	}
	if skeleton != nil {
		req.Public = append(req.Public, change.PublicFile{Rel: policy.ConfigFile, Data: skeleton})
	}
	if len(req.Public) == 0 {
		return a, nil
	}
	plan, err := change.Prepare(req)
	if err != nil {
		return nil, PlanError(err)
	}
	var written []string
	for _, f := range req.Public {
		written = append(written, f.Rel)
	}
	return a, s.Write(ctx, plan, audit.Entry{Files: written, Note: fmt.Sprintf("init: adopted %d keys", len(keys.Keys))},
		"keycycle init: adopt the repository", written)
}

// grace counts the adopted keys past the policy (the skeleton's, or the
// keycycle.yaml there is) and says how init handles them: a new skeleton
// gets policy.enforce_from policy.GraceDays ahead; an existing
// keycycle.yaml is not touched.
func grace(cfgFile string, skeleton []byte, keys *policy.Keys, now time.Time) (Grace, error) {
	data := skeleton
	if data == nil {
		var err error
		if data, err = os.ReadFile(cfgFile); err != nil {
			return Grace{}, err
		}
	}
	cfg, err := policy.ParseConfig(policy.ConfigFile, data)
	if err != nil {
		return Grace{}, nil // an existing keycycle.yaml with errors: 'check' says so
	}
	g := Grace{Overdue: len((&policy.Policy{Config: cfg, Keys: keys}).Overdue(now)), Until: now.AddDate(0, 0, policy.GraceDays)}
	switch {
	case cfg.Policy.EnforceFrom != nil:
		g.Kind, g.Until = GraceSet, *cfg.Policy.EnforceFrom
	case skeleton == nil:
		g.Kind = GraceSuggested
	default:
		g.Kind = GraceNew
	}
	return g, nil
}
