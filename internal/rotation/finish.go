package rotation

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

const keysFile = policy.KeysFile

// retireInKeys marks the old key retired (replaced by the new one) and
// adds the new key to .keycycle/keys.yaml, creating it when missing. It
// reports whether it wrote anything.
func retireInKeys(root string, j *Journal, now time.Time) (bool, error) {
	path := filepath.Join(root, filepath.FromSlash(keysFile))
	ks, err := policy.LoadKeys(path)
	if errors.Is(err, fs.ErrNotExist) {
		ks, err = &policy.Keys{Path: path}, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %v", keysFile, err)
	}
	owner := j.Host
	if j.Kind == KindAdmin {
		owner = "" // a person's key, on no host
	}
	if !ks.Replace(j.Old, policy.Key{Name: j.Key, Recipient: j.New, Kind: policy.Kind(j.Kind), Owner: owner,
		Origin: policy.OriginGenerated}, now) {
		return false, nil
	}
	data, err := ks.Marshal()
	if err != nil {
		return false, err
	}
	return true, fsutil.WriteFileAtomic(path, data, 0o644)
}

// Abort rolls j back: the host gets its old key again (the new one is
// deleted there), and .sops.yaml and every file list exactly the
// recipients they had before the rotation. It refuses once the old key
// is out of the repository (old-removed): finish the rotation instead.
func (r *Runner) Abort(ctx context.Context, j *Journal) (err error) {
	defer r.settle(ctx, j, &err)
	if err := CanAbort(r.ConfigPath, j); err != nil {
		return err
	}
	// The host first: while files still list both keys, either key works.
	// A user key has nothing on the host but what deployments put there.
	if j.Kind == KindUser {
		r.repo.Lock()
		err := r.unstageUserKey(ctx, j)
		r.repo.Unlock()
		if err != nil {
			return err
		}
	} else if j.Kind == KindAdmin {
		if j.New != "" {
			fmt.Fprintf(r.Out, "%s: the new identity stays in %s; delete it there if you do not want it\n", j.ID, j.KeyFile)
		}
	} else if out, err := r.host(ctx, j, nil, "host", "restore-key"); err != nil {
		return fmt.Errorf("cannot restore the old key on %s: %w", j.Host, err)
	} else if j.State.Index() >= Deployed.Index() && lastField(out) != j.Old {
		return fmt.Errorf("after restore-key the key on %s is %q, not the old key %s", j.Host, lastField(out), j.Old)
	}
	if j.New != "" {
		if _, err := r.change(ctx, j, withoutTemp, nil, "rotation aborted, new key removed"); err != nil {
			return err
		}
	}
	j.State, j.Error = Aborted, ""
	if err := r.Save(j, "aborted"); err != nil {
		return err
	}
	if j.New == "" {
		r.repo.Lock()
		defer r.repo.Unlock()
		return r.record(ctx, j, audit.Entry{Note: "rotation " + j.ID + ": aborted"}, "keycycle: rotate "+j.Key+": aborted", nil)
	}
	return nil
}

// CanAbort says why j cannot be rolled back, or nil when it can.
func CanAbort(configPath string, j *Journal) error {
	if !j.State.Open() {
		return fmt.Errorf("rotation %s is %s already", j.ID, j.State)
	}
	if j.State.Index() >= OldRemoved.Index() {
		return fmt.Errorf("rotation %s is past %s: the old key is out of the repository, so it can only be finished ('keycycle rotate resume %s')", j.ID, OldRemoved, j.ID)
	}
	// Step 6 writes .sops.yaml first: once &KEY is the new key there, some
	// files may have lost the old key (with new data keys), and putting
	// the old key back on the host would lock it out of them.
	if cfg, err := sopsconfig.Load(configPath); err != nil {
		return err
	} else if a, ok := cfg.AnchorByName(j.Key); !ok || a.Value != j.Old {
		return fmt.Errorf("step %s of rotation %s has begun (&%s is no longer the old key in .sops.yaml), so it can only be finished ('keycycle rotate resume %s')", OldRemoved, j.ID, j.Key, j.ID)
	}
	return nil
}

// nextStep says what the step after each state does.
var nextStep = map[State]string{
	Planned:    "new-key: the host makes the new key and gives its recipient",
	NewKey:     "added: the new key joins the old one in .sops.yaml and the files are rekeyed",
	Added:      "deployed: the deploy command runs (or the rotation waits for you to deploy)",
	Deployed:   "verified: the host proves the new key alone opens each of its files",
	Verified:   "old-removed: the old key leaves .sops.yaml and the files get new data keys",
	OldRemoved: "done: keys.yaml retires the old key",
}

// Remaining lists, in order, the steps a resume of j would run.
func (j *Journal) Remaining() []string {
	var out []string
	for i := j.State.Index(); i >= 0 && i < len(order)-1; i++ {
		out = append(out, nextStep[order[i]])
	}
	return out
}

// AbortSteps lists what an abort of j would do, or why it cannot.
func AbortSteps(configPath string, j *Journal) ([]string, error) {
	if err := CanAbort(configPath, j); err != nil {
		return nil, err
	}
	var out []string
	if j.Kind == KindUser {
		out = append(out, "the old value of keys/age is put back in "+j.Host+"'s file")
	} else {
		out = append(out, "the host "+j.Host+" puts its old key back (host restore-key)")
	}
	if j.New != "" {
		out = append(out, "the new key "+j.New+" leaves .sops.yaml and the files are rekeyed")
	}
	return append(out, "the journal is marked aborted"), nil
}
