package rotation

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/keycycle/keycycle/internal/parallel"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// DueKey is one key past its policy age and what became of it; its JSON
// form is an element of the keycycle.rotate-due/v1 "keys" list.
type DueKey struct {
	Key       string           `json:"key"`
	Kind      policy.Kind      `json:"kind"`
	Host      string           `json:"host,omitempty"`
	Recipient string           `json:"recipient"`
	Created   *time.Time       `json:"created,omitempty"`
	Due       *time.Time       `json:"due,omitempty"`
	Age       policy.AgeStatus `json:"age"`
	// Result is done, waiting, failed, skipped, or planned (dry run).
	Result   string `json:"result"`
	Rotation string `json:"rotation,omitempty"`
	State    State  `json:"state,omitempty"`
	New      string `json:"new_recipient,omitempty"`
	Note     string `json:"note,omitempty"`

	// Journal is the rotation to run, nil when there is none.
	Journal *Journal `json:"-"`
	// Fresh is a rotation planned by this run, to save when it starts.
	Fresh bool `json:"-"`
}

// The results of a due key.
const (
	DueDone    = "done"
	DueWaiting = "waiting"
	DueFailed  = "failed"
	DueSkipped = "skipped"
	DuePlanned = "planned"
)

// DueKeys returns the keys in use that are overdue (and, with soon, due
// soon), most overdue first.
func DueKeys(cfgPath string, now time.Time, soon bool) ([]*DueKey, error) {
	pol, err := policy.Load(filepath.Dir(cfgPath))
	switch {
	case err != nil:
		return nil, err
	case pol.ConfigErr != nil:
		return nil, textutil.Hintf("'keycycle check' shows what is wrong with keycycle.yaml", "%v", pol.ConfigErr)
	case pol.KeysErr != nil:
		return nil, textutil.Hintf("'keycycle check' shows what is wrong with "+policy.KeysFile, "%v", pol.KeysErr)
	case pol.Config == nil || len(pol.Config.Policy.MaxAge) == 0 && len(pol.Config.Policy.RoleMaxAge) == 0:
		return nil, textutil.Hintf("set policy: max_age: in keycycle.yaml (docs/policy.md), e.g. 'host: 180d'",
			"no maximum key age is set: no key is ever due")
	case pol.Keys == nil:
		return nil, textutil.Hintf("run 'keycycle init': it records each key's creation date from the repository's history",
			"there is no %s: no key's age is known", policy.KeysFile)
	}
	cfg, err := sopsconfig.Load(cfgPath)
	if err != nil {
		return nil, textutil.WithHint(err, "run 'keycycle check' to see what is wrong with .sops.yaml")
	}
	seen := map[string]bool{}
	var out []*DueKey
	for _, a := range cfg.Anchors {
		k := pol.Keys.ByRecipient(a.Value)
		if seen[a.Value] || k == nil {
			continue
		}
		seen[a.Value] = true
		st, due := pol.KeyAge(k, now)
		if st == policy.AgeOverdue || soon && st == policy.AgeDueSoon {
			out = append(out, &DueKey{Key: a.Name, Kind: k.Kind, Host: k.Owner, Recipient: a.Value,
				Created: k.Created, Due: due, Age: st})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Due.Before(*out[j].Due) })
	return out, nil
}

// Prepare finds k's open rotation in store or plans a new one from base
// (the operator's flags; Key is k's), or records why k is skipped. A
// dry run plans without keeping the journal.
func (k *DueKey) Prepare(store Store, cfgPath string, base Start, dryRun bool) {
	open, err := store.OpenFor(k.Key)
	if err != nil {
		k.Result, k.Note = DueFailed, err.Error()
		return
	}
	if open != nil {
		k.Rotation, k.State, k.Host, k.New = open.ID, open.State, open.Host, open.New
		if open.DeployAsked && open.Deploy == "" {
			k.Result, k.Note = DueWaiting, "waiting for you to deploy, then 'keycycle rotate resume "+open.ID+"'"
			return
		}
		k.Result, k.Note, k.Journal = DuePlanned, "resuming the open rotation", open
		return
	}
	base.Key = k.Key
	st, err := Resolve(cfgPath, base)
	if err != nil {
		k.Result, k.Note = DueSkipped, err.Error()
		return
	}
	k.Kind, k.Host = policy.Kind(st.Kind), st.Host
	j, err := Plan(cfgPath, st)
	if err != nil {
		k.Result, k.Note = DueSkipped, "cannot rotate: "+err.Error()
		return
	}
	k.Rotation, k.State, k.Result = j.ID, j.State, DuePlanned
	if dryRun {
		k.Note = fmt.Sprintf("would rotate on %s (%s), %d file(s)", j.Host, j.Target(), len(j.Files))
		return
	}
	k.Journal, k.Fresh = j, true
}

// PlanDue returns the keys due at now (DueKeys), each prepared from base
// (Prepare): its open rotation found, a new one planned, or why it is
// skipped. A dry run keeps no journal.
func PlanDue(cfgPath string, now time.Time, soon bool, base Start, dryRun bool) ([]*DueKey, error) {
	keys, err := DueKeys(cfgPath, now, soon)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		k.Prepare(Store{Root: filepath.Dir(cfgPath)}, cfgPath, base, dryRun)
	}
	return keys, nil
}

// RunDue saves the rotations PlanDue planned and runs them with their
// open ones, at most n hosts at once; the rotations of one host (its own
// key, the user keys it keeps) run one after the other, so that two
// deployments never race on one machine. A failure stops only its own
// rotation.
func RunDue(ctx context.Context, r *Runner, keys []*DueKey, n int) {
	var hosts []string
	byHost := map[string][]*DueKey{}
	for _, k := range keys {
		if k.Fresh {
			k.Fresh = false
			if err := r.Save(k.Journal, "planned by rotate due"); err != nil {
				k.Result, k.Note, k.Journal = DueFailed, err.Error(), nil
			}
		}
		if k.Journal == nil {
			continue
		}
		if _, ok := byHost[k.Journal.Host]; !ok {
			hosts = append(hosts, k.Journal.Host)
		}
		byHost[k.Journal.Host] = append(byHost[k.Journal.Host], k)
	}
	parallel.Each(len(hosts), n, func(i int) {
		for _, k := range byHost[hosts[i]] {
			runDueKey(ctx, r, k)
		}
	})
}

// runDueKey runs one rotation and records its outcome in k.
func runDueKey(ctx context.Context, r *Runner, k *DueKey) {
	err := r.Run(ctx, k.Journal)
	k.State, k.New, k.Note = k.Journal.State, k.Journal.New, ""
	switch {
	case err == nil:
		k.Result = DueDone
	case errors.Is(err, ErrWaiting):
		k.Result, k.Note = DueWaiting, "deploy, then 'keycycle rotate resume "+k.Journal.ID+"'"
	default:
		k.Result, k.Note = DueFailed, err.Error()
	}
}
