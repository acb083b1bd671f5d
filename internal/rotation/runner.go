package rotation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/deploy"
	"github.com/keycycle/keycycle/internal/failpoint"
	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
	"github.com/keycycle/keycycle/internal/transport"
)

// SopsNixKeys is where sops-nix leaves the identities it gathered at its
// last activation (sops.age.keyFile and sops.age.sshKeyPaths).
const SopsNixKeys = hostcheck.SopsNixKeys

// ErrWaiting means the rotation stopped for the operator to deploy; the
// next Resume continues it.
var ErrWaiting = errors.New("waiting for the deployment")

// Runner drives rotations of one repository. The caller holds the
// repository lock for as long as it runs. Several rotations may run at
// once on one Runner (rotate due): the steps that change the repository
// (.sops.yaml, the secrets files, keys.yaml, the audit log, commits) take
// turns, while the host steps and deploy commands run side by side. Out
// must then accept concurrent writes (each Write one whole line).
type Runner struct {
	// ConfigPath is the repository's .sops.yaml (absolute).
	ConfigPath string
	Store      Store
	// Transport reaches the rotation's host.
	Transport func(j *Journal) transport.Transport
	// Identities open the data keys of the files to rekey.
	Identities []age.Identity
	// Record appends the audit entry of a step (and commits paths when
	// the operator asked for commits).
	Record func(ctx context.Context, e audit.Entry, subject string, paths []string) error
	// Apply, when set, writes a step's verified plan and records it (the
	// CLI's pipeline: intent, write, audit entry, commit); without it the
	// plan is applied and Record called.
	Apply func(ctx context.Context, plan *change.Plan, e audit.Entry, subject string, paths []string) error
	// Out receives progress lines.
	Out io.Writer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Saved, when set, is called after each durable save (tests).
	Saved func(j *Journal)
	// Settle, when set, is called once a Run or an Abort ends, whatever
	// its outcome, with the repository steps' turn held: the caller
	// commits the journal's last state there.
	Settle func(ctx context.Context, j *Journal) error

	// repo serializes the steps that change the repository.
	repo sync.Mutex
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// Save records j (its state and a history line) durably.
func (r *Runner) Save(j *Journal, note string) error {
	j.Updated = r.now()
	j.History = append(j.History, Event{Time: j.Updated, State: j.State, Note: note})
	if err := r.Store.Save(j); err != nil {
		return err
	}
	failpoint.Hit("rotation.saved")
	if r.Saved != nil {
		r.Saved(j)
	}
	return nil
}

// step is one transition: it does the work of reaching its state.
type step struct {
	to State
	do func(r *Runner, ctx context.Context, j *Journal) (string, error)
}

var steps = []step{
	{NewKey, (*Runner).makeKey},
	{Added, (*Runner).addNew},
	{Deployed, (*Runner).deploy},
	{Verified, (*Runner).verify},
	{OldRemoved, (*Runner).removeOld},
	{Done, (*Runner).finish},
}

// Run continues j from its state to done. A failed step leaves the
// journal at the last completed state with Error set; Run can be called
// again (resume).
func (r *Runner) Run(ctx context.Context, j *Journal) (err error) {
	defer r.settle(ctx, j, &err)
	if !j.State.Open() {
		return fmt.Errorf("rotation %s is %s", j.ID, j.State)
	}
	for _, s := range steps {
		if s.to.Index() <= j.State.Index() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(r.Out, "%s: %s …\n", j.ID, s.to)
		note, err := s.do(r, ctx, j)
		if err != nil {
			if !errors.Is(err, ErrWaiting) {
				j.Error = err.Error()
				if serr := r.Save(j, "failed: "+err.Error()); serr != nil {
					return errors.Join(err, serr)
				}
			}
			return err
		}
		j.State, j.Error = s.to, ""
		if err := r.Save(j, note); err != nil {
			return err
		}
		fmt.Fprintf(r.Out, "%s: %s: %s\n", j.ID, s.to, note)
	}
	return nil
}

// record appends a step's audit entry and commits paths with it, the
// journal included (as saved before the step: its next state follows in
// the next commit, the last one in Settle's).
func (r *Runner) record(ctx context.Context, j *Journal, e audit.Entry, subject string, paths []string) error {
	return r.Record(ctx, e, subject, append(paths[:len(paths):len(paths)], JournalRel(j.ID)))
}

// settle runs Settle after a Run or an Abort, even a cancelled one.
func (r *Runner) settle(ctx context.Context, j *Journal, err *error) {
	if r.Settle == nil {
		return
	}
	r.repo.Lock()
	defer r.repo.Unlock()
	if serr := r.Settle(context.WithoutCancel(ctx), j); serr != nil {
		*err = errors.Join(*err, serr)
	}
}

// host runs a keycycle host command for j.
func (r *Runner) host(ctx context.Context, j *Journal, stdin []byte, argv ...string) (string, error) {
	argv = append(argv, "--key-file", j.KeyFile)
	out, _, err := r.Transport(j).Run(ctx, j.Host, argv, stdin)
	return strings.TrimSpace(string(out)), err
}

// makeKey has the host make the new key (or give back the one it made
// before a crash) and records its recipient.
func (r *Runner) makeKey(ctx context.Context, j *Journal) (string, error) {
	switch j.Kind {
	case KindUser:
		if err := r.userHome(ctx, j); err != nil {
			return "", err
		}
		return r.makeUserKey(ctx, j)
	case KindAdmin:
		return r.makeAdminKey(ctx, j)
	}
	out, err := r.host(ctx, j, nil, "host", "keygen", "--reuse")
	if err != nil {
		return "", err
	}
	rc, err := agekey.ParseRecipient(lastField(out))
	if err != nil {
		return "", fmt.Errorf("host keygen on %s printed no recipient: %v", j.Host, err)
	}
	if rc.String == j.Old {
		return "", fmt.Errorf("host keygen on %s gave the old key back", j.Host)
	}
	j.New = rc.String
	return "new key " + j.New + " made on " + j.Host, nil
}

func lastField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// addNew lists the new key beside the old one and rekeys.
func (r *Runner) addNew(ctx context.Context, j *Journal) (string, error) {
	return r.change(ctx, j, addBeside, nil, "new key added beside the old")
}

// removeOld takes the old key out and gives every file it could read a
// new data key.
func (r *Runner) removeOld(ctx context.Context, j *Journal) (string, error) {
	return r.change(ctx, j, replaceOld, []string{j.Old}, "old key removed, new data keys")
}

// change applies one verified .sops.yaml change and records it. It is
// idempotent: a config already changed only finishes the files.
func (r *Runner) change(ctx context.Context, j *Journal, edit func(string, []byte, *Journal) ([]byte, error), rotateFor []string, what string) (string, error) {
	r.repo.Lock()
	defer r.repo.Unlock()
	old, err := os.ReadFile(r.ConfigPath)
	if err != nil {
		return "", err
	}
	next, err := edit(r.ConfigPath, old, j)
	if err != nil {
		return "", err
	}
	plan, err := change.Prepare(change.Request{ConfigPath: r.ConfigPath, OldConfig: old, NewConfig: next,
		Identities: r.Identities, RotateFor: rotateFor, Only: j.Files})
	if err != nil {
		return "", err
	}
	e := audit.Entry{Note: "rotation " + j.ID + ": " + what}
	paths := []string{".sops.yaml"}
	for _, f := range plan.Files {
		paths = append(paths, f.Rel)
		e.Files = append(e.Files, f.Rel)
		e.Added = appendRecipients(e.Added, f.Added, j)
		e.Removed = appendRecipients(e.Removed, f.Removed, j)
		if f.DataKeyRotated {
			e.DataKeyRotated = append(e.DataKeyRotated, f.Rel)
		}
	}
	subject := "keycycle: rotate " + j.Key + ": " + what
	if r.Apply != nil {
		err = r.Apply(ctx, plan, e, subject, append(paths, JournalRel(j.ID)))
	} else if err = plan.Apply(); err == nil {
		err = r.record(ctx, j, e, subject, paths)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (%d file(s) rekeyed)", what, len(plan.Files)), nil
}

func appendRecipients(list []audit.Recipient, ids []string, j *Journal) []audit.Recipient {
	for _, id := range ids {
		seen := false
		for _, x := range list {
			seen = seen || x.Recipient == id
		}
		if !seen {
			list = append(list, audit.Recipient{Name: j.Key, Recipient: id})
		}
	}
	return list
}

// deploy installs the new key on the host (the old one kept for
// rollback), then runs the deploy command, or asks the operator to
// deploy and waits for resume.
func (r *Runner) deploy(ctx context.Context, j *Journal) (string, error) {
	if j.Kind == KindAdmin {
		return r.confirmAdmin(j)
	}
	what := "new key in " + j.HostFile
	if j.Kind != KindUser {
		out, err := r.host(ctx, j, nil, "host", "install-key")
		if err != nil {
			return "", err
		}
		if got := lastField(out); got != j.New {
			return "", fmt.Errorf("the key installed on %s is %q, not the new key %s", j.Host, got, j.New)
		}
		what = "new key installed"
	}
	return r.runDeploy(ctx, j, what)
}

// runDeploy runs the deploy command, or asks the operator to deploy and
// waits for resume.
func (r *Runner) runDeploy(ctx context.Context, j *Journal, what string) (string, error) {
	if j.Deploy == "" {
		if j.DeployAsked {
			return what + "; deployment done by the operator", nil
		}
		j.DeployAsked = true
		if err := r.Save(j, "waiting for the operator to deploy"); err != nil {
			return "", err
		}
		fmt.Fprintf(r.Out, "%s: %s. Deploy the repository to %s now\n"+
			"(e.g. nixos-rebuild switch), then run: keycycle rotate resume %s\n", j.ID, what, j.Host, j.ID)
		return "", ErrWaiting
	}
	cmdline := deploy.Command(j.Deploy, deploy.Target{Host: j.Host, SSH: j.Remote.SSH})
	if err := deploy.Run(ctx, filepath.Dir(r.ConfigPath), cmdline, j.Host, r.Out); err != nil {
		return "", err
	}
	return what + "; deployed with " + cmdline, nil
}

// verify has the host prove that its key file, the new key alone, opens
// every file the old key could read.
func (r *Runner) verify(ctx context.Context, j *Journal) (string, error) {
	if j.Kind == KindAdmin {
		return r.verifyAdmin(j)
	}
	if err := r.addNewFiles(j); err != nil {
		return "", err
	}
	root := filepath.Dir(r.ConfigPath)
	n := 0
	for _, rel := range j.Files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if errors.Is(err, os.ErrNotExist) {
			continue // removed from the repository since
		}
		if err != nil {
			return "", err
		}
		if f, err := sopsfile.Parse(rel, data); err == nil && !slices.Contains(f.Meta.Recipients(), j.New) {
			return "", fmt.Errorf("%s lists the old key but not the new one (made during the rotation without it?): run 'keycycle rekey %s', then resume", rel, rel)
		}
		argv := []string{"host", "verify", "--name", filepath.Base(rel), "--recipient", j.New}
		if j.Kind != KindUser {
			// What sops-nix loaded at the deployment's activation must hold
			// the new key too (sops.age.keyFile really read).
			argv = append(argv, "--sops-nix-keys", SopsNixKeys)
		}
		out, err := r.host(ctx, j, data, argv...)
		var ee *transport.ExitError
		if errors.As(err, &ee) && ee.Code == 1 {
			return "", fmt.Errorf("%s cannot open %s with the new key alone: %s", j.Host, rel, out)
		}
		if err != nil {
			return "", err
		}
		if out != "ok" {
			return "", fmt.Errorf("host verify of %s on %s said %q", rel, j.Host, out)
		}
		n++
	}
	return fmt.Sprintf("%s opens %d file(s) with the new key alone", j.Host, n), nil
}

// addNewFiles adds to j.Files the files made since the rotation started
// that list the old key (sops gave them both keys, as the rules said
// while the rotation ran): step 6 must take the old key out of them too,
// so the host must prove it opens them first.
func (r *Runner) addNewFiles(j *Journal) error {
	r.repo.Lock()
	defer r.repo.Unlock()
	cfg, err := sopsconfig.Load(r.ConfigPath)
	if err != nil {
		return err
	}
	now, err := filesListing(r.ConfigPath, cfg, j.Exclude, j.Old)
	if err != nil {
		return err
	}
	for _, rel := range now {
		if !slices.Contains(j.Files, rel) {
			j.Files = append(j.Files, rel)
		}
	}
	return nil
}

// finish retires the old key: in .keycycle/keys.yaml, and on the host
// (the kept key deleted).
func (r *Runner) finish(ctx context.Context, j *Journal) (string, error) {
	where := "on " + j.Host
	switch j.Kind {
	case KindUser:
		where = "in " + j.HostFile
	case KindAdmin:
		where = "here"
		fmt.Fprintf(r.Out, "%s: %s\n", j.ID, adminDoneNote(j))
	default:
		if _, err := r.host(ctx, j, nil, "host", "retire-key"); err != nil {
			return "", err
		}
	}
	if err := r.retire(ctx, j); err != nil {
		return "", err
	}
	if j.Kind == KindUser {
		// The user's keys.txt holds both keys until the next deployment.
		if j.Deploy == "" {
			fmt.Fprintf(r.Out, "%s: %s\n", j.ID, userDeployNote(j))
		} else if _, err := r.runDeploy(ctx, j, ""); err != nil {
			return "", err
		}
	}
	return "old key retired " + where + " and in " + keysFile, nil
}

// retire is the repository side of finish: keys.yaml, a user key's
// file, the audit entry.
func (r *Runner) retire(ctx context.Context, j *Journal) error {
	r.repo.Lock()
	defer r.repo.Unlock()
	if j.Kind == KindUser {
		if err := r.finishUserKey(ctx, j); err != nil {
			return err
		}
	}
	changed, err := retireInKeys(filepath.Dir(r.ConfigPath), j, r.now())
	if err != nil {
		return err
	}
	var paths []string
	if changed {
		paths = append(paths, keysFile)
	}
	e := audit.Entry{Note: "rotation " + j.ID + ": done; old key " + j.Old + " retired", Files: paths}
	return r.record(ctx, j, e, "keycycle: rotate "+j.Key+": done", paths)
}
