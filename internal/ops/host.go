package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/deploy"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// byHandHint is what to do when an edit of .sops.yaml cannot be made.
const byHandHint = "make this edit by hand, then run 'keycycle rekey'"

// AccessResult is what a command that changes who can decrypt what (host
// add, remove, set-key; user add, remove) did.
type AccessResult struct {
	// Plan is the change planned: written unless the session is a dry
	// run.
	Plan *change.Plan
	// AlreadyRemoved says that a revocation had been done already: the
	// audit log records the key removed and no file lists it any more.
	// Nothing was planned.
	AlreadyRemoved bool
	// AlreadyAdded says that an add had been done already: the name is
	// registered with the same key (a host with its own rule). Nothing
	// was planned: running an add again converges.
	AlreadyAdded bool
	// Deployed is what the deploy step did; nil when it had nothing to
	// do.
	Deployed *deploy.Outcome
}

// HostAddRequest is a host add: a host brought into the repository.
type HostAddRequest struct {
	// Name is the host's name: &NAME, DIR/NAME.yaml.
	Name string
	// Key is where the host's key comes from.
	Key hostkey.Source
	// UserKey, when set, makes a user age key UserKey_NAME stored in the
	// host's new file under keys/age.
	UserKey string
	// Dir is the folder of the secrets files, relative to the repository.
	Dir string
	// NoShared leaves the shared rules as they are.
	NoShared bool
	// Policy is the host's entry under keycycle.yaml's hosts: (unless
	// NoPolicy).
	Policy   policy.HostEdit
	NoPolicy bool
	// Deploy brings the change to the hosts whose files it altered.
	Deploy deploy.Step
}

// HostAdd registers a host: its key under keys:, its own rule and file,
// its alias in the shared rules, its keys.yaml and keycycle.yaml entries;
// every file that changed is rekeyed, then the deploy step runs. A new
// SSH host key (Key.NewSSHKey) is written, and its note printed on
// Options.Stdout, before the repository changes.
func HostAdd(ctx context.Context, o Options, r HostAddRequest) (res *AccessResult, err error) {
	if err := checkHostKey(r.Name, &r.Key, "host add"); err != nil {
		return nil, err
	}
	if r.UserKey != "" {
		if err := sopsconfig.CheckUserName(r.UserKey); err != nil {
			return nil, err
		}
	}
	s, ed, err := beginEditing(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	hk, err := r.Key.Resolve(ctx)
	if err != nil {
		return nil, err
	}
	if addedAlready(sopsconfig.Layout{Config: ed.Config(), Dir: r.Dir}, r.Name, hk.Recipient, true) {
		return &AccessResult{AlreadyAdded: true}, nil
	}
	req, err := hostAddChange(s, ed, r, hk.Recipient)
	if err != nil {
		return nil, err
	}
	return s.changeAndDeploy(ctx, Change{Subject: "keycycle: host add " + r.Name, Diff: ed.Diff(), Request: req,
		Before: writeHostKey(s.Opts.Stdout, hk, r.Key)}, r.Deploy)
}

// changeAndDeploy applies c, then runs the deploy step for the hosts
// whose files it changed: the end of every host command.
func (s *Session) changeAndDeploy(ctx context.Context, c Change, d deploy.Step) (*AccessResult, error) {
	plan, err := s.Change(ctx, c)
	if err != nil {
		return nil, err
	}
	res := &AccessResult{Plan: plan}
	res.Deployed, err = d.After(ctx, deployChange(c.Request), s.Opts.DryRun, s.Opts.Stderr)
	return res, err
}

// deployChange is what the deploy step needs of req.
func deployChange(req change.Request) deploy.Change {
	dc := deploy.Change{ConfigPath: req.ConfigPath, OldConfig: req.OldConfig, NewConfig: req.NewConfig,
		Delete: req.Delete, Exclude: req.Exclude}
	for _, f := range req.Create {
		dc.Create = append(dc.Create, f.Rel)
	}
	return dc
}

// checkHostKey checks a host command's name and the flags that give the
// host's key, and names the key root@NAME.
func checkHostKey(name string, k *hostkey.Source, command string) error {
	if err := sopsconfig.CheckHostName(name); err != nil {
		return err
	}
	if err := k.Check(command); err != nil {
		return err
	}
	k.Comment = "root@" + name
	return nil
}

// addedAlready reports whether name is registered with recipient
// already (for a host, with its own rule too): an add run again after it
// finished, which converges instead of failing on its own work.
func addedAlready(l sopsconfig.Layout, name, recipient string, host bool) bool {
	a, ok := l.Config.AnchorByName(name)
	if !ok || a.Value != recipient {
		return false
	}
	return !host || l.PerHostRule(name) >= 0
}

// hostAddChange makes host add's edits of ed and returns the change.
func hostAddChange(s *Session, ed *configedit.Editor, r HostAddRequest, recipient string) (change.Request, error) {
	l := sopsconfig.Layout{Config: ed.Config(), Dir: r.Dir}
	if err := l.Config.CheckFree(r.Name, recipient); err != nil {
		return change.Request{}, err
	}
	req := s.Request(ed)
	plain := []byte("{}\n")
	members := []string{r.Name}
	records := hostRecords(r.Name, recipient, r.Key.Age != "")
	if r.UserKey != "" {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return change.Request{}, err
		}
		uname := r.UserKey + "_" + r.Name
		if err := l.Config.CheckFree(uname, id.Recipient().String()); err != nil {
			return change.Request{}, err
		}
		if err := ed.AddKey("users", uname, id.Recipient().String()); err != nil {
			return change.Request{}, textutil.WithHint(err, byHandHint)
		}
		members = append([]string{uname}, members...)
		records = append(records, policy.Key{Name: uname, Recipient: id.Recipient().String(),
			Kind: policy.KindUser, Owner: r.Name, Origin: policy.OriginGenerated})
		plain = []byte(fmt.Sprintf("keys:\n    age: %s\n", id))
	}
	if err := addHostEdits(ed, l, r.Name, recipient, members, r.NoShared); err != nil {
		return change.Request{}, err
	}
	req.NewConfig = ed.Bytes()
	req.Create = []change.NewFile{{Rel: l.HostFile(r.Name), Plaintext: plain}}
	if err := RecordKeys(&req, records, nil); err != nil {
		return req, err
	}
	if !r.NoPolicy {
		if err := UpdateHosts(&req, r.Name, true, r.Policy); err != nil {
			return req, err
		}
	}
	if r.UserKey != "" {
		if _, err := os.Stat(filepath.Join(filepath.Dir(s.ConfigPath), l.HostFile(r.Name))); err == nil {
			return req, textutil.Hintf("add the user key by hand with 'sops edit', or remove the file first",
				"%s already exists: --user-key only creates a new host file", l.HostFile(r.Name))
		}
	}
	return req, nil
}

// addHostEdits adds the host's key, its per-host rule and its aliases in
// the shared rules.
func addHostEdits(ed *configedit.Editor, l sopsconfig.Layout, name, recipient string, members []string, noShare bool) error {
	admins := l.Admins()
	shared := l.SharedRules()
	if err := ed.AddKey("hosts", name, recipient); err != nil {
		return textutil.WithHint(err, byHandHint)
	}
	if !noShare {
		// Before AddRule, so that the rule indexes still hold.
		for _, i := range shared {
			for _, m := range members {
				if err := ed.AddAlias(i, m); err != nil && !errors.Is(err, configedit.ErrAlreadyPresent) {
					return textutil.WithHint(err, byHandHint)
				}
			}
		}
	}
	if err := ed.AddRule(regexp.QuoteMeta(l.HostFile(name))+"$", append(admins, members...)); err != nil {
		return textutil.WithHint(err, byHandHint)
	}
	return nil
}

// hostRecords is the keys.yaml entry of a new host.
func hostRecords(name, recipient string, imported bool) []policy.Key {
	origin := policy.OriginSSHHostKey
	if imported {
		origin = policy.OriginImported
	}
	return []policy.Key{{Name: name, Recipient: recipient, Kind: policy.KindHost, Owner: name, Origin: origin}}
}

// writeHostKey is a change's Before step for a host key made here: the
// SSH key pair written (refusing to overwrite) and its note printed on
// w, before the repository names the key, so that it is never lost.
func writeHostKey(w io.Writer, hk *hostkey.SSHPair, k hostkey.Source) func() error {
	return func() error {
		if hk.Private == nil {
			return nil
		}
		if err := hk.WriteExtraFiles(k.NewSSHKey, k.Persist); err != nil {
			return err
		}
		fmt.Fprintln(w, hostkey.ExtraFilesNote(k.NewSSHKey, k.Persist))
		return nil
	}
}

// beginEditing begins the session (Begin) and reads .sops.yaml for
// editing. The caller must End the session.
func beginEditing(ctx context.Context, o Options) (*Session, *configedit.Editor, error) {
	s, err := Begin(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	ed, err := s.Editor()
	if err != nil {
		s.End(&err)
		return nil, nil, err
	}
	return s, ed, nil
}
